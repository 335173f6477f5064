// Users and their credentials; flags are stored as 0/1 integers on both databases.
import type { Generated } from 'kysely';

export interface UsersTable {
  id: Generated<number>;
  account_id: number;
  username: string;
  email: Generated<string>;
  email_verified: Generated<number>;
  first_name: string;
  last_name: Generated<string>;
  phone: Generated<string>;
  department: Generated<string>;
  access_type: string;
  is_owner: Generated<number>;
  auth_method: string;
  enabled: Generated<number>;
  status: Generated<string>;
  time_zone: Generated<string>;
  language: Generated<string>;
  valid_from: Generated<string | null>;
  expires_at: Generated<string | null>;
  source: Generated<string>;
  sync_enabled: Generated<number>;
  nicknames: Generated<string>;
  required_actions: Generated<string>;
  search_doc: Generated<string>;
  name_key: Generated<string>;
  first_key: Generated<string>;
  created_at: string;
  updated_at: string;
  last_sign_in_at: Generated<string | null>;
  /** JSON array of the user's licensed application keys, kept by the license service beside user_licenses. */
  license_apps: Generated<string>;
  /** The ids of the user's role mappings, comma-separated in id order: user_roles copied for decisions (user-facts). */
  role_ids: Generated<string>;
  /** The voice-analytics analysis switch, copied from user_app_settings for decisions (user-facts). */
  analysis_enabled: Generated<number>;
  /** The user's profile (named permission set for admin modules); null = limited by the access type only. */
  profile_id: Generated<number | null>;
  /** Failed password sign-ins in a row; reset by a successful sign-in or an unlock. */
  failed_sign_ins: Generated<number>;
  /** Locked out of password sign-in until then (brute-force protection); null = not locked. */
  locked_until: Generated<string | null>;
  /** Call tracking: agent id, ring-to number, scoring and roaming switches, and access levels. */
  agent_id: Generated<string>;
  ring_to: Generated<string>;
  scoring_enabled: Generated<number>;
  roaming_agent: Generated<number>;
  reporting_access: Generated<string>;
  audio_access: Generated<string>;
  scoring_access: Generated<string>;
  /** SCIM: the provisioning client's own id for the user (case-exact). */
  external_id: Generated<string | null>;
  title: Generated<string>;
  employee_number: Generated<string>;
  /** The user's manager, a user of the same account (SCIM's enterprise `manager`). */
  manager_id: Generated<number | null>;
  /** SCIM attributes without a column of their own, as the client gave them (JSON object). */
  scim_json: Generated<string>;
}

export interface UserCredentialsTable {
  user_id: number;
  password_hash: string;
  temporary: Generated<number>;
  updated_at: string;
}

/** Per-account counts by the list's filter columns, kept by triggers so totals never scan users. */
export interface UserFacetsTable {
  account_id: number;
  access_type: string;
  status: string;
  enabled: Generated<number>;
  department: string;
  source: string;
  n: number;
}

/**
 * PostgreSQL only: the first two letters of every word of each user's search document (but words that start with an
 * ASCII digit), in name order, kept by triggers (migration 0028).
 */
export interface UserWordStartsTable {
  account_id: number;
  start: string;
  name_key: string;
  user_id: number;
}

/** PostgreSQL only: facet counts a transaction adds when it commits (migration 0018). */
export interface UserFacetPendingTable extends UserFacetsTable {
  id: Generated<number>;
}
