// The one way a service finds the user an actor names by id: a user of the actor's account whom the actor may see
// (a profile may limit them to some departments). Anything else is "not found", never "forbidden", so ids of other
// accounts reveal nothing.
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema/index.js';
import { notFound } from '../errors.js';
import { type Actor, authorize, canOnUser, type UserSubject } from '../policy.js';

export async function findVisibleUser(
  executor: Kysely<Database> | Transaction<Database>,
  actor: Actor,
  userId: number,
  /** PostgreSQL only: hold the user's row until commit, so that changes to one user serialize. */
  lock = false,
) {
  let query = executor
    .selectFrom('users')
    .select(['id', 'username', 'access_type', 'is_owner', 'department'])
    .where('account_id', '=', actor.accountId)
    .where('id', '=', userId);
  if (lock) query = query.forUpdate();
  const user = await query.executeTakeFirst();
  if (!user || !canOnUser(actor, 'user.read', subjectOf(actor, user))) throw notFound('User');
  return user;
}

/** The user, found as findVisibleUser finds them, if the actor may also do `action` to them (else 403). */
export async function findManagedUser(
  executor: Kysely<Database> | Transaction<Database>,
  actor: Actor,
  userId: number,
  action: 'user.access',
  lock = false,
) {
  const user = await findVisibleUser(executor, actor, userId, lock);
  authorize(actor, action, 'user', subjectOf(actor, user));
  return user;
}

const subjectOf = (
  actor: Actor,
  user: { id: number; is_owner: number; access_type: string; department: string },
): UserSubject => ({
  id: user.id,
  accountId: actor.accountId,
  isOwner: user.is_owner === 1,
  isAdmin: user.access_type === 'admin',
  department: user.department,
});
