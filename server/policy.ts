// The one place that decides who may do what: a table of rules (actor kind, action, subject, condition), read by
// `authorize` at the entry of every service method and by `can` for the abilities the console shows.
//
// The access type gates first: only admins and the owner manage anything. An admin's profile then narrows what
// they may do, module by module (Users: every user, none, or the users of some departments; Profiles: every
// profile, none, or some by name). An admin without a profile is limited by the access type only; the owner is
// never restricted.

import type { ModuleRule, ProfileModule } from '../shared/profile-schemas.js';
import { type AppError, forbidden, notFound } from './errors.js';

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
  /** Where the request comes from (the Scorer rule depends on it); absent = not the console. */
  channel?: Channel;
}

/** An application key acting for its account. */
export interface KeyActor {
  apiKeyAccountId: number;
}

export interface UserSubject {
  id: number;
  accountId: number;
  isOwner: boolean;
  /** Whether the user is an admin: only an admin without limits manages an admin (see `outranks`). */
  isAdmin: boolean;
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
  | 'profiles.create'
  | 'security.manage'
  | 'scim.manage'
  | 'directory.manage';
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

export interface ProfileSubject {
  id: number;
  accountId: number;
  name: string;
}

export interface RoleSubject {
  accountId: number;
  builtIn: boolean;
}

/** Where a request comes from: the console (it says so in X-Roster-Client) or any other API client. */
export type Channel = 'console' | 'api';

/** The subjects rules are written about, by type. */
interface Subjects {
  account: { accountId: number };
  user: UserSubject;
  profile: ProfileSubject;
  role: RoleSubject;
  /** A change of access type (from null when a user is created). */
  accessType: { accountId: number; from: string | null; to: string };
  /** A question to the decision API about a user named by id or by username. */
  question: { accountId: number; userId?: number; username?: string };
}
type SubjectType = keyof Subjects;

/** Who acts: the owner, an admin, any other signed-in user (Standard, Read-only, Identified-only, Scorer), a key. */
export type ActorKind = 'owner' | 'admin' | 'member' | 'key';
type Principal = Actor | KeyActor;

export function actorKind(actor: Principal): ActorKind {
  if ('apiKeyAccountId' in actor) return 'key';
  return actor.isOwner ? 'owner' : actor.accessType === 'admin' ? 'admin' : 'member';
}

interface Rule {
  actors: readonly ActorKind[];
  action: string;
  subject: SubjectType;
  // biome-ignore lint/suspicious/noExplicitAny: each rule's condition is typed by allow(); the table stores them alike.
  when: (actor: any, subject: any) => boolean;
}

const RULES: Rule[] = [];
function allow<S extends SubjectType, K extends ActorKind>(
  actors: readonly K[],
  action: string,
  subject: S,
  when: (actor: K extends 'key' ? KeyActor : Actor, subject: Subjects[S]) => boolean,
) {
  RULES.push({ actors, action, subject, when });
}

const ADMINS = ['owner', 'admin'] as const;
const SIGNED_IN = ['owner', 'admin', 'member'] as const;
const mine = (a: Actor, s: { accountId: number }) => a.accountId === s.accountId;
const self = (a: Actor, s: { id: number }) => a.userId === s.id;

// The table. Every rule is checked with the actor's account against the subject's: nothing crosses accounts.
// An action with no rule that matches is denied.
allow(ADMINS, 'users.manage', 'account', (a, s) => mine(a, s) && userScope(a) !== 'none');
// An import may create and update any user of the account, so it needs the whole Users module; so does changing
// groups, departments and chat-routing groups, which changes them for every user in them.
allow(ADMINS, 'users.import', 'account', (a, s) => mine(a, s) && userScope(a) === 'all');
allow(ADMINS, 'organization.manage', 'account', (a, s) => mine(a, s) && userScope(a) === 'all');
allow(ADMINS, 'audit.read', 'account', mine);
// Sign-in security of the whole account (password policy, mail, single sign-on, second factor for admins) reaches
// every user, so it needs the whole Users module.
allow(ADMINS, 'security.manage', 'account', (a, s) => mine(a, s) && userScope(a) === 'all');
allow(ADMINS, 'access.manage', 'account', mine);
// A SCIM client creates, changes and deletes any user of the account, and acts as an admin without limits (it makes
// admins, and changes them): its tokens need an admin without limits, or a limited one would reach through it what
// they may not do themselves.
allow(ADMINS, 'scim.manage', 'account', (a, s) => mine(a, s) && unlimited(a));
// A webhook endpoint receives every change of every user of the account, so it needs the whole Users module.
allow(ADMINS, 'webhooks.manage', 'account', (a, s) => mine(a, s) && userScope(a) === 'all');
// A directory connection creates, changes, disables and deletes any user of the account through its syncs, admins
// included, and decides (with directory-password sign-in) which password opens a synced admin's session: it needs an
// admin without limits, as managing an admin does (an admin limited by a profile would otherwise reach admins through
// it: a filter leaving one out disables them, a URL of their own directory signs them in as one).
allow(ADMINS, 'directory.manage', 'account', (a, s) => mine(a, s) && unlimited(a));
allow(ADMINS, 'profiles.read', 'account', mine);
allow(ADMINS, 'profiles.create', 'account', (a, s) => mine(a, s) && moduleRule(a, 'profiles').access === 'all');
allow(['key'], 'usage.report', 'account', (a, s) => a.apiKeyAccountId === s.accountId);
allow(ADMINS, 'usage.report', 'account', mine);
allow(['key'], 'events.read', 'account', (a, s) => a.apiKeyAccountId === s.accountId);
allow(ADMINS, 'events.read', 'account', (a, s) => mine(a, s) && userScope(a) !== 'none');
// What every signed-in user may do for themselves: read their session, keep their own saved filters.
allow(SIGNED_IN, 'session.use', 'account', mine);
allow(SIGNED_IN, 'user.read', 'user', (a, s) => mine(a, s) && self(a, s));
allow(ADMINS, 'user.read', 'user', (a, s) => mine(a, s) && inUserScope(a, s));
// Only the owner edits the owner; any admin in reach may release a locked-out owner. An admin limited by a profile
// manages no other admin: setting that admin's password or email, or resetting their codes, would give the limited
// admin the other's wider rights.
allow(
  ADMINS,
  'user.update',
  'user',
  (a, s) => mine(a, s) && inUserScope(a, s) && (!s.isOwner || self(a, s)) && outranks(a, s),
);
// Nobody disables the owner, or themselves (they could not sign in again to undo it).
allow(
  ADMINS,
  'user.disable',
  'user',
  (a, s) => mine(a, s) && inUserScope(a, s) && !s.isOwner && !self(a, s) && outranks(a, s),
);
allow(ADMINS, 'user.unlock', 'user', (a, s) => mine(a, s) && inUserScope(a, s));
allow(
  ADMINS,
  'user.delete',
  'user',
  (a, s) => mine(a, s) && inUserScope(a, s) && !s.isOwner && !self(a, s) && outranks(a, s),
);
allow(ADMINS, 'user.access', 'user', (a, s) => mine(a, s) && inUserScope(a, s) && outranks(a, s));
// Teams and supervision are managed by admins, for the users in their reach (the owner's included).
allow(ADMINS, 'user.teams', 'user', (a, s) => mine(a, s) && inUserScope(a, s));
// Nobody but the owner changes the profile they hold: that would widen their own rights.
allow(['owner'], 'profile.manage', 'profile', mine);
allow(['admin'], 'profile.manage', 'profile', (a, s) => mine(a, s) && a.profile?.id !== s.id && profileInReach(a, s));
// Giving "no profile" lifts every restriction, so it needs the whole Profiles module.
allow(ADMINS, 'profile.clear', 'account', (a, s) => mine(a, s) && moduleRule(a, 'profiles').access === 'all');
// Built-in roles are the applications' own: nobody edits or deletes them.
allow(ADMINS, 'role.manage', 'role', (a, s) => mine(a, s) && !s.builtIn);
// Scorer is given and taken only through the API or the command line, never from the console. Making someone an
// admin (or no longer one) needs an admin without limits, as managing an admin does.
allow(
  ADMINS,
  'accessType.set',
  'accessType',
  (a, s) => mine(a, s) && (a.channel !== 'console' || !scorerChange(s)) && (!adminChange(s) || unlimited(a)),
);
// Application keys and admins ask about anyone of the account; everyone else about themselves only.
allow(['key'], 'decision.ask', 'question', (a, s) => a.apiKeyAccountId === s.accountId);
allow(ADMINS, 'decision.ask', 'question', mine);
allow(['member'], 'decision.ask', 'question', (a, s) => mine(a, s) && namesSelf(a, s));

function profileInReach(actor: Actor, profile: ProfileSubject) {
  const rule = moduleRule(actor, 'profiles');
  return rule.access === 'all' || (rule.access === 'some' && rule.items.includes(profile.name));
}
/** The owner, or an admin without a profile: nobody has wider rights. */
const unlimited = (a: Actor) => a.isOwner || !a.profile;
/** Whether the actor may manage this user as far as rank goes: anyone but an admin, oneself, or by an unlimited admin. */
export const outranks = (a: Actor, s: UserSubject) => !s.isAdmin || self(a, s) || unlimited(a);
const adminChange = (s: Subjects['accessType']) => s.to !== s.from && (s.to === 'admin' || s.from === 'admin');
const scorerChange = (s: Subjects['accessType']) => s.to !== s.from && (s.to === 'scorer' || s.from === 'scorer');
const namesSelf = (a: Actor, s: Subjects['question']) =>
  s.userId !== undefined ? s.userId === a.userId : s.username?.toLowerCase() === a.username.toLowerCase();

/** Every action the table knows (the operations map and its test check against it). */
export const ACTIONS: ReadonlySet<string> = new Set(RULES.map((r) => r.action));

/** Whether the table allows the action: some rule for the actor's kind, the action and the subject holds. */
export function can<S extends SubjectType>(actor: Principal, action: string, type: S, subject: Subjects[S]): boolean {
  const kind = actorKind(actor);
  return RULES.some(
    (r) => r.action === action && r.subject === type && r.actors.includes(kind) && r.when(actor, subject),
  );
}

/** Messages existing clients rely on, by action; anything else gets the generic one. */
const REFUSALS: Record<string, string> = {
  'audit.read': 'Only admins read the audit log',
  'usage.report': 'Only admins and application keys report usage',
  'user.update': 'Only the owner can edit the owner',
  'decision.ask': 'You may ask about yourself only',
};

/**
 * Throws unless the table allows the action. A user the actor may not even see is "not found" (ids of other
 * accounts and departments reveal nothing); anything else is 403.
 */
export function authorize<S extends SubjectType>(
  actor: Principal,
  action: string,
  type: S,
  subject: Subjects[S],
  refusal?: () => AppError,
): void {
  if (can(actor, action, type, subject)) return;
  if (type === 'user' && !can(actor, 'user.read', 'user', subject as UserSubject)) throw notFound('User');
  throw refusal?.() ?? forbidden(REFUSALS[action]);
}

// What the console may show, derived from the table (the shapes are part of the API).

export function canOnAccount(actor: Actor, action: AccountAction, accountId: number): boolean {
  return can(actor, action, 'account', { accountId });
}

export function canOnUser(actor: Actor, action: UserAction, user: UserSubject): boolean {
  return can(actor, action, 'user', user);
}

export function userAbilities(actor: Actor, user: UserSubject) {
  return {
    update: canOnUser(actor, 'user.update', user),
    delete: canOnUser(actor, 'user.delete', user),
    unlock: canOnUser(actor, 'user.unlock', user),
  };
}

/** Whether the actor may edit or delete a profile (and give it to users or take it from them). */
export function canOnProfile(actor: Actor, profile: ProfileSubject): boolean {
  return can(actor, 'profile.manage', 'profile', profile);
}

export function profileAbilities(actor: Actor, profile: ProfileSubject) {
  const manage = canOnProfile(actor, profile);
  return { update: manage, delete: manage, assign: manage };
}

/**
 * Changing a user's profile: the actor must manage the profile taken away and the one given; giving "no profile"
 * needs the whole Profiles module; nobody but the owner changes their own profile.
 */
export function canChangeProfile(
  actor: Actor,
  user: UserSubject,
  from: ProfileSubject | null,
  to: ProfileSubject | null,
): boolean {
  if (!canOnUser(actor, 'user.update', user)) return false;
  if (actor.userId === user.id && !actor.isOwner) return false;
  return (
    (!from || canOnProfile(actor, from)) &&
    (to ? canOnProfile(actor, to) : can(actor, 'profile.clear', 'account', { accountId: user.accountId }))
  );
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
    manageSecurity: canOnAccount(actor, 'security.manage', actor.accountId),
    manageProvisioning: canOnAccount(actor, 'scim.manage', actor.accountId),
    manageDirectories: canOnAccount(actor, 'directory.manage', actor.accountId),
  };
}

/** Whether the actor may give `to` to a user who has `from` (null on creation), through the actor's channel. */
export function canSetAccessType(channel: Channel, from: string | null, to: string): boolean {
  return !(channel === 'console' && scorerChange({ accountId: 0, from, to }));
}

export function roleAbilities(actor: Actor, role: RoleSubject) {
  const manage = can(actor, 'role.manage', 'role', role);
  return { update: manage, delete: manage };
}

/** What the caller may do with a user's role mappings, licenses and application settings. */
export function userAccessAbilities(actor: Actor, user: UserSubject) {
  const manage = can(actor, 'user.access', 'user', user);
  return { assignRoles: manage, manageLicenses: manage, editSettings: manage };
}

/** Whether the caller may ask decisions about the user a question names (by id or by username). */
export function canAskAbout(caller: Principal, question: Subjects['question']) {
  return can(caller, 'decision.ask', 'question', question);
}
