// Filters an admin saved on the user list, one of which may open by default.
import type { Generated } from 'kysely';

export interface SavedFiltersTable {
  id: Generated<number>;
  account_id: number;
  user_id: number;
  name: string;
  params_json: string;
  is_default: number;
  created_at: string;
}
