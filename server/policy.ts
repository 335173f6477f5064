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

export type AccountAction = 'users.manage' | 'audit.read';
export type UserAction = 'user.read' | 'user.update' | 'user.delete';

const isAdmin = (actor: Actor) => actor.isOwner || actor.accessType === 'admin';

export function canOnAccount(actor: Actor, action: AccountAction, accountId: number): boolean {
  if (actor.accountId !== accountId) return false;
  switch (action) {
    case 'users.manage':
    case 'audit.read':
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
  };
}
