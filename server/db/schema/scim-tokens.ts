// Bearer tokens of SCIM clients (identity providers that provision users): only a SHA-256 of each is stored.
import type { Generated } from 'kysely';

export interface ScimTokensTable {
  id: Generated<number>;
  account_id: number;
  name: string;
  token_hash: string;
  /** The token's last characters, so an admin can tell tokens apart without the token. */
  token_hint: string;
  created_by: number | null;
  created_at: string;
  last_used_at: Generated<string | null>;
}
