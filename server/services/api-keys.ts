// Application keys: account-scoped secrets with which the suite's applications ask for decisions and read the
// directory. A key is shown once at creation; only its SHA-256 is stored, and it is never logged or returned again.
import { createHash, randomBytes } from 'node:crypto';
import { API_KEY_PREFIX } from '../../shared/access.js';
import type { Db } from '../db/index.js';
import { forbidden, notFound } from '../errors.js';
import { type Actor, authorize } from '../policy.js';
import type { AuditLog } from './audit.js';
import type { RequestMeta } from './users.js';

const TOUCH_EVERY_MS = 60_000;
/**
 * A process remembers a key it has checked for this long, so an application's stream of decisions costs no key
 * lookup each. Revoking forgets it at once in this process; other processes refuse the key within this time.
 */
const REMEMBER_MS = 5_000;
const REMEMBER_AT_MOST = 1_000;

export interface ApiKeyPrincipal {
  id: number;
  accountId: number;
  name: string;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

export class ApiKeys {
  private readonly known = new Map<string, { key: ApiKeyPrincipal; until: number }>();

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly now: () => Date,
  ) {}

  private assertCanManage(actor: Actor) {
    authorize(actor, 'access.manage', 'account', { accountId: actor.accountId }, () =>
      forbidden('Only admins manage application keys'),
    );
  }

  async list(actor: Actor) {
    this.assertCanManage(actor);
    const rows = await this.db
      .selectFrom('api_keys')
      .select(['id', 'name', 'token_hint', 'created_at', 'last_used_at', 'created_by'])
      .where('account_id', '=', actor.accountId)
      .orderBy('id', 'desc')
      .execute();
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      hint: `${API_KEY_PREFIX}…${row.token_hint}`,
      createdAt: row.created_at,
      lastUsedAt: row.last_used_at,
      can: { revoke: true },
    }));
  }

  /** Creates a key; the returned `key` is the only time anyone sees it. */
  async create(actor: Actor, name: string, meta: RequestMeta = {}) {
    this.assertCanManage(actor);
    const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    const at = this.now().toISOString();
    const row = await this.db.transaction().execute(async (trx) => {
      const created = await trx
        .insertInto('api_keys')
        .values({
          account_id: actor.accountId,
          name,
          token_hash: sha256(key),
          token_hint: key.slice(-4),
          created_by: actor.userId,
          created_at: at,
        })
        .returning(['id', 'name', 'token_hint', 'created_at'])
        .executeTakeFirstOrThrow();
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'api_key.create',
        target: { type: 'api_key', id: created.id, label: name },
        after: { name, hint: created.token_hint },
        ip: meta.ip,
      });
      return created;
    });
    return {
      id: row.id,
      name: row.name,
      hint: `${API_KEY_PREFIX}…${row.token_hint}`,
      createdAt: row.created_at,
      lastUsedAt: null,
      can: { revoke: true },
      key,
    };
  }

  async revoke(actor: Actor, id: number, meta: RequestMeta = {}) {
    this.assertCanManage(actor);
    await this.db.transaction().execute(async (trx) => {
      const removed = await trx
        .deleteFrom('api_keys')
        .where('account_id', '=', actor.accountId)
        .where('id', '=', id)
        .returning(['name', 'token_hint'])
        .executeTakeFirst();
      if (!removed) throw notFound('Application key');
      for (const [hash, entry] of this.known) if (entry.key.id === id) this.known.delete(hash);
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'api_key.revoke',
        target: { type: 'api_key', id, label: removed.name },
        before: { name: removed.name, hint: removed.token_hint },
        ip: meta.ip,
      });
    });
  }

  /** The key a Bearer token names, or null; notes its last use at most once a minute. */
  async authenticate(token: string): Promise<ApiKeyPrincipal | null> {
    if (!token.startsWith(API_KEY_PREFIX) || token.length > 200) return null;
    const hash = sha256(token);
    const now = this.now();
    const known = this.known.get(hash);
    if (known && known.until > now.getTime()) return known.key;
    const row = await this.db
      .selectFrom('api_keys')
      .select(['id', 'account_id', 'name', 'last_used_at'])
      .where('token_hash', '=', hash)
      .executeTakeFirst();
    if (!row) {
      this.known.delete(hash);
      return null;
    }
    if (!row.last_used_at || now.getTime() - new Date(row.last_used_at).getTime() > TOUCH_EVERY_MS) {
      await this.db.updateTable('api_keys').set({ last_used_at: now.toISOString() }).where('id', '=', row.id).execute();
    }
    const key = { id: row.id, accountId: row.account_id, name: row.name };
    if (this.known.size >= REMEMBER_AT_MOST) this.known.clear();
    this.known.set(hash, { key, until: now.getTime() + REMEMBER_MS });
    return key;
  }
}
