// What each kind of directory calls things: the filters that find users and groups, the attributes that carry a
// user's fields, the one that never changes (the external id a user is matched by), and how changes are found.
import type { AttributeMapping, DirectoryVendor } from '../../../shared/directory-schemas.js';

export interface DirectoryPreset {
  label: string;
  usersFilter: string;
  groupsFilter: string;
  attributes: AttributeMapping;
  /** The attribute an incremental sync asks for changes by: AD's update sequence number, or the modify time. */
  changedAttribute: 'uSNChanged' | 'modifyTimestamp';
  /** The external id is binary (AD's objectGUID): it must be read as bytes, not as text. */
  binaryExternalId: boolean;
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

export const PRESETS: Record<DirectoryVendor, DirectoryPreset> = {
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
    changedAttribute: 'uSNChanged',
    binaryExternalId: true,
  },
  openldap: {
    label: 'OpenLDAP',
    usersFilter: '(objectClass=inetOrgPerson)',
    groupsFilter: '(objectClass=groupOfNames)',
    // memberOf exists only where the memberof overlay is loaded: group membership is read from the groups.
    attributes: { ...INET_ORG_PERSON, externalId: 'entryUUID', memberOf: null },
    changedAttribute: 'modifyTimestamp',
    binaryExternalId: false,
  },
  '389ds': {
    label: '389 Directory Server',
    usersFilter: '(objectClass=inetOrgPerson)',
    // Groups of unique names list members in uniqueMember: map groupMember to it where those are used.
    groupsFilter: '(objectClass=groupOfNames)',
    attributes: { ...INET_ORG_PERSON, externalId: 'nsUniqueId', memberOf: 'memberOf' },
    changedAttribute: 'modifyTimestamp',
    binaryExternalId: false,
  },
  freeipa: {
    label: 'FreeIPA',
    // Users live in cn=users,cn=accounts and groups in cn=groups,cn=accounts under the realm's suffix.
    usersFilter: '(&(objectClass=person)(uid=*))',
    groupsFilter: '(objectClass=ipaUserGroup)',
    attributes: { ...INET_ORG_PERSON, externalId: 'ipaUniqueID', memberOf: 'memberOf' },
    changedAttribute: 'modifyTimestamp',
    binaryExternalId: false,
  },
};

/** The preset's mapping with the given attributes over it (null switches an optional one off). */
export function mappingFor(
  vendor: DirectoryVendor,
  overrides: Partial<AttributeMapping> = {},
  base: AttributeMapping = PRESETS[vendor].attributes,
): AttributeMapping {
  const mapping = { ...base };
  for (const [key, value] of Object.entries(overrides) as [keyof AttributeMapping, string | null | undefined][]) {
    if (value !== undefined) mapping[key] = value;
  }
  return mapping;
}
