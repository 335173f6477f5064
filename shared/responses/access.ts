// Response schemas of access: applications and roles, a user's roles, licenses and settings, application keys,
// decisions and access profiles.
import { z } from 'zod';
import { APP_KEYS, CHAT_STATUSES } from '../access.js';
import { ACCESS_TYPES } from '../constants.js';
import { UserLicenseSchema } from './users.js';

const id = z.number().int();
const app = z.enum(APP_KEYS);
const POOL_KINDS = ['seats', 'minutes'] as const;

export const RoleSchema = z
  .object({
    id,
    application: app,
    name: z.string(),
    description: z.string(),
    composite: z.boolean(),
    builtIn: z.boolean(),
    children: z.array(z.object({ id, name: z.string() })),
    effective: z.array(z.string()).describe('Every role a composite expands to, nested'),
    can: z.object({ update: z.boolean(), delete: z.boolean() }),
  })
  .meta({ id: 'Role' });
export type Role = z.output<typeof RoleSchema>;

export const ApplicationSchema = z
  .object({
    key: app,
    name: z.string(),
    license: z.string(),
    accessTypeRoles: z
      .array(z.object({ accessType: z.enum([...ACCESS_TYPES, 'owner']), role: z.string() }))
      .describe('The role each access type (and the account owner) maps to in this application'),
    roles: z.array(RoleSchema),
  })
  .meta({ id: 'Application' });
export type Application = z.output<typeof ApplicationSchema>;

export const ApplicationListSchema = z.object({ items: z.array(ApplicationSchema) });

export const PolicyRuleSchema = z
  .object({
    id: z.string(),
    action: z.string(),
    scope: z.enum(['own', 'any', 'member_group', 'managed_group']),
    roles: z.array(z.string()),
    condition: z.string().optional(),
  })
  .meta({ id: 'PolicyRule' });

export const PolicyRuleListSchema = z.object({ items: z.array(PolicyRuleSchema) });

const BriefRoleSchema = RoleSchema.pick({
  id: true,
  application: true,
  name: true,
  description: true,
  composite: true,
  builtIn: true,
});

/** What the caller may change of a user's access. */
const UserAccessAbilitiesSchema = z.object({
  assignRoles: z.boolean(),
  manageLicenses: z.boolean(),
  editSettings: z.boolean(),
});
export type UserAccessAbilities = z.output<typeof UserAccessAbilitiesSchema>;

export const UserRolesSchema = z
  .object({
    assigned: z.array(BriefRoleSchema),
    fromAccessType: z.array(BriefRoleSchema.extend({ via: z.string() })),
    effective: z.array(BriefRoleSchema.extend({ from: z.array(z.string()) })),
    can: UserAccessAbilitiesSchema,
  })
  .meta({ id: 'UserRoles' });
export type UserRoles = z.output<typeof UserRolesSchema>;

export const LicenseOverviewItemSchema = z
  .object({
    application: app,
    name: z.string(),
    license: z.string(),
    kind: z.enum(POOL_KINDS),
    licensedUsers: z.number().int(),
    pool: z
      .object({
        size: z.number().int(),
        used: z.number().int(),
        licensedByDefault: z.boolean(),
        updatedAt: z.string(),
      })
      .nullable(),
    can: z.object({ updatePool: z.boolean() }),
  })
  .meta({ id: 'LicenseOverviewItem' });

export const LicenseOverviewSchema = z
  .object({ users: z.number().int(), applications: z.array(LicenseOverviewItemSchema) })
  .meta({ id: 'LicenseOverview' });
export type LicenseOverview = z.output<typeof LicenseOverviewSchema>;

export const UserLicensesSchema = z
  .object({
    applications: z.array(
      z.object({
        application: app,
        name: z.string(),
        license: z.string(),
        licensed: z.boolean(),
        grantedAt: z.string().nullable(),
        pool: z.object({ kind: z.enum(POOL_KINDS), size: z.number().int(), used: z.number().int() }).nullable(),
      }),
    ),
    analysisEnabled: z.boolean(),
    can: UserAccessAbilitiesSchema,
  })
  .meta({ id: 'UserLicenses' });
export type UserLicenses = z.output<typeof UserLicensesSchema>;

export const MinutesUsageSchema = z
  .object({ size: z.number().int(), used: z.number().int(), left: z.number().int() })
  .meta({ id: 'MinutesUsage' });

const ChatSettingsSchema = z.object({ status: z.enum(CHAT_STATUSES), chatLimit: z.number().int(), tag: z.string() });

export const AppSettingsSchema = z
  .object({ chat: ChatSettingsSchema, analysisEnabled: z.boolean(), can: UserAccessAbilitiesSchema })
  .meta({ id: 'UserAppSettings' });
export type AppSettings = z.output<typeof AppSettingsSchema>;

export const ApiKeySchema = z
  .object({
    id,
    name: z.string(),
    hint: z.string().describe('The prefix and last characters, to tell keys apart'),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    can: z.object({ revoke: z.boolean() }),
  })
  .meta({ id: 'ApiKey' });
export type ApiKey = z.output<typeof ApiKeySchema>;

export const ApiKeyListSchema = z.object({ items: z.array(ApiKeySchema) });

export const NewApiKeySchema = ApiKeySchema.extend({
  key: z.string().describe('The key itself: shown only in this response, never again'),
}).meta({ id: 'NewApiKey' });

export const DecisionSchema = z
  .object({
    userId: id.nullable(),
    allowed: z.boolean(),
    reason: z.object({
      code: z.string().meta({ example: 'Allowed' }),
      message: z.string(),
      rule: z.string().optional().meta({ example: 'voice_analytics.recording.read.any' }),
      role: z.string().optional().meta({ example: 'VA_READ_ALL' }),
      via: z.string().optional().meta({ example: 'VA_ALL_RECORDINGS (access type Admin)' }),
    }),
  })
  .meta({ id: 'Decision' });

export const DecisionListSchema = z.object({ results: z.array(DecisionSchema) });

export const AccessProfileSchema = z
  .object({
    id,
    username: z.string(),
    firstName: z.string(),
    lastName: z.string().nullable(),
    email: z.string().nullable(),
    accessType: z.enum(ACCESS_TYPES),
    isOwner: z.boolean(),
    enabled: z.boolean(),
    licenses: z.array(UserLicenseSchema),
    applications: z.record(app, z.object({ licensed: z.boolean(), roles: z.array(z.string()) })),
    chat: ChatSettingsSchema,
    analysisEnabled: z.boolean(),
  })
  .meta({ id: 'AccessProfile' });
