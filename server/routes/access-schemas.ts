// Path parameters of roles, licenses and application settings, and the access response schemas (from shared/).
import { z } from '@hono/zod-openapi';
import { APP_KEYS } from '../../shared/access.js';
import { idParam } from './schemas.js';

export {
  AccessProfileSchema,
  ApiKeyListSchema,
  ApiKeySchema,
  ApplicationListSchema,
  ApplicationSchema,
  AppSettingsSchema,
  DecisionListSchema,
  DecisionSchema,
  LicenseOverviewItemSchema,
  LicenseOverviewSchema,
  MinutesUsageSchema,
  NewApiKeySchema,
  PolicyRuleListSchema,
  PolicyRuleSchema,
  RoleSchema,
  UserLicensesSchema,
  UserRolesSchema,
} from '../../shared/responses/access.js';

const app = z.enum(APP_KEYS);

export const AppParams = z.object({
  app: app.openapi({ param: { name: 'app', in: 'path' }, example: 'voice_analytics' }),
});

export const UserAppParams = z.object({
  id: idParam('id', 42),
  app: app.openapi({ param: { name: 'app', in: 'path' }, example: 'chat' }),
});

export const UserRoleParams = z.object({
  id: idParam('id', 42),
  roleId: idParam('roleId', 7),
});
