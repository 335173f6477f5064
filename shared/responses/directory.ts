// Response schemas of directory connections (never the bind password) and of a connection test.
import { z } from 'zod';
import { DIRECTORY_TEST_STEPS, DIRECTORY_VENDORS, MISSING_USERS, SYNC_KINDS } from '../directory-schemas.js';

const attribute = z.string().nullable();

export const AttributeMappingSchema = z
  .object({
    username: attribute,
    firstName: attribute,
    lastName: attribute,
    email: attribute,
    phone: attribute,
    department: attribute,
    externalId: attribute,
    groupName: attribute,
    groupMember: attribute,
    memberOf: attribute,
  })
  .meta({ id: 'DirectoryAttributeMapping' });

export const DirectoryConnectionSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    url: z.string(),
    startTls: z.boolean().describe('ldap:// upgraded with StartTLS before the bind (always false for ldaps://)'),
    caCertificate: z.string().nullable(),
    bindDn: z.string(),
    bindPasswordSet: z.boolean().describe('Whether a bind password is stored; the password itself is never returned'),
    usersBaseDn: z.string(),
    usersFilter: z.string(),
    groupsBaseDn: z.string(),
    groupsFilter: z.string(),
    vendor: z.enum(DIRECTORY_VENDORS),
    attributes: AttributeMappingSchema,
    missingUsers: z.enum(MISSING_USERS),
    scheduleMinutes: z.number().int().nullable(),
    passwordSignIn: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'DirectoryConnection' });
export type DirectoryConnection = z.output<typeof DirectoryConnectionSchema>;

export const DirectoryConnectionListSchema = z.object({ items: z.array(DirectoryConnectionSchema) });

export const DirectoryTestResultSchema = z
  .object({
    ok: z.boolean(),
    failedStep: z
      .enum(DIRECTORY_TEST_STEPS)
      .nullable()
      .describe('filter, dns, tcp, tls, bind, baseDn or search: the step that failed (null when all passed)'),
    reason: z
      .string()
      .nullable()
      .describe('A stable code for the failure, such as HostNotFound, CertificateNotTrusted, InvalidCredentials'),
    field: z.string().nullable().describe('The setting the failure is about (url, bindPassword, usersBaseDn...)'),
    message: z.string(),
    users: z.number().int().nullable().describe('Entries the users filter sees under the users base DN'),
    groups: z.number().int().nullable().describe('Entries the groups filter sees under the groups base DN'),
    elapsedMs: z.number().int(),
  })
  .meta({ id: 'DirectoryTestResult' });
export type DirectoryTestResult = z.output<typeof DirectoryTestResultSchema>;

const EntryProblemSchema = z
  .object({ dn: z.string().describe("The entry's DN"), message: z.string() })
  .meta({ id: 'DirectoryEntryProblem' });

export const DirectorySyncRunSchema = z
  .object({
    id: z.number().int(),
    connectionId: z.number().int(),
    kind: z.enum(SYNC_KINDS),
    preview: z.boolean(),
    status: z.enum(['running', 'succeeded', 'failed']),
    startedBy: z.number().int().nullable().describe('The user who started it; null = the schedule'),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    counts: z.object({
      created: z.number().int(),
      updated: z.number().int(),
      disabled: z.number().int(),
      enabled: z.number().int(),
      deleted: z.number().int(),
      unchanged: z.number().int(),
      skipped: z.number().int().describe('Users whose sync switch is off: left as they are'),
      errors: z.number().int(),
      groupsCreated: z.number().int(),
      groupsUpdated: z.number().int(),
      groupsDeleted: z.number().int(),
      membershipsChanged: z.number().int(),
    }),
    progress: z.object({ done: z.number().int(), total: z.number().int() }),
    errors: z
      .array(EntryProblemSchema)
      .describe(
        'Entries the run could not sync, each named by its DN (the first 1,000; counts.errors counts them all)',
      ),
    warnings: z
      .array(EntryProblemSchema)
      .describe('Entries synced otherwise than the directory has them (the first 1,000)'),
    message: z.string().nullable().describe('Why a failed run stopped'),
  })
  .meta({ id: 'DirectorySyncRun' });
export type DirectorySyncRun = z.output<typeof DirectorySyncRunSchema>;

export const DirectorySyncRunListSchema = z.object({ items: z.array(DirectorySyncRunSchema) });

const planned = <T extends z.ZodType>(item: T) =>
  z.object({
    total: z.number().int(),
    items: z.array(item).describe('The first 1,000 (total counts them all)'),
  });
const PlannedUserSchema = z.object({
  dn: z.string(),
  username: z.string(),
  fields: z.array(z.string()).describe('The fields that change'),
});
const PlannedGroupSchema = z.object({ dn: z.string(), name: z.string() });

export const DirectorySyncPreviewSchema = z
  .object({
    run: DirectorySyncRunSchema,
    users: z.object({
      create: planned(PlannedUserSchema),
      update: planned(PlannedUserSchema),
      disable: planned(PlannedUserSchema),
      enable: planned(PlannedUserSchema),
      delete: planned(PlannedUserSchema),
      unchanged: planned(PlannedUserSchema),
      skip: planned(PlannedUserSchema).describe('Users whose sync switch is off'),
    }),
    groups: z.object({
      create: planned(PlannedGroupSchema),
      update: planned(PlannedGroupSchema),
      delete: planned(PlannedGroupSchema),
      unchanged: planned(PlannedGroupSchema),
    }),
  })
  .meta({ id: 'DirectorySyncPreview' });
export type DirectorySyncPreview = z.output<typeof DirectorySyncPreviewSchema>;
