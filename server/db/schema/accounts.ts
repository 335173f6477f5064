// Accounts: the customers (tenants); everything else belongs to exactly one.
import type { Generated } from 'kysely';

export interface AccountsTable {
  id: Generated<number>;
  slug: string;
  name: string;
  owner_user_id: number | null;
  default_time_zone: string;
  created_at: string;
}
