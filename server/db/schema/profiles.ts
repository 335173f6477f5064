// Profiles: named permission sets for the admin modules; a user has at most one (users.profile_id).
import type { Generated } from 'kysely';

export interface ProfilesTable {
  id: Generated<number>;
  account_id: number;
  /** Immutable once created (imports and profiles' own item lists refer to profiles by name). */
  name: string;
  description: Generated<string>;
  /** JSON: each module's access ({ access: all | none | some, items }), validated by shared/profile-schemas.ts. */
  modules_json: Generated<string>;
  created_at: string;
  updated_at: string;
}
