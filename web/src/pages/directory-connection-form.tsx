// The settings of a directory connection as the console edits them: where the directory is and how to bind, where
// users and groups are, the vendor preset that fills in the filters and the attribute mapping, and what a sync does.
// The bind password is write-only: an edit shows it as set and sends a new one only when one is typed.
import type { ReactNode } from 'react';
import { DIRECTORY_PRESETS } from '../../../shared/directory-presets.js';
import {
  type AttributeMapping,
  DIRECTORY_VENDORS,
  type DirectoryVendor,
  MAPPED_ATTRIBUTES,
  type MappedAttribute,
  MISSING_USERS,
  type MissingUsersChoice,
  REQUIRED_ATTRIBUTES,
} from '../../../shared/directory-schemas.js';
import type { DirectoryConnection } from '../../../shared/responses/directory.js';
import { SelectField, Switch, TextAreaField, TextField } from '../components/ui.js';

export type ConnectionFormValues = {
  name: string;
  url: string;
  startTls: boolean;
  caCertificate: string;
  bindDn: string;
  bindPassword: string;
  usersBaseDn: string;
  usersFilter: string;
  groupsBaseDn: string;
  groupsFilter: string;
  vendor: DirectoryVendor;
  attributes: Record<MappedAttribute, string>;
  missingUsers: MissingUsersChoice;
  /** Minutes as text ('' = on demand), as the select holds it. */
  scheduleMinutes: string;
  passwordSignIn: boolean;
};

export const VENDOR_LABELS = Object.fromEntries(
  DIRECTORY_VENDORS.map((v) => [v, DIRECTORY_PRESETS[v].label]),
) as Record<DirectoryVendor, string>;

const ATTRIBUTE_LABELS: Record<MappedAttribute, string> = {
  username: 'Username',
  firstName: 'First name',
  lastName: 'Last name',
  email: 'Email',
  phone: 'Phone',
  department: 'Department',
  externalId: 'External id',
  groupName: 'Group name',
  groupMember: 'Group members',
  memberOf: "User's groups (memberOf)",
};

/** Each field's label by its path, for the summary of what stopped a save. */
export const CONNECTION_FIELD_LABELS: Record<string, string> = {
  name: 'Name',
  url: 'URL',
  startTls: 'StartTLS',
  caCertificate: 'CA certificate',
  bindDn: 'Bind DN',
  bindPassword: 'Bind password',
  usersBaseDn: 'Users base DN',
  usersFilter: 'Users filter',
  groupsBaseDn: 'Groups base DN',
  groupsFilter: 'Groups filter',
  vendor: 'Vendor preset',
  missingUsers: 'Users gone from the directory',
  scheduleMinutes: 'Schedule',
  passwordSignIn: 'Sign in with the directory password',
  ...Object.fromEntries(MAPPED_ATTRIBUTES.map((key) => [`attributes.${key}`, `${ATTRIBUTE_LABELS[key]} attribute`])),
};

const ATTRIBUTE_HINTS: Partial<Record<MappedAttribute, string>> = {
  externalId: 'Never changes for an entry: users are matched by it, not by username.',
  groupMember: "The group's attribute listing its members' DNs.",
  memberOf: 'Where the directory keeps one; blank = read memberships from the groups.',
};

const MISSING_LABELS: Record<MissingUsersChoice, string> = {
  disable: 'Disable them (they are enabled again if they come back)',
  delete: 'Delete them',
  keep: 'Keep them as they are',
};

const SCHEDULES: { value: string; label: string }[] = [
  { value: '', label: 'On demand only' },
  { value: '15', label: 'Every 15 minutes' },
  { value: '30', label: 'Every 30 minutes' },
  { value: '60', label: 'Every hour' },
  { value: '240', label: 'Every 4 hours' },
  { value: '720', label: 'Every 12 hours' },
  { value: '1440', label: 'Every day' },
];

const attributeTexts = (mapping: AttributeMapping) =>
  Object.fromEntries(MAPPED_ATTRIBUTES.map((key) => [key, mapping[key] ?? ''])) as Record<MappedAttribute, string>;

export function presetValues(vendor: DirectoryVendor) {
  const preset = DIRECTORY_PRESETS[vendor];
  return {
    vendor,
    usersFilter: preset.usersFilter,
    groupsFilter: preset.groupsFilter,
    attributes: attributeTexts(preset.attributes),
  };
}

export const EMPTY_CONNECTION: ConnectionFormValues = {
  name: '',
  url: '',
  startTls: true,
  caCertificate: '',
  bindDn: '',
  bindPassword: '',
  usersBaseDn: '',
  groupsBaseDn: '',
  ...presetValues('active_directory'),
  missingUsers: 'disable',
  scheduleMinutes: '',
  passwordSignIn: false,
};

export function connectionToForm(connection: DirectoryConnection): ConnectionFormValues {
  return {
    name: connection.name,
    url: connection.url,
    // ldaps:// answers false: keep the switch on, so that changing to ldap:// starts secure.
    startTls: connection.url.startsWith('ldaps:') ? true : connection.startTls,
    caCertificate: connection.caCertificate ?? '',
    bindDn: connection.bindDn,
    bindPassword: '',
    usersBaseDn: connection.usersBaseDn,
    usersFilter: connection.usersFilter,
    groupsBaseDn: connection.groupsBaseDn,
    groupsFilter: connection.groupsFilter,
    vendor: connection.vendor,
    attributes: attributeTexts(connection.attributes),
    missingUsers: connection.missingUsers,
    scheduleMinutes: connection.scheduleMinutes === null ? '' : String(connection.scheduleMinutes),
    passwordSignIn: connection.passwordSignIn,
  };
}

const isLdaps = (url: string) => url.trim().toLowerCase().startsWith('ldaps:');

/** The settings a test or a new connection sends: every field, blank attributes as null (not read). */
export function settingsBody(values: ConnectionFormValues) {
  return {
    name: values.name,
    url: values.url,
    ...(isLdaps(values.url) ? {} : { startTls: values.startTls }),
    caCertificate: values.caCertificate,
    bindDn: values.bindDn,
    bindPassword: values.bindPassword,
    usersBaseDn: values.usersBaseDn,
    usersFilter: values.usersFilter,
    groupsBaseDn: values.groupsBaseDn,
    groupsFilter: values.groupsFilter,
    vendor: values.vendor,
    attributes: Object.fromEntries(MAPPED_ATTRIBUTES.map((key) => [key, values.attributes[key].trim() || null])),
  };
}

export function createBody(values: ConnectionFormValues) {
  return {
    ...settingsBody(values),
    missingUsers: values.missingUsers,
    scheduleMinutes: values.scheduleMinutes === '' ? null : Number(values.scheduleMinutes),
    passwordSignIn: values.passwordSignIn,
  };
}

/** What changed, and the bind password only when one was typed, so that the audit log shows the admin's edit. */
export function updateBody(values: ConnectionFormValues, original: ConnectionFormValues) {
  const full = createBody(values);
  const before = createBody(original);
  const body: Record<string, unknown> = {};
  for (const key of Object.keys(full) as (keyof typeof full)[]) {
    if (key === 'bindPassword') continue;
    if (JSON.stringify(full[key]) !== JSON.stringify(before[key])) body[key] = full[key];
  }
  if (values.bindPassword !== '') body.bindPassword = values.bindPassword;
  return body;
}

export function ConnectionForm({
  values,
  onChange,
  errors,
  passwordSet,
}: {
  values: ConnectionFormValues;
  onChange: (values: ConnectionFormValues) => void;
  errors: Record<string, string>;
  /** Editing a saved connection whose bind password is stored. */
  passwordSet: boolean;
}) {
  const set =
    <K extends keyof ConnectionFormValues>(key: K) =>
    (value: ConnectionFormValues[K]) =>
      onChange({ ...values, [key]: value });
  const setAttribute = (key: MappedAttribute) => (value: string) =>
    onChange({ ...values, attributes: { ...values.attributes, [key]: value } });
  const ldaps = isLdaps(values.url);
  const schedules = SCHEDULES.some((s) => s.value === values.scheduleMinutes)
    ? SCHEDULES
    : [...SCHEDULES, { value: values.scheduleMinutes, label: `Every ${values.scheduleMinutes} minutes` }];

  return (
    <>
      <Section title="Server" lead="Where the directory is and the account Roster reads it as.">
        <div className="form-grid">
          <TextField
            label="Name"
            value={values.name}
            onValue={set('name')}
            error={errors.name}
            hint="Synced users show it as their source."
            required
          />
          <TextField
            label="URL"
            value={values.url}
            onValue={set('url')}
            error={errors.url}
            placeholder="ldaps://dc1.example.com"
            hint="ldaps://, or ldap:// secured with StartTLS."
            required
          />
        </div>
        {ldaps ? null : (
          <Switch
            label="StartTLS"
            checked={values.startTls}
            onChange={set('startTls')}
            hint={
              values.startTls
                ? 'The ldap:// connection is secured before the bind.'
                : 'Off: the bind password crosses the network in clear.'
            }
          />
        )}
        <TextAreaField
          label="CA certificate"
          value={values.caCertificate}
          onValue={set('caCertificate')}
          error={errors.caCertificate}
          rows={4}
          spellCheck={false}
          placeholder="-----BEGIN CERTIFICATE-----"
          hint="PEM of the CA that issued the directory's certificate. Blank: the system's trusted CAs."
        />
        <div className="form-grid">
          <TextField
            label="Bind DN"
            value={values.bindDn}
            onValue={set('bindDn')}
            error={errors.bindDn}
            autoComplete="off"
            placeholder="cn=roster,ou=services,dc=example,dc=com"
            required
          />
          <TextField
            label="Bind password"
            type="password"
            value={values.bindPassword}
            onValue={set('bindPassword')}
            error={errors.bindPassword}
            autoComplete="new-password"
            placeholder={passwordSet ? '••••••••  (set)' : ''}
            hint={
              passwordSet
                ? 'Set. Leave blank to keep it; a new URL, StartTLS or CA certificate needs it again.'
                : 'Write-only: never shown again.'
            }
            required={!passwordSet}
          />
        </div>
      </Section>

      <Section title="Users and groups" lead="The vendor preset fills in the filters and the attribute mapping.">
        <SelectField
          label="Vendor preset"
          value={values.vendor}
          onValue={(vendor) => onChange({ ...values, ...presetValues(vendor as DirectoryVendor) })}
          options={DIRECTORY_VENDORS.map((v) => ({ value: v, label: VENDOR_LABELS[v] }))}
          error={errors.vendor}
        />
        <div className="form-grid">
          <TextField
            label="Users base DN"
            value={values.usersBaseDn}
            onValue={set('usersBaseDn')}
            error={errors.usersBaseDn}
            placeholder="ou=people,dc=example,dc=com"
            required
          />
          <TextField
            label="Users filter"
            value={values.usersFilter}
            onValue={set('usersFilter')}
            error={errors.usersFilter}
            className="input input--mono"
          />
          <TextField
            label="Groups base DN"
            value={values.groupsBaseDn}
            onValue={set('groupsBaseDn')}
            error={errors.groupsBaseDn}
            placeholder="ou=groups,dc=example,dc=com"
            required
          />
          <TextField
            label="Groups filter"
            value={values.groupsFilter}
            onValue={set('groupsFilter')}
            error={errors.groupsFilter}
            className="input input--mono"
          />
        </div>
      </Section>

      <Section
        title="Attribute mapping"
        lead="The directory attribute that carries each field. Blank: not read (the field stays as Roster has it)."
      >
        <div className="form-grid form-grid--three">
          {MAPPED_ATTRIBUTES.map((key) => (
            <TextField
              key={key}
              label={ATTRIBUTE_LABELS[key]}
              value={values.attributes[key]}
              onValue={setAttribute(key)}
              error={errors[`attributes.${key}`]}
              hint={ATTRIBUTE_HINTS[key]}
              className="input input--mono"
              spellCheck={false}
              required={REQUIRED_ATTRIBUTES.includes(key)}
            />
          ))}
        </div>
      </Section>

      <Section title="Sync">
        <div className="form-grid">
          <SelectField
            label="Users gone from the directory"
            value={values.missingUsers}
            onValue={(value) => set('missingUsers')(value as MissingUsersChoice)}
            options={MISSING_USERS.map((m) => ({ value: m, label: MISSING_LABELS[m] }))}
            error={errors.missingUsers}
            hint="Also users who no longer match the users filter."
          />
          <SelectField
            label="Schedule"
            value={values.scheduleMinutes}
            onValue={set('scheduleMinutes')}
            options={schedules}
            error={errors.scheduleMinutes}
            hint="Scheduled syncs read only what changed, and everything once a day."
          />
        </div>
        <Switch
          label="Sign in with the directory password"
          checked={values.passwordSignIn}
          onChange={set('passwordSignIn')}
          hint="Synced users sign in with their directory password (checked by the directory); Roster cannot set or reset it."
        />
      </Section>
    </>
  );
}

function Section({ title, lead, children }: { title: string; lead?: string; children: ReactNode }) {
  return (
    <section className="card card--padded" aria-label={title}>
      <div className="card__header">
        <h2 className="card__title">{title}</h2>
        {lead ? <p className="muted small">{lead}</p> : null}
      </div>
      {children}
    </section>
  );
}
