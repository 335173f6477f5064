// The group tree, team memberships, supervisors, "can manage" groups, departments, chat-routing groups, events.
import type { Generated } from 'kysely';

export interface GroupsTable {
  id: Generated<number>;
  account_id: number;
  /** null: a level-2 group, whose parent is the account (level 1). */
  parent_id: number | null;
  /** parent_id or 0, for the unique sibling-name index. */
  parent_key: Generated<number>;
  name: string;
  /** Folded name: case- and accent-insensitive sibling uniqueness and alphabetical order. */
  name_key: string;
  level: number;
  created_at: string;
  updated_at: string;
  /** SCIM: the provisioning client's own id for the group. */
  external_id: Generated<string | null>;
  /** Counts every change of the group and its members (its ETag). */
  version: Generated<number>;
}

export interface GroupMembersTable {
  group_id: number;
  user_id: number;
  account_id: number;
  is_main: Generated<number>;
  created_at: string;
}

export interface GroupRoleTable {
  group_id: number;
  user_id: number;
  account_id: number;
  created_at: string;
}

export interface DepartmentsTable {
  id: Generated<number>;
  account_id: number;
  name: string;
  /** The name folded for comparison (case, accents, spaces): unique per account, see departmentKey. */
  name_key: Generated<string>;
  created_at: string;
}

export interface ChatGroupsTable {
  id: Generated<number>;
  account_id: number;
  name: string;
  created_at: string;
}

export interface ChatGroupDepartmentsTable {
  chat_group_id: number;
  department_id: number;
}

export interface UserVisibleGroupsTable {
  user_id: number;
  group_id: number;
  account_id: number;
}

export interface EventsTable {
  id: Generated<number>;
  account_id: number;
  type: string;
  payload_json: string;
  created_at: string;
  /** The user the event is about (no foreign key: a deleted user's events stay). */
  user_id: Generated<number | null>;
  /** The event's number among the user's events: 1, 2, 3... without gaps, in commit order. */
  user_seq: Generated<number | null>;
}

/** The last event number given to each user (kept after the user is deleted). */
export interface UserEventSequencesTable {
  user_id: number;
  account_id: number;
  seq: number;
}
