// Directory connections (LDAP, Active Directory) as the API and the console's forms accept them: where the
// directory is, how to bind, where users and groups are, and which attributes carry what.
import { z } from 'zod';

export const DIRECTORY_VENDORS = ['active_directory', 'openldap', '389ds', 'freeipa'] as const;
export type DirectoryVendor = (typeof DIRECTORY_VENDORS)[number];

/** What Roster reads from an entry, by the name of the directory attribute holding it. */
export const MAPPED_ATTRIBUTES = [
  'username',
  'firstName',
  'lastName',
  'email',
  'phone',
  'department',
  'externalId',
  'groupName',
  'groupMember',
  'memberOf',
] as const;
export type MappedAttribute = (typeof MAPPED_ATTRIBUTES)[number];
/** Attributes a sync cannot do without; the others may be switched off with null. */
export const REQUIRED_ATTRIBUTES: readonly MappedAttribute[] = ['username', 'externalId', 'groupName', 'groupMember'];

// An attribute description (RFC 4512 2.5): a name or an OID, options such as ;binary allowed.
const attributeName = z
  .string()
  .trim()
  .max(100, 'Must be at most 100 characters')
  .regex(/^(?:[A-Za-z][A-Za-z0-9-]*|[0-9]+(?:\.[0-9]+)+)(?:;[A-Za-z0-9-]+)*$/, 'An attribute name such as uid or mail');

const mapped = attributeName.nullable().optional();
export const attributeMappingSchema = z
  .object({
    username: mapped,
    firstName: mapped,
    lastName: mapped,
    email: mapped,
    phone: mapped,
    department: mapped,
    externalId: mapped.describe('An attribute that never changes: objectGUID, entryUUID, nsUniqueId, ipaUniqueID'),
    groupName: mapped,
    groupMember: mapped.describe("The group's attribute listing its members' DNs"),
    memberOf: mapped.describe("The user's attribute listing their groups' DNs, where the directory keeps one"),
  })
  .strict();
export type AttributeMapping = Record<MappedAttribute, string | null>;

/** The URL of a directory: ldap:// (with StartTLS unless turned off) or ldaps://, a host and optionally a port. */
export const directoryUrlSchema = z
  .string()
  .trim()
  .min(1, 'URL is required')
  .max(500, 'Must be at most 500 characters')
  .superRefine((value, ctx) => {
    const problem = urlProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export function urlProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'Enter the directory address, such as ldaps://dc1.example.com or ldap://ldap.example.com:389';
  }
  if (url.protocol !== 'ldap:' && url.protocol !== 'ldaps:') return 'The URL must start with ldap:// or ldaps://';
  if (!url.hostname) return 'The URL must name a host, such as ldaps://dc1.example.com';
  if (url.username || url.password) return 'Put the bind DN and password in their own fields, not in the URL';
  if ((url.pathname && url.pathname !== '/') || url.search || url.hash)
    return 'The URL is the host and port only; the base DNs have their own fields';
  return null;
}

/** A search filter (RFC 4515), checked only for length here: its syntax is checked with the LDAP client's parser. */
const filterText = z.string().trim().min(1, 'A filter is required').max(2000, 'Must be at most 2000 characters');

const dnText = (what: string) =>
  z
    .string()
    .trim()
    .min(1, `${what} is required`)
    .max(1000, 'Must be at most 1000 characters')
    .regex(/^[^=,]+=[\s\S]+$/, `${what} is a DN such as ou=people,dc=example,dc=org`);

export const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----/g;

/** PEM certificates (one or a chain) the directory's certificate must be issued by (the server parses each). */
const caCertificate = z
  .string()
  .trim()
  .max(65_536, 'Must be at most 64 KB')
  .refine(
    (value) => !value || new RegExp(PEM_CERTIFICATE.source).test(value),
    'Paste the CA certificate in PEM form (-----BEGIN CERTIFICATE-----)',
  )
  .transform((value) => value || null);

/** What a sync does with users gone from the directory or its filter. */
export const MISSING_USERS = ['disable', 'delete', 'keep'] as const;
export type MissingUsersChoice = (typeof MISSING_USERS)[number];

export const missingUsersSchema = z
  .enum(MISSING_USERS, { error: `Missing users is one of: ${MISSING_USERS.join(', ')}` })
  .describe(
    'Users gone from the directory or out of its filter: disable (the default; their sessions end, they are enabled again if they come back), delete, or keep',
  );

export const scheduleMinutesSchema = z
  .number({ error: 'Schedule is a number of minutes' })
  .int('Schedule is a whole number of minutes')
  .min(5, 'At least 5 minutes')
  .max(10_080, 'At most a week (10,080 minutes)')
  .nullable()
  .describe('Minutes between scheduled incremental syncs (a full one each day); null = on demand only');

export const passwordSignInSchema = z
  .boolean({ error: 'Password sign-in is true or false' })
  .describe(
    'true: the users this connection synced sign in with their directory password (checked by a bind as their entry), which Roster cannot change; default false',
  );

export const SYNC_KINDS = ['full', 'incremental'] as const;
export type SyncKind = (typeof SYNC_KINDS)[number];

export const directorySyncRequestSchema = z
  .object({
    kind: z
      .enum(SYNC_KINDS, { error: 'Kind is full or incremental' })
      .default('full')
      .describe('full reads every entry; incremental only those changed since the last sync (and who is gone)'),
    preview: z.boolean().optional().describe('true: answer what the sync would do, writing nothing (a dry run)'),
  })
  .strict();
export type DirectorySyncRequest = z.output<typeof directorySyncRequestSchema>;

const connectionFields = {
  name: z
    .string()
    .trim()
    .min(1, 'Name is required')
    .max(100, 'Must be at most 100 characters')
    .describe('Unique in the account; users created by a sync show it as their source'),
  url: directoryUrlSchema,
  startTls: z
    .boolean()
    .optional()
    .describe(
      'For ldap:// URLs: upgrade the connection with StartTLS before binding (default true; ldaps:// ignores it)',
    ),
  caCertificate: caCertificate
    .nullable()
    .optional()
    .describe("PEM of the CA that issued the directory's certificate; none = the system's trusted CAs"),
  bindDn: z
    .string()
    .trim()
    .min(1, 'Bind DN is required')
    .max(1000, 'Must be at most 1000 characters')
    .describe('The DN Roster binds as (Active Directory also takes user@domain)'),
  usersBaseDn: dnText('Users base DN'),
  usersFilter: filterText.optional().describe("Which entries are users (default: the vendor preset's)"),
  groupsBaseDn: dnText('Groups base DN'),
  groupsFilter: filterText.optional().describe("Which entries are groups (default: the vendor preset's)"),
  vendor: z.enum(DIRECTORY_VENDORS, { error: `Vendor is one of: ${DIRECTORY_VENDORS.join(', ')}` }),
  attributes: attributeMappingSchema
    .optional()
    .describe("Attribute names that differ from the vendor preset's (null: not read)"),
};

const bindPassword = z.string().max(1000, 'Must be at most 1000 characters');

/** Settings tested without being saved, and the body of a new connection: the password is required. */
export const directoryConnectionCreateSchema = z
  .object({
    ...connectionFields,
    bindPassword: bindPassword.min(1, 'Bind password is required').describe('Write-only: never returned'),
    missingUsers: missingUsersSchema.optional(),
    scheduleMinutes: scheduleMinutesSchema.optional(),
    passwordSignIn: passwordSignInSchema.optional(),
  })
  .strict();
export type DirectoryConnectionCreateInput = z.input<typeof directoryConnectionCreateSchema>;
export type DirectoryConnectionCreate = z.output<typeof directoryConnectionCreateSchema>;

/** Unsaved settings to test: a connection's fields, with a name optional (it is not saved). */
export const directoryConnectionTestSchema = z
  .object({
    ...connectionFields,
    name: connectionFields.name.optional(),
    bindPassword: bindPassword.min(1, 'Bind password is required').describe('Used for this test only'),
  })
  .strict();
export type DirectoryConnectionTestInput = z.output<typeof directoryConnectionTestSchema>;

export const directoryConnectionUpdateSchema = z
  .object({
    name: connectionFields.name.optional(),
    url: connectionFields.url.optional(),
    startTls: connectionFields.startTls,
    caCertificate: connectionFields.caCertificate,
    bindDn: connectionFields.bindDn.optional(),
    bindPassword: bindPassword
      .optional()
      .describe(
        'Write-only. Absent keeps the stored one, except that a new URL, StartTLS setting or CA certificate needs it again',
      ),
    usersBaseDn: connectionFields.usersBaseDn.optional(),
    usersFilter: connectionFields.usersFilter,
    groupsBaseDn: connectionFields.groupsBaseDn.optional(),
    groupsFilter: connectionFields.groupsFilter,
    vendor: connectionFields.vendor
      .optional()
      .describe('A new vendor fills in its filters and attributes (unless given)'),
    attributes: connectionFields.attributes,
    missingUsers: missingUsersSchema.optional(),
    scheduleMinutes: scheduleMinutesSchema.optional(),
    passwordSignIn: passwordSignInSchema.optional(),
  })
  .strict();
export type DirectoryConnectionUpdate = z.output<typeof directoryConnectionUpdateSchema>;

/** The steps of a connection test, in order; a failed test names the one that failed. */
export const DIRECTORY_TEST_STEPS = ['filter', 'dns', 'tcp', 'tls', 'bind', 'baseDn', 'search'] as const;
export type DirectoryTestStep = (typeof DIRECTORY_TEST_STEPS)[number];
