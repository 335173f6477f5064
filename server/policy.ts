// The one place that decides who may do what; routes and the console's "can" flags both ask here.

export interface Actor {
  userId: number;
  accountId: number;
  username: string;
  accessType: string;
  isOwner: boolean;
}

export interface UserSubject {
  id: number;
  accountId: number;
  isOwner: boolean;
}

export type AccountAction = 'users.manage' | 'audit.read' | 'access.manage';
export type UserAction = 'user.read' | 'user.update' | 'user.delete';

const isAdmin = (actor: Actor) => actor.isOwner || actor.accessType === 'admin';

export function canOnAccount(actor: Actor, action: AccountAction, accountId: number): boolean {
  if (actor.accountId !== accountId) return false;
  switch (action) {
    case 'users.manage':
    case 'audit.read':
    case 'access.manage':
      return isAdmin(actor);
    default:
      return false;
  }
}

export function canOnUser(actor: Actor, action: UserAction, user: UserSubject): boolean {
  if (actor.accountId !== user.accountId) return false;
  const self = actor.userId === user.id;
  switch (action) {
    case 'user.read':
      return self || isAdmin(actor);
    case 'user.update':
      // Only the owner edits the owner.
      return isAdmin(actor) && (!user.isOwner || self);
    case 'user.delete':
      return isAdmin(actor) && !user.isOwner && !self;
    default:
      return false;
  }
}

export function userAbilities(actor: Actor, user: UserSubject) {
  return { update: canOnUser(actor, 'user.update', user), delete: canOnUser(actor, 'user.delete', user) };
}

export function sessionAbilities(actor: Actor) {
  return {
    manageUsers: canOnAccount(actor, 'users.manage', actor.accountId),
    readAudit: canOnAccount(actor, 'audit.read', actor.accountId),
    manageAccess: canOnAccount(actor, 'access.manage', actor.accountId),
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
  if ('apiKeyAccountId' in caller) return caller.apiKeyAccountId === accountId;
  if (caller.accountId !== accountId) return false;
  return caller.userId === userId || isAdmin(caller);
}
