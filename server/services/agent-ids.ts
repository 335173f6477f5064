// Agent IDs match agents to their calls (call tracking), so one Agent ID names one user of an account: a second user
// given it is refused naming the field (a unique index, migration 0010, holds it under concurrent writes).
import type { Transaction } from 'kysely';
import type { Db } from '../db/index.js';
import type { Database } from '../db/schema/index.js';
import { conflict } from '../errors.js';

export const agentIdTaken = (agentId: string, holder?: string) =>
  conflict(
    'AgentIdTaken',
    `The Agent ID ${agentId} is already ${holder ? `${holder}'s` : "another user's"}: each agent needs their own`,
    [{ path: 'agentId', message: `Already the Agent ID of ${holder ?? 'another user'}` }],
  );

/** Refuses `agentId` when another user of the account (not `userId`) holds it; an empty Agent ID is no Agent ID. */
export async function assertAgentIdFree(
  executor: Transaction<Database> | Db,
  accountId: number,
  agentId: string | undefined,
  userId: number | null,
): Promise<void> {
  if (!agentId) return;
  let query = executor
    .selectFrom('users')
    .select('username')
    .where('account_id', '=', accountId)
    .where('agent_id', '=', agentId);
  if (userId !== null) query = query.where('id', '<>', userId);
  const holder = await query.executeTakeFirst();
  if (holder) throw agentIdTaken(agentId, holder.username);
}

/** Whether a unique violation is the Agent ID index's (a write that raced another one giving the same Agent ID). */
export function isAgentIdViolation(error: unknown): boolean {
  const { message, constraint } = (error ?? {}) as { message?: string; constraint?: string };
  return /agent_id/.test(`${constraint ?? ''} ${message ?? ''}`);
}
