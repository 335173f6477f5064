// Application keys: account-scoped secrets with which the suite's applications ask for decisions and read the
// directory. A key is shown once at creation; only its SHA-256 is stored, and it is never logged or returned again.
import { API_KEY_PREFIX } from '../../shared/access.js';
import type { Db } from '../db/index.js';
import { forbidden } from '../errors.js';
import { type Actor, authorize } from '../policy.js';
import { AccountTokens, type TokenPrincipal } from './account-tokens.js';
import type { AuditLog } from './audit.js';
import type { RequestMeta } from './users.js';

export type ApiKeyPrincipal = TokenPrincipal;

export class ApiKeys {
  private readonly tokens: AccountTokens;

  constructor(db: Db, audit: AuditLog, now: () => Date) {
    this.tokens = new AccountTokens(db, audit, now, {
      table: 'api_keys',
      prefix: API_KEY_PREFIX,
      auditType: 'api_key',
      label: 'Application key',
    });
  }

  private assertCanManage(actor: Actor) {
    authorize(actor, 'access.manage', 'account', { accountId: actor.accountId }, () =>
      forbidden('Only admins manage application keys'),
    );
  }

  async list(actor: Actor) {
    this.assertCanManage(actor);
    return (await this.tokens.list(actor.accountId)).map((key) => ({ ...key, can: { revoke: true } }));
  }

  /** Creates a key; the returned `key` is the only time anyone sees it. */
  async create(actor: Actor, name: string, meta: RequestMeta = {}) {
    this.assertCanManage(actor);
    const { secret, ...created } = await this.tokens.create(actor, name, meta);
    return { ...created, can: { revoke: true }, key: secret };
  }

  async revoke(actor: Actor, id: number, meta: RequestMeta = {}) {
    this.assertCanManage(actor);
    await this.tokens.revoke(actor, id, meta);
  }

  /** The key a Bearer token names, or null; notes its last use at most once a minute. */
  authenticate(token: string): Promise<ApiKeyPrincipal | null> {
    return this.tokens.authenticate(token);
  }
}
