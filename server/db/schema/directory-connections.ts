// Directory connections of an account: an LDAP or Active Directory server users and groups are synced from.
import type { Generated } from 'kysely';

export interface DirectoryConnectionsTable {
  id: Generated<number>;
  account_id: number;
  /** Unique in the account; the source of the users a sync creates. */
  name: string;
  url: string;
  start_tls: number;
  ca_certificate: string | null;
  bind_dn: string;
  /** Kept in clear, as the SMTP password is: the directory needs the password itself. Never returned. */
  bind_password: string;
  users_base_dn: string;
  users_filter: string;
  groups_base_dn: string;
  groups_filter: string;
  vendor: string;
  /** JSON object: Roster's field -> the directory attribute holding it (null: not read). */
  attribute_mapping_json: string;
  /** disable, delete or keep: users gone from the directory. */
  missing_users: Generated<string>;
  /** Minutes between scheduled syncs; null = on demand only. */
  schedule_minutes: Generated<number | null>;
  /** Where the last successful sync's reading stopped (modifyTimestamp, or uSNChanged on AD). */
  high_water_mark: Generated<string | null>;
  /** 1: synced users sign in with their directory password. */
  password_sign_in: Generated<number>;
  created_by: number | null;
  created_at: string;
  updated_at: string;
}
