// The whole database, one table a file.
import type {
  AccountSecurityTable,
  IdentityProvidersTable,
  MailOutboxTable,
  PasswordHistoryTable,
  SsoFlowsTable,
  UserIdentitiesTable,
  UserOtpTable,
  UserRecoveryCodesTable,
  UserTokensTable,
} from './account-security.js';
import type { AccountsTable } from './accounts.js';
import type { ApiKeysTable } from './api-keys.js';
import type { AuditEventsTable } from './audit-events.js';
import type { DirectoryConnectionsTable } from './directory-connections.js';
import type { DirectoryGroupLinksTable, DirectorySyncRunsTable, DirectoryUserLinksTable } from './directory-sync.js';
import type { ImportJobsTable, ImportSettingsTable } from './import-jobs.js';
import type { LicensePoolsTable, UserLicensesTable } from './licenses.js';
import type {
  ChatGroupDepartmentsTable,
  ChatGroupsTable,
  DepartmentsTable,
  EventsTable,
  GroupMembersTable,
  GroupRoleTable,
  GroupsTable,
  UserEventSequencesTable,
  UserVisibleGroupsTable,
} from './organization.js';
import type { ProfilesTable } from './profiles.js';
import type { RoleCatalogsTable, RoleChildrenTable, RolesTable, UserRolesTable } from './roles.js';
import type { SavedFiltersTable } from './saved-filters.js';
import type { ScimTokensTable } from './scim-tokens.js';
import type { SessionsTable } from './sessions.js';
import type { SignInThrottleTable } from './sign-in-throttle.js';
import type { UserAppSettingsTable } from './user-app-settings.js';
import type {
  UserCredentialsTable,
  UserFacetPendingTable,
  UserFacetsTable,
  UsersTable,
  UserWordStartsTable,
} from './users.js';
import type { WebhookDeliveriesTable, WebhookEndpointsTable } from './webhooks.js';

export interface Database {
  accounts: AccountsTable;
  users: UsersTable;
  user_credentials: UserCredentialsTable;
  user_facets: UserFacetsTable;
  user_facet_pending: UserFacetPendingTable;
  user_word_starts: UserWordStartsTable;
  sessions: SessionsTable;
  sign_in_throttle: SignInThrottleTable;
  audit_events: AuditEventsTable;
  saved_filters: SavedFiltersTable;
  roles: RolesTable;
  role_children: RoleChildrenTable;
  role_catalogs: RoleCatalogsTable;
  user_roles: UserRolesTable;
  license_pools: LicensePoolsTable;
  user_licenses: UserLicensesTable;
  user_app_settings: UserAppSettingsTable;
  api_keys: ApiKeysTable;
  import_jobs: ImportJobsTable;
  import_settings: ImportSettingsTable;
  profiles: ProfilesTable;
  groups: GroupsTable;
  group_members: GroupMembersTable;
  group_supervisors: GroupRoleTable;
  group_managers: GroupRoleTable;
  departments: DepartmentsTable;
  chat_groups: ChatGroupsTable;
  chat_group_departments: ChatGroupDepartmentsTable;
  user_visible_groups: UserVisibleGroupsTable;
  events: EventsTable;
  user_event_sequences: UserEventSequencesTable;
  account_security: AccountSecurityTable;
  mail_outbox: MailOutboxTable;
  user_tokens: UserTokensTable;
  password_history: PasswordHistoryTable;
  user_otp: UserOtpTable;
  user_recovery_codes: UserRecoveryCodesTable;
  identity_providers: IdentityProvidersTable;
  user_identities: UserIdentitiesTable;
  sso_flows: SsoFlowsTable;
  scim_tokens: ScimTokensTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  directory_connections: DirectoryConnectionsTable;
  directory_sync_runs: DirectorySyncRunsTable;
  directory_user_links: DirectoryUserLinksTable;
  directory_group_links: DirectoryGroupLinksTable;
}

export type { AccountsTable, AuditEventsTable, SavedFiltersTable, SessionsTable, UserCredentialsTable, UsersTable };
