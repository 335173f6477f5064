// Application keys: how the suite's applications call Roster; only a SHA-256 of each key is stored.
import type { Generated } from 'kysely';

export interface ApiKeysTable {
  id: Generated<number>;
  account_id: number;
  name: string;
  token_hash: string;
  /** The key's last characters, so an admin can tell keys apart without the key. */
  token_hint: string;
  created_by: number | null;
  created_at: string;
  last_used_at: Generated<string | null>;
}
