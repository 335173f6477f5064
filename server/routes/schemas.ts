// Response schemas: what the API returns, named for the OpenAPI document.
import { z } from '@hono/zod-openapi';
import { ACCESS_TYPES, AUTH_METHODS, USER_STATUSES } from '../../shared/constants.js';
import { AUDIO_ACCESS, REPORTING_ACCESS, SCORING_ACCESS } from '../../shared/organization-schemas.js';

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'ValidationFailed' }),
      message: z.string(),
      fields: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .openapi('Error');

const range = z.tuple([z.number().int(), z.number().int()]);

export const UserSchema = z
  .object({
    id: z.number().int(),
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
    nicknames: z.array(z.string()),
    agentId: z.string().openapi({ description: 'Call tracking: the agent id ("" when none)' }),
    ringTo: z.string().nullable().openapi({ description: "Call tracking: the agent's ring-to number" }),
    scoringEnabled: z.boolean().openapi({ description: 'Conversations may be assigned to this user for scoring' }),
    roamingAgent: z
      .boolean()
      .openapi({ description: 'May be assigned conversations of any group among the groups they may see' }),
    reportingAccess: z.enum(REPORTING_ACCESS),
    audioAccess: z.enum(AUDIO_ACCESS),
    scoringAccess: z.enum(SCORING_ACCESS),
    visibleGroupIds: z
      .array(z.number().int())
      .optional()
      .openapi({ description: 'Groups the user may see; on single-user answers (not in lists)' }),
    licenses: z.array(z.object({ app: z.string(), name: z.string() })),
    createdAt: z.string(),
    updatedAt: z.string(),
    lastSignInAt: z.string().nullable(),
    profileId: z.number().int().nullable().openapi({ description: 'The user’s profile; null = none' }),
    locked: z.boolean().openapi({ description: 'Locked out of password sign-in after too many failures' }),
    lockedUntil: z.string().nullable(),
    can: z
      .object({ update: z.boolean(), delete: z.boolean() })
      .openapi({ description: 'What the caller may do with this user' }),
  })
  .openapi('User');

export const UserListItemSchema = UserSchema.extend({
  highlights: z.record(z.string(), z.array(range)).openapi({
    description: 'Matched parts of each field as [start, end) ranges; nicknames ranges are on nicknames joined by ", "',
  }),
}).openapi('UserListItem');

export const UserListSchema = z
  .object({
    items: z.array(UserListItemSchema),
    total: z.number().int(),
    totalExact: z
      .boolean()
      .openapi({ description: 'false: there are at least `total` matches (searches count up to 10,000)' }),
    nextCursor: z.string().nullable(),
    prevCursor: z.string().nullable(),
  })
  .openapi('UserList');

export const FacetsSchema = z
  .object({ departments: z.array(z.string()), sources: z.array(z.string()), total: z.number().int() })
  .openapi('UserFacets');

export const SessionSchema = z
  .object({
    user: UserSchema,
    account: z.object({ id: z.number().int(), name: z.string(), slug: z.string() }),
    csrfToken: z.string().openapi({ description: 'Send as X-CSRF-Token on every state-changing request' }),
    requiredActions: z.array(z.string()),
    abilities: z.object({
      manageUsers: z.boolean(),
      importUsers: z.boolean(),
      readAudit: z.boolean(),
      manageAccess: z.boolean(),
      readProfiles: z.boolean(),
      createProfiles: z.boolean(),
    }),
  })
  .openapi('Session');

export const SavedFilterSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    filter: z.record(z.string(), z.unknown()),
    sort: z.string().nullable(),
    order: z.string().nullable(),
    isDefault: z.boolean(),
    createdAt: z.string(),
  })
  .openapi('SavedFilter');

export const AuditEventSchema = z
  .object({
    id: z.number().int(),
    at: z.string(),
    action: z.string(),
    actor: z.object({ id: z.number().int(), username: z.string().nullable() }).nullable(),
    target: z.object({ type: z.string(), id: z.string(), label: z.string().nullable() }).nullable(),
    before: z.unknown(),
    after: z.unknown(),
    ip: z.string().nullable(),
  })
  .openapi('AuditEvent');

export const IdParams = z.object({
  id: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: 'id', in: 'path' }, example: 42 }),
});

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

export const errors = {
  400: json(ErrorSchema, 'Invalid input; `fields` names each field'),
  401: json(ErrorSchema, 'Not signed in'),
  403: json(ErrorSchema, 'Not allowed'),
};

export const body = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
});

export const csv = { content: { 'text/csv': { schema: z.string() } }, description: 'CSV file' };

export const xlsx = {
  content: {
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': {
      schema: z.string().openapi({ format: 'binary' }),
    },
  },
  description: 'XLSX workbook',
};
