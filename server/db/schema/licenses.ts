// Licenses per user and application, and the account's pools of seats or minutes.
import type { Generated } from 'kysely';

export interface LicensePoolsTable {
  account_id: number;
  app: string;
  /** 'seats' (one per licensed user, counted by triggers) or 'minutes' (shared by all users). */
  kind: string;
  size: number;
  used: Generated<number>;
  licensed_by_default: Generated<number>;
  updated_at: string;
}

export interface UserLicensesTable {
  account_id: number;
  user_id: number;
  app: string;
  granted_at: string;
}
