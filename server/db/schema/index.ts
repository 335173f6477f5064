// The whole database, one table a file.
import type { AccountsTable } from './accounts.js';
import type { AuditEventsTable } from './audit-events.js';
import type { SavedFiltersTable } from './saved-filters.js';
import type { SessionsTable } from './sessions.js';
import type { UserCredentialsTable, UserFacetsTable, UsersTable } from './users.js';

export interface Database {
  accounts: AccountsTable;
  users: UsersTable;
  user_credentials: UserCredentialsTable;
  user_facets: UserFacetsTable;
  sessions: SessionsTable;
  audit_events: AuditEventsTable;
  saved_filters: SavedFiltersTable;
}

export type { AccountsTable, AuditEventsTable, SavedFiltersTable, SessionsTable, UserCredentialsTable, UsersTable };
