// Directory sync runs, and the links from directory entries (by external id) to the users and groups they made.
import type { Generated } from 'kysely';

export interface DirectorySyncRunsTable {
  id: Generated<number>;
  account_id: number;
  connection_id: number;
  /** full or incremental. */
  kind: string;
  preview: Generated<number>;
  /** running, succeeded or failed. */
  status: string;
  /** null: started by the schedule. */
  started_by: number | null;
  started_at: string;
  heartbeat_at: string;
  finished_at: string | null;
  created: Generated<number>;
  updated: Generated<number>;
  disabled: Generated<number>;
  enabled: Generated<number>;
  deleted: Generated<number>;
  unchanged: Generated<number>;
  /** Users whose sync switch is off. */
  skipped: Generated<number>;
  errors: Generated<number>;
  groups_created: Generated<number>;
  groups_updated: Generated<number>;
  groups_deleted: Generated<number>;
  memberships_changed: Generated<number>;
  progress_done: Generated<number>;
  progress_total: Generated<number>;
  /** JSON array of { dn, message }. */
  errors_json: Generated<string>;
  /** JSON array of { dn, message }. */
  warnings_json: Generated<string>;
  message: string | null;
}

export interface DirectoryUserLinksTable {
  connection_id: number;
  external_id: string;
  user_id: number;
  dn: string;
  disabled_by_sync: Generated<number>;
}

export interface DirectoryGroupLinksTable {
  connection_id: number;
  external_id: string;
  group_id: number;
  dn: string;
}
