// Per-user settings of the suite's applications; a user without a row has the defaults.
import type { Generated } from 'kysely';

export interface UserAppSettingsTable {
  user_id: number;
  account_id: number;
  chat_status: Generated<string>;
  chat_limit: Generated<number>;
  chat_tag: Generated<string>;
  analysis_enabled: Generated<number>;
  updated_at: string;
}
