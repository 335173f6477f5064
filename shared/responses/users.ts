// Response schemas of the user directory: a user, a page of users, facets, saved filters and bulk reports. The
// OpenAPI document and the console's types both come from these.
import { z } from 'zod';
import { APP_KEYS } from '../access.js';
import { BULK_ACTIONS } from '../bulk-schemas.js';
import {
  ACCESS_TYPES,
  AUTH_METHODS,
  COUNT_CAP,
  POSTGRES_COUNT_CAP,
  REQUIRED_ACTIONS,
  USER_SORTS,
  USER_STATUSES,
} from '../constants.js';
import { AUDIO_ACCESS, REPORTING_ACCESS, SCORING_ACCESS } from '../organization-schemas.js';

const id = z.number().int();

/** A license as a user carries it: the application and its license's name. */
export const UserLicenseSchema = z.object({ app: z.string(), name: z.string() });

/** What the caller may do with a user, returned with it so the console never re-derives permissions. */
export const UserAbilitiesSchema = z
  .object({ update: z.boolean(), delete: z.boolean(), unlock: z.boolean() })
  .describe('What the caller may do with this user');
export type UserAbilities = z.output<typeof UserAbilitiesSchema>;

export const UserSchema = z
  .object({
    id,
    username: z.string(),
    email: z.string().nullable(),
    emailVerified: z.boolean(),
    firstName: z.string(),
    lastName: z.string().nullable(),
    displayName: z.string(),
    phone: z.string().nullable(),
    department: z.string().nullable(),
    accessType: z.enum(ACCESS_TYPES),
    authMethod: z.enum(AUTH_METHODS),
    enabled: z.boolean(),
    status: z.enum(USER_STATUSES),
    isOwner: z.boolean(),
    timeZone: z.string().nullable(),
    language: z.string().nullable(),
    validFrom: z.string().nullable(),
    expiresAt: z.string().nullable(),
    source: z.string(),
    syncEnabled: z.boolean(),
    externalId: z.string().nullable().describe("The provisioning client's own id for the user (SCIM externalId)"),
    title: z.string().describe('Job title ("" when none)'),
    employeeNumber: z.string().describe('Employee number ("" when none)'),
    managerId: id.nullable().describe("The user's manager, a user of the same account"),
    nicknames: z.array(z.string()),
    agentId: z.string().describe('Call tracking: the agent id ("" when none)'),
    ringTo: z.string().nullable().describe("Call tracking: the agent's ring-to number"),
    scoringEnabled: z.boolean().describe('Conversations may be assigned to this user for scoring'),
    roamingAgent: z.boolean().describe('May be assigned conversations of any group among the groups they may see'),
    reportingAccess: z.enum(REPORTING_ACCESS),
    audioAccess: z.enum(AUDIO_ACCESS),
    scoringAccess: z.enum(SCORING_ACCESS),
    visibleGroupIds: z
      .array(id)
      .optional()
      .describe('Groups the user may see (call tracking); on single-user answers, not in lists'),
    directory: z
      .object({ connectionId: id, name: z.string() })
      .nullable()
      .optional()
      .describe(
        "The directory connection the user is synced from (null: none); with syncEnabled, the user's fields and group memberships follow it. On single-user answers, not in lists",
      ),
    licenses: z.array(UserLicenseSchema),
    createdAt: z.string(),
    updatedAt: z.string(),
    lastSignInAt: z.string().nullable(),
    profileId: id.nullable().describe('The user’s profile (named permission set for admin modules); null = none'),
    locked: z.boolean().describe('Locked out of password sign-in after too many failures in a row'),
    lockedUntil: z.string().nullable().describe('Until when, or null (an admin may unlock earlier)'),
    requiredActions: z
      .array(z.enum(REQUIRED_ACTIONS))
      .describe('Tasks set for the next sign-in (Configure OTP may also come from the account requiring it)'),
    can: UserAbilitiesSchema,
  })
  .meta({ id: 'User' });
export type User = z.output<typeof UserSchema>;

export const HIGHLIGHT_FIELDS = [
  'firstName',
  'lastName',
  'username',
  'email',
  'phone',
  'department',
  'nicknames',
] as const;
export type HighlightField = (typeof HIGHLIGHT_FIELDS)[number];

/** A `[start, end)` range of a field's text. */
const range = z.tuple([z.number().int(), z.number().int()]);

export const UserListItemSchema = UserSchema.extend({
  highlights: z
    .partialRecord(z.enum(HIGHLIGHT_FIELDS), z.array(range))
    .describe('Matched parts of each field as [start, end) ranges; nicknames ranges are on nicknames joined by ", "'),
}).meta({ id: 'UserListItem' });
export type UserListItem = z.output<typeof UserListItemSchema>;

const cap = (n: number) => n.toLocaleString('en-US');

export const UserListSchema = z
  .object({
    items: z.array(UserListItemSchema),
    total: z.number().int(),
    totalExact: z
      .boolean()
      .describe(
        `false: there are at least \`total\` matches. Searches and group or license filters count exactly up to ${cap(COUNT_CAP)} matches on SQLite and ${cap(POSTGRES_COUNT_CAP)} on PostgreSQL`,
      ),
    nextCursor: z.string().nullable(),
    prevCursor: z.string().nullable(),
  })
  .meta({ id: 'UserList' });
export type UserPage = z.output<typeof UserListSchema>;

export const FacetsSchema = z
  .object({ departments: z.array(z.string()), sources: z.array(z.string()), total: z.number().int() })
  .meta({ id: 'UserFacets' });
export type UserFacets = z.output<typeof FacetsSchema>;

/** A saved filter's filter as stored: the user list's filters, each optional. */
export const SavedFilterBodySchema = z.object({
  q: z.string().optional(),
  accessType: z.enum(ACCESS_TYPES).optional(),
  status: z.enum(USER_STATUSES).optional(),
  enabled: z.boolean().optional(),
  department: z.string().optional(),
  source: z.string().optional(),
  groupId: id.optional(),
  license: z.enum(APP_KEYS).optional(),
});
export type SavedFilterBody = z.output<typeof SavedFilterBodySchema>;

export const SavedFilterSchema = z
  .object({
    id,
    name: z.string(),
    filter: SavedFilterBodySchema,
    sort: z.enum(USER_SORTS).nullable(),
    order: z.enum(['asc', 'desc']).nullable(),
    isDefault: z.boolean(),
    createdAt: z.string(),
  })
  .meta({ id: 'SavedFilter' });
export type SavedFilter = z.output<typeof SavedFilterSchema>;

export const SavedFilterListSchema = z.object({ items: z.array(SavedFilterSchema) });

export const BulkReportSchema = z
  .object({
    action: z.enum(BULK_ACTIONS),
    dryRun: z.boolean(),
    selected: z.number().int().describe('Users in the selection that you may reach'),
    done: z.number().int(),
    skipped: z.number().int(),
    failed: z.number().int(),
    completed: z.boolean().describe('false: an error stopped the action; earlier chunks stay done'),
    error: z.string().nullable(),
    groups: z
      .array(
        z.object({
          outcome: z.enum(['done', 'skipped', 'failed']),
          reason: z.string().nullable().meta({ example: 'already disabled' }),
          users: z.array(z.tuple([id, z.string()])).describe('[id, username] pairs'),
        }),
      )
      .describe('Every user of the selection once, grouped by outcome and reason (empty on a dry run)'),
  })
  .meta({ id: 'BulkReport' });
export type BulkReport = z.output<typeof BulkReportSchema>;
