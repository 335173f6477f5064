// The current password asked again before a change that a session alone must not make (a new device, recovery
// codes, one's own email address): a 400 naming `currentPassword` when it is missing or wrong.
import type { Db } from '../db/index.js';
import { AppError } from '../errors.js';
import { verifyPassword } from './passwords.js';

export async function assertCurrentPassword(db: Db, userId: number, password: string | undefined): Promise<void> {
  const credential = await db
    .selectFrom('user_credentials')
    .select('password_hash')
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (password && credential && (await verifyPassword(credential.password_hash, password))) return;
  throw new AppError(400, 'ValidationFailed', 'Your current password is needed, and that one is not right', [
    { path: 'currentPassword', message: password ? 'The current password is wrong' : 'Enter your current password' },
  ]);
}
