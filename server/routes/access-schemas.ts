// Response schemas of roles, licenses, application settings, application keys and decisions.
import { z } from '@hono/zod-openapi';
import { APP_KEYS, CHAT_STATUSES } from '../../shared/access.js';

const app = z.enum(APP_KEYS);

export const AppParams = z.object({
  app: app.openapi({ param: { name: 'app', in: 'path' }, example: 'voice_analytics' }),
});

export const UserAppParams = z.object({
  id: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: 'id', in: 'path' }, example: 42 }),
  app: app.openapi({ param: { name: 'app', in: 'path' }, example: 'chat' }),
});

export const UserRoleParams = z.object({
  id: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: 'id', in: 'path' }, example: 42 }),
  roleId: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: 'roleId', in: 'path' }, example: 7 }),
});

export const RoleSchema = z
  .object({
    id: z.number().int(),
    application: app,
    name: z.string(),
    description: z.string(),
    composite: z.boolean(),
    builtIn: z.boolean(),
    children: z.array(z.object({ id: z.number().int(), name: z.string() })),
    effective: z.array(z.string()).openapi({ description: 'Every role a composite expands to, nested' }),
    can: z.object({ update: z.boolean(), delete: z.boolean() }),
  })
  .openapi('Role');

export const ApplicationSchema = z
  .object({
    key: app,
    name: z.string(),
    license: z.string(),
    accessTypeRoles: z
      .array(z.object({ accessType: z.string(), role: z.string() }))
      .openapi({ description: 'The role each access type maps to in this application' }),
    roles: z.array(RoleSchema),
  })
  .openapi('Application');

const briefRole = {
  id: z.number().int(),
  application: app,
  name: z.string(),
  description: z.string(),
  composite: z.boolean(),
  builtIn: z.boolean(),
};

const userAccessAbilities = z.object({
  assignRoles: z.boolean(),
  manageLicenses: z.boolean(),
  editSettings: z.boolean(),
});

export const UserRolesSchema = z
  .object({
    assigned: z.array(z.object(briefRole)),
    fromAccessType: z.array(z.object({ ...briefRole, via: z.string() })),
    effective: z.array(z.object({ ...briefRole, from: z.array(z.string()) })),
    can: userAccessAbilities,
  })
  .openapi('UserRoles');

const poolState = z.object({
  size: z.number().int(),
  used: z.number().int(),
  licensedByDefault: z.boolean(),
  updatedAt: z.string(),
});

export const LicenseOverviewItemSchema = z
  .object({
    application: app,
    name: z.string(),
    license: z.string(),
    kind: z.enum(['seats', 'minutes']),
    licensedUsers: z.number().int(),
    pool: poolState.nullable(),
    can: z.object({ updatePool: z.boolean() }),
  })
  .openapi('LicenseOverviewItem');

export const LicenseOverviewSchema = z
  .object({ users: z.number().int(), applications: z.array(LicenseOverviewItemSchema) })
  .openapi('LicenseOverview');

export const UserLicensesSchema = z
  .object({
    applications: z.array(
      z.object({
        application: app,
        name: z.string(),
        license: z.string(),
        licensed: z.boolean(),
        grantedAt: z.string().nullable(),
        pool: z.object({ kind: z.string(), size: z.number().int(), used: z.number().int() }).nullable(),
      }),
    ),
    analysisEnabled: z.boolean(),
    can: userAccessAbilities,
  })
  .openapi('UserLicenses');

export const AppSettingsSchema = z
  .object({
    chat: z.object({ status: z.enum(CHAT_STATUSES), chatLimit: z.number().int(), tag: z.string() }),
    analysisEnabled: z.boolean(),
    can: userAccessAbilities,
  })
  .openapi('UserAppSettings');

export const ApiKeySchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    hint: z.string().openapi({ description: 'The prefix and last characters, to tell keys apart' }),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    can: z.object({ revoke: z.boolean() }),
  })
  .openapi('ApiKey');

export const NewApiKeySchema = ApiKeySchema.extend({
  key: z.string().openapi({ description: 'The key itself: shown only in this response, never again' }),
}).openapi('NewApiKey');

export const DecisionSchema = z
  .object({
    userId: z.number().int().nullable(),
    allowed: z.boolean(),
    reason: z.object({
      code: z.string().openapi({ example: 'Allowed' }),
      message: z.string(),
      rule: z.string().optional().openapi({ example: 'voice_analytics.recording.read.any' }),
      role: z.string().optional().openapi({ example: 'VA_READ_ALL' }),
      via: z.string().optional().openapi({ example: 'VA_ALL_RECORDINGS (access type Admin)' }),
    }),
  })
  .openapi('Decision');

export const AccessProfileSchema = z
  .object({
    id: z.number().int(),
    username: z.string(),
    firstName: z.string(),
    lastName: z.string().nullable(),
    email: z.string().nullable(),
    accessType: z.string(),
    isOwner: z.boolean(),
    enabled: z.boolean(),
    licenses: z.array(z.object({ app: z.string(), name: z.string() })),
    applications: z.record(z.string(), z.object({ licensed: z.boolean(), roles: z.array(z.string()) })),
    chat: z.object({ status: z.string(), chatLimit: z.number().int(), tag: z.string() }),
    analysisEnabled: z.boolean(),
  })
  .openapi('AccessProfile');

export const PolicyRuleSchema = z
  .object({
    id: z.string(),
    action: z.string(),
    scope: z.enum(['own', 'any', 'member_group', 'managed_group']),
    roles: z.array(z.string()),
    condition: z.string().optional(),
  })
  .openapi('PolicyRule');
