// What each kind of directory calls things, as the console's vendor preset shows it and the server fills it in: the
// filters that find users and groups, and the attributes that carry a user's fields and the external id.
import type { AttributeMapping, DirectoryVendor } from './directory-schemas.js';

export interface DirectoryPresetSettings {
  label: string;
  usersFilter: string;
  groupsFilter: string;
  attributes: AttributeMapping;
}

const INET_ORG_PERSON = {
  username: 'uid',
  firstName: 'givenName',
  lastName: 'sn',
  email: 'mail',
  phone: 'telephoneNumber',
  department: 'departmentNumber',
  groupName: 'cn',
  groupMember: 'member',
} as const;

export const DIRECTORY_PRESETS: Record<DirectoryVendor, DirectoryPresetSettings> = {
  active_directory: {
    label: 'Active Directory',
    // objectCategory is indexed on every domain controller; objectClass=user alone also matches computers.
    usersFilter: '(&(objectCategory=person)(objectClass=user))',
    groupsFilter: '(objectClass=group)',
    attributes: {
      username: 'sAMAccountName',
      firstName: 'givenName',
      lastName: 'sn',
      email: 'mail',
      phone: 'telephoneNumber',
      department: 'department',
      externalId: 'objectGUID',
      groupName: 'cn',
      groupMember: 'member',
      memberOf: 'memberOf',
    },
  },
  openldap: {
    label: 'OpenLDAP',
    usersFilter: '(objectClass=inetOrgPerson)',
    groupsFilter: '(objectClass=groupOfNames)',
    // memberOf exists only where the memberof overlay is loaded: group membership is read from the groups.
    attributes: { ...INET_ORG_PERSON, externalId: 'entryUUID', memberOf: null },
  },
  '389ds': {
    label: '389 Directory Server',
    usersFilter: '(objectClass=inetOrgPerson)',
    // Groups of unique names list members in uniqueMember: map groupMember to it where those are used.
    groupsFilter: '(objectClass=groupOfNames)',
    attributes: { ...INET_ORG_PERSON, externalId: 'nsUniqueId', memberOf: 'memberOf' },
  },
  freeipa: {
    label: 'FreeIPA',
    // Users live in cn=users,cn=accounts and groups in cn=groups,cn=accounts under the realm's suffix.
    usersFilter: '(&(objectClass=person)(uid=*))',
    groupsFilter: '(objectClass=ipaUserGroup)',
    attributes: { ...INET_ORG_PERSON, externalId: 'ipaUniqueID', memberOf: 'memberOf' },
  },
};
