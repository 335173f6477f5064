// Each application's roles (plain and composite, built-in and the account's own) and who holds them.
import type { Generated } from 'kysely';

export interface RolesTable {
  id: Generated<number>;
  account_id: number;
  app: string;
  name: string;
  description: Generated<string>;
  composite: Generated<number>;
  built_in: Generated<number>;
  created_at: string;
}

/** The roles a composite role contains (directly; nesting is expanded when read). */
export interface RoleChildrenTable {
  account_id: number;
  role_id: number;
  child_id: number;
}

/** Bumped with every change to an account's roles, so caches know when to reload. */
export interface RoleCatalogsTable {
  account_id: number;
  version: Generated<number>;
}

/** Role mappings: the roles given to a user (composites are expanded when read). */
export interface UserRolesTable {
  account_id: number;
  user_id: number;
  role_id: number;
  created_at: string;
}
