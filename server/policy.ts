// The one place that decides who may do what; routes and the console's "can" flags both ask here.
//
// The access type gates first: only admins and the owner manage anything. An admin's profile then narrows what
// they may do, module by module (Users: every user, none, or the users of some departments; Profiles: every
// profile, none, or some by name). An admin without a profile is limited by the access type only; the owner is
// never restricted.
import type { ModuleRule, ProfileModule } from '../shared/profile-schemas.js';

export interface ActorProfile {
  id: number;
  name: string;
  rules: Record<ProfileModule, ModuleRule>;
}

export interface Actor {
  userId: number;
  accountId: number;
  username: string;
  accessType: string;
  isOwner: boolean;
  /** The actor's profile; null or absent = no profile (limited by the access type only). */
  profile?: ActorProfile | null;
}

export interface UserSubject {
  id: number;
  accountId: number;
  isOwner: boolean;
  /** Needed when the actor's profile limits Users to some departments; unknown = out of such a scope. */
  department?: string;
}

export type AccountAction =
  | 'users.manage'
  | 'users.import'
  | 'organization.manage'
  | 'audit.read'
  | 'access.manage'
  | 'profiles.read'
  | 'profiles.create';
export type UserAction = 'user.read' | 'user.update' | 'user.disable' | 'user.unlock' | 'user.delete';

const isAdmin = (actor: Actor) => actor.isOwner || actor.accessType === 'admin';

const EVERYTHING: ModuleRule = { access: 'all', items: [] };

/** What a module allows the actor, once the access type has let them in. */
export function moduleRule(actor: Actor, module: ProfileModule): ModuleRule {
  if (actor.isOwner || !actor.profile) return EVERYTHING;
  return actor.profile.rules[module] ?? { access: 'none', items: [] };
}

/**
 * The users an admin may manage: all of them, none, or the users of some departments (the profile's Users items
 * are department names). Lists, bulk selections and single-user routes all apply it.
 */
export function userScope(actor: Actor): 'all' | 'none' | { departments: string[] } {
  if (!isAdmin(actor)) return 'none';
  const rule = moduleRule(actor, 'users');
  if (rule.access === 'some') return { departments: rule.items };
  return rule.access;
}

function inUserScope(actor: Actor, user: UserSubject): boolean {
  const scope = userScope(actor);
  if (scope === 'all' || scope === 'none') return scope === 'all';
  return user.department !== undefined && scope.departments.includes(user.department);
}

export function canOnAccount(actor: Actor, action: AccountAction, accountId: number): boolean {
  if (actor.accountId !== accountId) return false;
  switch (action) {
    case 'users.manage':
      return userScope(actor) !== 'none';
    case 'users.import':
      // An import may create and update any user of the account, so it needs the whole Users module.
      return userScope(actor) === 'all';
    case 'organization.manage':
      // Creating, renaming, moving or deleting groups, departments and chat-routing groups changes them for every
      // user in them, so it needs the whole Users module too.
      return userScope(actor) === 'all';
    case 'audit.read':
    case 'access.manage':
    case 'profiles.read':
      return isAdmin(actor);
    case 'profiles.create':
      return isAdmin(actor) && moduleRule(actor, 'profiles').access === 'all';
    default:
      return false;
  }
}

export function canOnUser(actor: Actor, action: UserAction, user: UserSubject): boolean {
  if (actor.accountId !== user.accountId) return false;
  const self = actor.userId === user.id;
  switch (action) {
    case 'user.read':
      return self || inUserScope(actor, user);
    case 'user.update':
      // Only the owner edits the owner.
      return inUserScope(actor, user) && (!user.isOwner || self);
    case 'user.disable':
      // Nobody disables the owner, or themselves (they could not sign in again to undo it).
      return inUserScope(actor, user) && !user.isOwner && !self;
    case 'user.unlock':
      // Any admin who reaches the user may lift a lockout, the owner's included: a stranger's failed sign-ins must
      // not keep the owner out until the owner can unlock themselves.
      return inUserScope(actor, user);
    case 'user.delete':
      return inUserScope(actor, user) && !user.isOwner && !self;
    default:
      return false;
  }
}

export function userAbilities(actor: Actor, user: UserSubject) {
  return { update: canOnUser(actor, 'user.update', user), delete: canOnUser(actor, 'user.delete', user) };
}

/** Whether the actor may edit or delete a profile (and give it to users or take it from them). */
export function canOnProfile(actor: Actor, profile: { accountId: number; name: string; id: number }): boolean {
  if (actor.accountId !== profile.accountId || !isAdmin(actor)) return false;
  // Nobody but the owner changes the profile they hold: that would widen their own rights.
  if (!actor.isOwner && actor.profile?.id === profile.id) return false;
  const rule = moduleRule(actor, 'profiles');
  return rule.access === 'all' || (rule.access === 'some' && rule.items.includes(profile.name));
}

export function profileAbilities(actor: Actor, profile: { accountId: number; name: string; id: number }) {
  const manage = canOnProfile(actor, profile);
  return { update: manage, delete: manage, assign: manage };
}

/**
 * Changing a user's profile: the actor must manage the profile taken away and the one given; giving "no profile"
 * (which lifts every restriction) needs the whole Profiles module; nobody but the owner changes their own profile.
 */
export function canChangeProfile(
  actor: Actor,
  user: UserSubject,
  from: { accountId: number; name: string; id: number } | null,
  to: { accountId: number; name: string; id: number } | null,
): boolean {
  if (!canOnUser(actor, 'user.update', user)) return false;
  if (actor.userId === user.id && !actor.isOwner) return false;
  const whole = isAdmin(actor) && moduleRule(actor, 'profiles').access === 'all';
  return (!from || canOnProfile(actor, from)) && (to ? canOnProfile(actor, to) : whole);
}

export function sessionAbilities(actor: Actor) {
  return {
    manageUsers: canOnAccount(actor, 'users.manage', actor.accountId),
    importUsers: canOnAccount(actor, 'users.import', actor.accountId),
    manageOrganization: canOnAccount(actor, 'organization.manage', actor.accountId),
    readAudit: canOnAccount(actor, 'audit.read', actor.accountId),
    manageAccess: canOnAccount(actor, 'access.manage', actor.accountId),
    readProfiles: canOnAccount(actor, 'profiles.read', actor.accountId),
    createProfiles: canOnAccount(actor, 'profiles.create', actor.accountId),
  };
}

/** Where a request comes from: the console (it says so in X-Roster-Client) or any other API client. */
export type Channel = 'console' | 'api';

/**
 * Scorer is given and taken only through the API or the command line: the console shows it read-only, and the
 * server refuses a console request that sets it or changes it.
 */
export function canSetAccessType(channel: Channel, from: string | null, to: string): boolean {
  if (channel !== 'console' || to === from) return true;
  return to !== 'scorer' && from !== 'scorer';
}

export interface RoleSubject {
  accountId: number;
  builtIn: boolean;
}

/** Built-in roles are the applications' own: nobody edits or deletes them; admins manage the account's own roles. */
export function roleAbilities(actor: Actor, role: RoleSubject) {
  const manage = canOnAccount(actor, 'access.manage', role.accountId) && !role.builtIn;
  return { update: manage, delete: manage };
}

/** What the caller may do with a user's role mappings, licenses and application settings. */
export function userAccessAbilities(actor: Actor, user: UserSubject) {
  const manage = canOnAccount(actor, 'access.manage', user.accountId) && canOnUser(actor, 'user.read', user);
  return { assignRoles: manage, manageLicenses: manage, editSettings: manage };
}

/**
 * Who may ask for authorization decisions about a user: the account's application keys and admins about anyone of
 * the account, everyone else about themselves only.
 */
export function canAskAbout(caller: Actor | { apiKeyAccountId: number }, accountId: number, userId: number) {
  if (!('apiKeyAccountId' in caller) && caller.userId !== userId && !canAskAboutOthers(caller)) return false;
  if ('apiKeyAccountId' in caller) return caller.apiKeyAccountId === accountId;
  return caller.accountId === accountId;
}

/**
 * Whether a signed-in caller may ask about users other than themselves. One who may not gets the same refusal for
 * any other user, existing or not, so that answers never map usernames to ids.
 */
export function canAskAboutOthers(caller: Actor): boolean {
  return isAdmin(caller);
}
