// Shapes of the access API as the console reads them: roles, role mappings, licenses, settings, application keys.
// Inferred from the schemas the server documents and tests validate (shared/responses/access.ts).
export type {
  ApiKey,
  Application,
  AppSettings,
  LicenseOverview,
  Role,
  UserAccessAbilities,
  UserLicenses,
  UserRoles,
} from '../../shared/responses/access.js';
