// Account-scoped bearer secrets (application keys, SCIM clients' tokens): minted with a recognisable prefix, shown
// once, stored as a SHA-256 only, told apart by a hint, remembered briefly once checked, revoked at once.
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/index.js';
import { notFound } from '../errors.js';
import type { Actor } from '../policy.js';
import type { AuditLog } from './audit.js';
import type { RequestMeta } from './users.js';

const TOUCH_EVERY_MS = 60_000;
/**
 * A process remembers a token it has checked for this long, so a client's stream of requests costs no lookup each.
 * Revoking forgets it at once in this process; other processes refuse the token within this time.
 */
const REMEMBER_MS = 5_000;
const REMEMBER_AT_MOST = 1_000;
/** Longer than any token minted here: anything longer is refused before it is hashed. */
const LONGEST = 200;

/** Who a valid token acts for. */
export interface TokenPrincipal {
  id: number;
  accountId: number;
  name: string;
}

/** What tells one kind of token from another: its table, its prefix, and how the audit log and errors name it. */
export interface TokenKind {
  table: 'api_keys' | 'scim_tokens';
  prefix: string;
  /** The audit target type; actions are `<type>.create` and `<type>.revoke`. */
  auditType: string;
  /** For "… not found". */
  label: string;
}

export interface ListedToken {
  id: number;
  name: string;
  hint: string;
  createdAt: string;
  lastUsedAt: string | null;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

export class AccountTokens {
  private readonly known = new Map<string, { principal: TokenPrincipal; until: number }>();
  /**
   * Hashes of tokens this process revoked: a check that read the row just before the revocation committed must not
   * remember it. (Hashes, not ids: SQLite may give a deleted newest row's id to the next token.)
   */
  private readonly revoked = new Set<string>();
  // Both tables have the same columns (see server/db/schema/api-keys.ts and scim-tokens.ts); Kysely needs one name.
  private readonly table: 'api_keys';

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly now: () => Date,
    private readonly kind: TokenKind,
  ) {
    this.table = kind.table as 'api_keys';
  }

  private hint(tail: string) {
    return `${this.kind.prefix}…${tail}`;
  }

  /** The account's tokens, newest first; never the tokens themselves. Callers authorize first. */
  async list(accountId: number): Promise<ListedToken[]> {
    const rows = await this.db
      .selectFrom(this.table)
      .select(['id', 'name', 'token_hint', 'created_at', 'last_used_at'])
      .where('account_id', '=', accountId)
      .orderBy('id', 'desc')
      .execute();
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      hint: this.hint(row.token_hint),
      createdAt: row.created_at,
      lastUsedAt: row.last_used_at,
    }));
  }

  /** Mints a token for the actor's account; the returned `secret` is the only time anyone sees it. */
  async create(actor: Actor, name: string, meta: RequestMeta = {}): Promise<ListedToken & { secret: string }> {
    const secret = `${this.kind.prefix}${randomBytes(32).toString('base64url')}`;
    const at = this.now().toISOString();
    const row = await this.db.transaction().execute(async (trx) => {
      const created = await trx
        .insertInto(this.table)
        .values({
          account_id: actor.accountId,
          name,
          token_hash: sha256(secret),
          token_hint: secret.slice(-4),
          created_by: actor.userId,
          created_at: at,
        })
        .returning(['id', 'name', 'token_hint', 'created_at'])
        .executeTakeFirstOrThrow();
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: `${this.kind.auditType}.create`,
        target: { type: this.kind.auditType, id: created.id, label: name },
        after: { name, hint: created.token_hint },
        ip: meta.ip,
      });
      return created;
    });
    return {
      id: row.id,
      name: row.name,
      hint: this.hint(row.token_hint),
      createdAt: row.created_at,
      lastUsedAt: null,
      secret,
    };
  }

  /** Deletes a token of the actor's account; this process refuses it from the moment the deletion commits. */
  async revoke(actor: Actor, id: number, meta: RequestMeta = {}): Promise<void> {
    const hash = await this.db.transaction().execute(async (trx) => {
      const removed = await trx
        .deleteFrom(this.table)
        .where('account_id', '=', actor.accountId)
        .where('id', '=', id)
        .returning(['name', 'token_hint', 'token_hash'])
        .executeTakeFirst();
      if (!removed) throw notFound(this.kind.label);
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: `${this.kind.auditType}.revoke`,
        target: { type: this.kind.auditType, id, label: removed.name },
        before: { name: removed.name, hint: removed.token_hint },
        ip: meta.ip,
      });
      return removed.token_hash;
    });
    this.revoked.add(hash);
    this.known.delete(hash);
  }

  /**
   * The principal a bearer token names, or null. Each call hashes the token and looks the hash up by its unique
   * index (no comparison of secrets, so nothing to time); its last use is noted at most once a minute.
   */
  async authenticate(token: string): Promise<TokenPrincipal | null> {
    if (!token.startsWith(this.kind.prefix) || token.length > LONGEST) return null;
    const hash = sha256(token);
    const now = this.now();
    const known = this.known.get(hash);
    if (known && known.until > now.getTime()) return known.principal;
    const row = await this.db
      .selectFrom(this.table)
      .select(['id', 'account_id', 'name', 'last_used_at'])
      .where('token_hash', '=', hash)
      .executeTakeFirst();
    if (!row || this.revoked.has(hash)) {
      this.known.delete(hash);
      return null;
    }
    if (!row.last_used_at || now.getTime() - new Date(row.last_used_at).getTime() > TOUCH_EVERY_MS) {
      await this.db.updateTable(this.table).set({ last_used_at: now.toISOString() }).where('id', '=', row.id).execute();
    }
    // Checked again after the await above: the revocation may have committed meanwhile.
    if (this.revoked.has(hash)) return null;
    const principal = { id: row.id, accountId: row.account_id, name: row.name };
    if (this.known.size >= REMEMBER_AT_MOST) this.known.clear();
    this.known.set(hash, { principal, until: now.getTime() + REMEMBER_MS });
    return principal;
  }
}
