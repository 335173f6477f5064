// What a sync will do, decided from what the directory holds and what Roster holds, before anything is written (a
// preview shows it as is; a sync writes it). Users are matched by external id only. Only mapped fields are planned:
// everything else on a user (local attributes, licenses, roles, call tracking) is never part of a plan.
import type { AttributeMapping } from '../../../shared/directory-schemas.js';
import { emailSchema, phoneSchema, usernameSchema } from '../../../shared/schemas.js';
import { foldAccents } from '../../../shared/search-text.js';
import { departmentKey } from '../department-key.js';
import { type DirectoryGroup, type DirectoryUser, dnKey } from './reader.js';

export type MissingUsers = 'disable' | 'delete' | 'keep';
export type UserAction = 'create' | 'update' | 'enable' | 'disable' | 'delete' | 'unchanged' | 'skip';

/** The user columns a sync writes (only those the mapping reads, plus enabled and required actions). */
export interface SyncedColumns {
  username?: string;
  first_name?: string;
  last_name?: string;
  email?: string;
  phone?: string;
  department?: string;
  enabled?: number;
  required_actions?: string;
}

export interface PlannedUser {
  action: UserAction;
  dn: string;
  externalId: string;
  username: string;
  userId: number | null;
  /** Where the linked entry was last seen (null: a new user). */
  previousDn: string | null;
  /** The columns to write (create: all of them). */
  set: SyncedColumns;
  /** The link's "disabled by the sync" mark after the change, */
  disabledBySync: boolean;
  /** and before it (false for a new user). */
  wasDisabledBySync: boolean;
}

export interface EntryProblem {
  dn: string;
  message: string;
}

/** A user a connection already links to, as Roster has them now. */
export interface LinkedUser {
  userId: number;
  externalId: string;
  dn: string;
  disabledBySync: boolean;
  username: string;
  first_name: string;
  last_name: string;
  email: string;
  phone: string;
  department: string;
  enabled: number;
  sync_enabled: number;
  required_actions: string;
}

export interface UserPlanInput {
  mapping: AttributeMapping;
  missingUsers: MissingUsers;
  /** The entries read: every user of the filter, or (incremental) those changed since the last sync. */
  entries: DirectoryUser[];
  /** Incremental: the external ids of every user the filter sees now; null when `entries` are all of them. */
  present: Set<string> | null;
  linked: LinkedUser[];
  /** Every username of the account, and whose it is. */
  usernames: Map<string, number>;
  /** Plan the entries only: who is gone is planned apart (an incremental run's `planGone`). */
  onlyEntries?: boolean;
}

export interface UserPlan {
  users: PlannedUser[];
  errors: EntryProblem[];
  /** External ids of the entries that could not be synced (their users are left as they are). */
  failed: Set<string>;
}

const FIELDS = [
  ['firstName', 'first_name'],
  ['lastName', 'last_name'],
  ['email', 'email'],
  ['phone', 'phone'],
  ['department', 'department'],
] as const;

/** An entry's fields as Roster's columns, or what is wrong with them. */
function columnsOf(entry: DirectoryUser, mapping: AttributeMapping): { set: SyncedColumns } | { problem: string } {
  if (!entry.username) return { problem: `The entry has no ${mapping.username} (the username attribute)` };
  const username = usernameSchema.safeParse(entry.username);
  if (!username.success)
    return {
      problem: `The ${mapping.username} "${entry.username}" is not a valid username: ${username.error.issues[0]?.message}`,
    };
  const set: SyncedColumns = { username: username.data };
  for (const [field, column] of FIELDS) {
    if (!mapping[field]) continue;
    const value = entry[field] ?? '';
    if (field === 'email' && !emailSchema.safeParse(value).success)
      return { problem: `The ${mapping.email} "${value}" is not a valid email address` };
    if (field === 'phone' && !phoneSchema.safeParse(value).success)
      return { problem: `The ${mapping.phone} "${value}" is not a valid phone number` };
    if (value.length > 200) return { problem: `The ${mapping[field]} is longer than 200 characters` };
    set[column] = value;
  }
  // Roster's users have a first name: one the directory does not give is the username's.
  if (mapping.firstName && !set.first_name) set.first_name = username.data;
  return { set };
}

function withPasswordChange(current: string, must: boolean): string | undefined {
  if (!must) return undefined;
  const actions = JSON.parse(current || '[]') as string[];
  return actions.includes('update_password') ? undefined : JSON.stringify([...actions, 'update_password']);
}

/** Entries planned between two pauses: a slice takes a few milliseconds, so requests wait little for a plan. */
export const PLAN_SLICE = 2000;

/**
 * Plans in slices: the generator pauses (yields) every PLAN_SLICE items, and whoever drives it decides what happens
 * between two slices (`planUsers` nothing; `planUsersSliced` lets the event loop answer requests).
 */
function* planUsersSteps(input: UserPlanInput): Generator<void, UserPlan> {
  const errors: EntryProblem[] = [];
  const failed = new Set<string>();
  const users: PlannedUser[] = [];
  const byExternalId = new Map(input.linked.map((user) => [user.externalId, user]));
  const linkedIds = new Set(input.linked.map((user) => user.userId));

  // Entries the sync cannot tell apart or name are errors; the rest goes on.
  const valid: { entry: DirectoryUser & { externalId: string }; set: SyncedColumns }[] = [];
  const byUsername = new Map<string, number>();
  const idCount = new Map<string, number>();
  let n = 0;
  for (const entry of input.entries) {
    if (++n % PLAN_SLICE === 0) yield;
    if (!entry.externalId) {
      errors.push({ dn: entry.dn, message: `The entry has no ${input.mapping.externalId} (its external id)` });
      continue;
    }
    const columns = columnsOf(entry, input.mapping);
    if ('problem' in columns) {
      errors.push({ dn: entry.dn, message: columns.problem });
      failed.add(entry.externalId);
      continue;
    }
    const username = columns.set.username as string;
    byUsername.set(username, (byUsername.get(username) ?? 0) + 1);
    idCount.set(entry.externalId, (idCount.get(entry.externalId) ?? 0) + 1);
    valid.push({ entry: entry as DirectoryUser & { externalId: string }, set: columns.set });
  }

  const seen = new Set<string>();
  for (const { entry, set } of valid) {
    if (++n % PLAN_SLICE === 0) yield;
    const username = set.username as string;
    const linked = byExternalId.get(entry.externalId);
    seen.add(entry.externalId);
    // An external id names one entry: entries that share one (an attribute mapped as the external id that is not
    // unique) are all errors, and their user is left as it is.
    if ((idCount.get(entry.externalId) ?? 0) > 1) {
      errors.push({
        dn: entry.dn,
        message: `Another entry of the directory has the same ${input.mapping.externalId} "${entry.externalId}" (its external id)`,
      });
      failed.add(entry.externalId);
      continue;
    }
    if ((byUsername.get(username) ?? 0) > 1) {
      errors.push({
        dn: entry.dn,
        message: `Another entry of the directory has the same ${input.mapping.username} "${username}"`,
      });
      failed.add(entry.externalId);
      continue;
    }
    const holder = input.usernames.get(username);
    if (holder !== undefined && holder !== linked?.userId) {
      errors.push({
        dn: entry.dn,
        message: linkedIds.has(holder)
          ? `The username "${username}" belongs to a user synced from another entry`
          : `The username "${username}" is already used by a user not synced from this directory`,
      });
      failed.add(entry.externalId);
      continue;
    }
    const base = {
      dn: entry.dn,
      externalId: entry.externalId,
      username,
      previousDn: linked?.dn ?? null,
      wasDisabledBySync: linked?.disabledBySync ?? false,
    };
    if (!linked) {
      users.push({
        ...base,
        action: 'create',
        userId: null,
        previousDn: null,
        set: {
          ...set,
          enabled: entry.disabled ? 0 : 1,
          required_actions: JSON.stringify(entry.mustChangePassword ? ['update_password'] : []),
        },
        disabledBySync: entry.disabled,
      });
      continue;
    }
    if (linked.sync_enabled !== 1) {
      users.push({ ...base, action: 'skip', userId: linked.userId, set: {}, disabledBySync: linked.disabledBySync });
      continue;
    }
    const changes: SyncedColumns = {};
    for (const [key, value] of Object.entries(set) as [keyof SyncedColumns, string][]) {
      // The account spells a department one way ("ventas" is its "Ventas"): another spelling is no change.
      if (key === 'department' && departmentKey(linked.department) === departmentKey(value)) continue;
      if (linked[key] !== value) (changes as Record<string, unknown>)[key] = value;
    }
    const actions = withPasswordChange(linked.required_actions, entry.mustChangePassword);
    if (actions) changes.required_actions = actions;
    let action: UserAction = Object.keys(changes).length > 0 ? 'update' : 'unchanged';
    let disabledBySync = linked.disabledBySync;
    if (entry.disabled && linked.enabled === 1) {
      changes.enabled = 0;
      action = 'disable';
      disabledBySync = true;
    } else if (!entry.disabled && linked.enabled === 0 && linked.disabledBySync) {
      // Back in the directory (or enabled there again): the sync undoes its own disabling, never an admin's.
      changes.enabled = 1;
      action = 'enable';
      disabledBySync = false;
    }
    users.push({ ...base, action, userId: linked.userId, set: changes, disabledBySync });
  }

  // Linked users the directory no longer has (or no longer in the filter).
  if (input.onlyEntries) return { users, errors, failed };
  for (const linked of input.linked) {
    if (++n % PLAN_SLICE === 0) yield;
    if (seen.has(linked.externalId) || failed.has(linked.externalId)) continue;
    if (input.present?.has(linked.externalId)) continue;
    const base = {
      dn: linked.dn,
      externalId: linked.externalId,
      username: linked.username,
      userId: linked.userId,
      previousDn: linked.dn,
      wasDisabledBySync: linked.disabledBySync,
    };
    if (linked.sync_enabled !== 1) {
      users.push({ ...base, action: 'skip', set: {}, disabledBySync: linked.disabledBySync });
    } else if (input.missingUsers === 'delete') {
      users.push({ ...base, action: 'delete', set: {}, disabledBySync: linked.disabledBySync });
    } else if (input.missingUsers === 'disable' && linked.enabled === 1) {
      users.push({ ...base, action: 'disable', set: { enabled: 0 }, disabledBySync: true });
    } else {
      users.push({ ...base, action: 'unchanged', set: {}, disabledBySync: linked.disabledBySync });
    }
  }
  return { users, errors, failed };
}

/** Runs a slicing generator to its end at once. */
function runAtOnce<T>(steps: Generator<void, T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * Lets the process answer requests between two slices or transactions: SQLite's driver is synchronous, so a run of
 * statements (or a plan of 100,000 entries) would otherwise keep the event loop to itself from start to end.
 */
export const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Runs a slicing generator, letting the event loop answer what waits between two slices. */
export async function runSliced<T>(steps: Generator<void, T>): Promise<T> {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await breathe();
  }
}

export function planUsers(input: UserPlanInput): UserPlan {
  return runAtOnce(planUsersSteps(input));
}

/** `planUsers`, pausing between slices so that the process answers requests meanwhile. */
export function planUsersSliced(input: UserPlanInput): Promise<UserPlan> {
  return runSliced(planUsersSteps(input));
}

// ---- Groups ----

/** A Roster group a directory group maps to, as Roster has it now. */
export interface LinkedGroup {
  groupId: number;
  externalId: string;
  dn: string;
  name: string;
  parentId: number | null;
}

export interface PlannedGroup {
  action: 'create' | 'update' | 'unchanged';
  dn: string;
  externalId: string;
  name: string;
  /** The external id of the directory group it sits under in Roster (null: a group of the account, level 2). */
  parentExternalId: string | null;
  level: 2 | 3;
  groupId: number | null;
  /** Where the linked group was last seen (null: a new group). */
  previousDn: string | null;
}

export interface GroupPlan {
  groups: PlannedGroup[];
  /** Linked groups the directory no longer has. */
  removed: LinkedGroup[];
  /** Each planned group's members, by normalized DN (its own, and those of the groups flattened into it). */
  members: Map<string, Set<string>>;
  /** Each directory group's DN key -> the DN key of the planned group its members go to (itself, or where flattened). */
  targets: Map<string, string>;
  errors: EntryProblem[];
  warnings: EntryProblem[];
}

/**
 * Maps directory groups onto Roster's tree: a group no other group contains is a group of the account (level 2), a
 * group it contains is its subgroup (level 3), and groups nested deeper are flattened into their level-3 ancestor
 * (their members become its members) with a warning. A group contained by several is placed under the first one.
 */
export function planGroups(
  groups: DirectoryGroup[],
  linked: LinkedGroup[],
  /** Names taken by groups that are not the connection's: parent group id (0: the account) -> folded names. */
  takenNames: Map<number, Set<string>>,
): GroupPlan {
  return runAtOnce(planGroupsSteps(groups, linked, takenNames));
}

/** `planGroups`, pausing between slices (every PLAN_SLICE member DNs) so that the process answers requests. */
export function planGroupsSliced(
  groups: DirectoryGroup[],
  linked: LinkedGroup[],
  takenNames: Map<number, Set<string>>,
): Promise<GroupPlan> {
  return runSliced(planGroupsSteps(groups, linked, takenNames));
}

function* planGroupsSteps(
  groups: DirectoryGroup[],
  linked: LinkedGroup[],
  takenNames: Map<number, Set<string>>,
): Generator<void, GroupPlan> {
  const errors: EntryProblem[] = [];
  const warnings: EntryProblem[] = [];
  const valid = groups.filter((group) => {
    if (!group.externalId) errors.push({ dn: group.dn, message: 'The group has no external id' });
    else if (!group.name) errors.push({ dn: group.dn, message: 'The group has no name' });
    else return true;
    return false;
  });
  valid.sort((a, b) => dnKey(a.dn).localeCompare(dnKey(b.dn)));
  const byDn = new Map(valid.map((group) => [dnKey(group.dn), group]));
  // The first group (in DN order) containing each group: as a member, or through the group's memberOf.
  const parentOf = new Map<string, string>();
  let n = 0;
  for (const group of valid) {
    for (const member of group.members) {
      if (++n % PLAN_SLICE === 0) yield;
      const key = dnKey(member);
      if (byDn.has(key) && key !== dnKey(group.dn) && !parentOf.has(key)) parentOf.set(key, dnKey(group.dn));
    }
  }
  for (const group of valid) {
    for (const parent of group.memberOf) {
      const key = dnKey(parent);
      if (byDn.has(key) && !parentOf.has(dnKey(group.dn)) && key !== dnKey(group.dn))
        parentOf.set(dnKey(group.dn), key);
    }
  }
  /** The group's chain of ancestors, nearest first (a cycle ends it). */
  const ancestors = (key: string): string[] => {
    const out: string[] = [];
    const visited = new Set([key]);
    for (let parent = parentOf.get(key); parent && !visited.has(parent); parent = parentOf.get(parent)) {
      out.push(parent);
      visited.add(parent);
    }
    return out;
  };

  const linkedById = new Map(linked.map((group) => [group.externalId, group]));
  const planned: PlannedGroup[] = [];
  const target = new Map<string, string>(); // group DN key -> the DN key of the Roster group its members go to
  const siblings = new Map<string, Set<string>>(); // parent key -> folded names planned under it
  // Parents before children, so that a child's parent is planned when it is.
  const ordered = valid
    .map((group) => ({ group, chain: ancestors(dnKey(group.dn)) }))
    .sort((a, b) => Math.min(a.chain.length, 2) - Math.min(b.chain.length, 2));
  for (const { group, chain } of ordered) {
    const key = dnKey(group.dn);
    if (chain.length >= 2) {
      // Level 4 or deeper: the level-3 ancestor is the one just below the top of the chain.
      const into = chain[chain.length - 2] as string;
      target.set(key, target.get(into) ?? into);
      warnings.push({
        dn: group.dn,
        message: `Nested more than two groups deep: its members are synced into ${byDn.get(into)?.name} (Roster's groups go three levels deep)`,
      });
      continue;
    }
    const parentKey = chain[0] ?? null;
    if (parentKey && target.get(parentKey) !== parentKey) {
      // The parent could not be planned: neither can its subgroup.
      errors.push({ dn: group.dn, message: 'Its parent group could not be synced' });
      continue;
    }
    const parent = parentKey ? (byDn.get(parentKey) as DirectoryGroup) : null;
    const externalId = group.externalId as string;
    const name = (group.name as string).slice(0, 100);
    const folded = foldAccents(name);
    const place = parentKey ?? '';
    const names = siblings.get(place) ?? new Set<string>();
    siblings.set(place, names);
    const existing = linkedById.get(externalId);
    const parentGroupId = parent ? (linkedById.get(parent.externalId as string)?.groupId ?? null) : 0;
    const clash = names.has(folded) || (parentGroupId !== null && takenNames.get(parentGroupId)?.has(folded) === true);
    if (clash) {
      errors.push({
        dn: group.dn,
        message: `Another group ${parent ? `under ${parent.name}` : 'of the account'} is already called ${name}`,
      });
      continue;
    }
    names.add(folded);
    target.set(key, key);
    const item = {
      dn: group.dn,
      externalId,
      name,
      parentExternalId: parent ? (parent.externalId as string) : null,
      level: (parent ? 3 : 2) as 2 | 3,
    };
    if (!existing) planned.push({ ...item, action: 'create', groupId: null, previousDn: null });
    else {
      const moved = (existing.parentId ?? 0) !== parentGroupId;
      planned.push({
        ...item,
        action: existing.name !== name || moved ? 'update' : 'unchanged',
        groupId: existing.groupId,
        previousDn: existing.dn,
      });
    }
  }

  const members = new Map<string, Set<string>>();
  for (const group of valid) {
    const into = target.get(dnKey(group.dn));
    if (!into) continue;
    const set = members.get(into) ?? new Set<string>();
    members.set(into, set);
    for (const member of group.members) {
      if (++n % PLAN_SLICE === 0) yield;
      const key = dnKey(member);
      if (!byDn.has(key)) set.add(key);
    }
  }
  const kept = new Set(planned.map((group) => group.externalId));
  const failedIds = new Set(
    valid.filter((group) => !target.has(dnKey(group.dn))).map((group) => group.externalId as string),
  );
  const removed = linked.filter((group) => !kept.has(group.externalId) && !failedIds.has(group.externalId));
  return { groups: planned, removed, members, targets: target, errors, warnings };
}
