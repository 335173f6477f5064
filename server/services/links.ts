// Single-use links (invitations, password resets, email verification): a random token goes into the mail, only its
// SHA-256 hash is stored, and it is taken in one conditional update, so two clicks never both succeed.
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/index.js';
import { AppError } from '../errors.js';

export const LINK_PURPOSES = ['invitation', 'password_reset', 'verify_email'] as const;
export type LinkPurpose = (typeof LINK_PURPOSES)[number];

/** The console page each purpose opens. */
export const LINK_PAGES: Record<LinkPurpose, string> = {
  invitation: '/set-password',
  password_reset: '/reset-password',
  verify_email: '/verify-email',
};

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** A token is 32 random bytes in base64url: 43 characters. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export interface TakenLink {
  accountId: number;
  userId: number;
  purpose: LinkPurpose;
  /** The address a verification link was sent to. */
  email?: string | null;
}

export type LinkState = 'valid' | 'used' | 'expired' | 'unknown';

export const linkRefusal = (state: Exclude<LinkState, 'valid'>) =>
  state === 'used'
    ? new AppError(410, 'LinkUsed', 'This link has already been used. Ask for a new one.')
    : state === 'expired'
      ? new AppError(410, 'LinkExpired', 'This link has expired. Ask for a new one.')
      : new AppError(
          404,
          'LinkInvalid',
          'This link is not valid. Check that you copied all of it, or ask for a new one.',
        );

/** Purposes whose link lets its holder choose the user's password. */
export const PASSWORD_LINKS: LinkPurpose[] = ['invitation', 'password_reset'];

/**
 * Withdraws the users' links that still work: when their address, password, authentication method or enabled flag
 * changes, a link mailed before (perhaps to a mistyped address) must not choose their password or confirm an address.
 */
export async function withdrawLinks(
  trx: Db,
  userIds: number[],
  at: string,
  purposes: readonly LinkPurpose[] = LINK_PURPOSES,
): Promise<void> {
  if (userIds.length === 0) return;
  await trx
    .updateTable('user_tokens')
    .set({ expires_at: at })
    .where('user_id', 'in', userIds)
    .where('purpose', 'in', [...purposes])
    .where('used_at', 'is', null)
    .where('expires_at', '>', at)
    .execute();
}

export class SingleUseLinks {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date,
  ) {}

  /** A new link's token and the row that stores its hash (for statements built ahead, as an import does). */
  newLink(link: {
    accountId: number;
    userId: number;
    purpose: LinkPurpose;
    hours: number;
    createdBy?: number | null;
    email?: string | null;
  }) {
    const now = this.now();
    const token = randomBytes(32).toString('base64url');
    return {
      token,
      row: {
        token_hash: hashToken(token),
        account_id: link.accountId,
        user_id: link.userId,
        purpose: link.purpose,
        email: link.email ?? null,
        created_at: now.toISOString(),
        expires_at: new Date(now.getTime() + link.hours * 3_600_000).toISOString(),
        used_at: null,
        created_by: link.createdBy ?? null,
      },
    };
  }

  /**
   * Issues a link for the user, inside the caller's transaction; earlier unused links of the same purpose stop
   * working (the newest mail is the one that counts).
   */
  async issue(
    trx: Db,
    link: {
      accountId: number;
      userId: number;
      purpose: LinkPurpose;
      hours: number;
      createdBy?: number | null;
      email?: string | null;
    },
  ): Promise<string> {
    const now = this.now();
    await trx
      .updateTable('user_tokens')
      .set({ expires_at: now.toISOString() })
      .where('user_id', '=', link.userId)
      .where('purpose', '=', link.purpose)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now.toISOString())
      .execute();
    const { token, row } = this.newLink(link);
    await trx.insertInto('user_tokens').values(row).execute();
    return token;
  }

  /** What a token is worth, without using it (the page shows who it is for before the user acts). */
  async inspect(
    token: string,
    purpose: LinkPurpose,
    executor: Db = this.db,
  ): Promise<{ state: LinkState; link: TakenLink | null }> {
    if (!TOKEN_SHAPE.test(token)) return { state: 'unknown', link: null };
    const row = await executor
      .selectFrom('user_tokens')
      .selectAll()
      .where('token_hash', '=', hashToken(token))
      .executeTakeFirst();
    if (!row || row.purpose !== purpose) return { state: 'unknown', link: null };
    const link = { accountId: row.account_id, userId: row.user_id, purpose };
    if (row.used_at) return { state: 'used', link };
    if (new Date(row.expires_at) <= this.now()) return { state: 'expired', link };
    return { state: 'valid', link };
  }

  /** Uses the link inside the caller's transaction, or throws why it cannot be used. */
  async take(trx: Db, token: string, purpose: LinkPurpose): Promise<TakenLink> {
    if (!TOKEN_SHAPE.test(token)) throw linkRefusal('unknown');
    const at = this.now().toISOString();
    const taken = await trx
      .updateTable('user_tokens')
      .set({ used_at: at })
      .where('token_hash', '=', hashToken(token))
      .where('purpose', '=', purpose)
      .where('used_at', 'is', null)
      .where('expires_at', '>', at)
      .returning(['account_id', 'user_id', 'email'])
      .executeTakeFirst();
    if (taken) return { accountId: taken.account_id, userId: taken.user_id, purpose, email: taken.email };
    const { state } = await this.inspect(token, purpose, trx);
    throw linkRefusal(state === 'valid' ? 'used' : state);
  }
}
