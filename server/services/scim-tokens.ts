// SCIM clients' bearer tokens: an identity provider provisions users and groups into one account with a token an
// admin created (shown once, stored as a SHA-256 only, revocable). A token of account A only ever acts for A.
import type { Db } from '../db/index.js';
import { forbidden } from '../errors.js';
import { type Actor, authorize } from '../policy.js';
import { AccountTokens, type TokenPrincipal } from './account-tokens.js';
import type { AuditLog } from './audit.js';
import type { RequestMeta } from './users.js';

/** Tells a SCIM token from an application key (`rst_`) at a glance, and in secret scanners. */
export const SCIM_TOKEN_PREFIX = 'rscim_';

export type ScimClient = TokenPrincipal;

export class ScimTokens {
  private readonly tokens: AccountTokens;

  constructor(db: Db, audit: AuditLog, now: () => Date) {
    this.tokens = new AccountTokens(db, audit, now, {
      table: 'scim_tokens',
      prefix: SCIM_TOKEN_PREFIX,
      auditType: 'scim_token',
      label: 'SCIM token',
    });
  }

  /** A SCIM client may create and change any user of the account, admins included: its tokens need an unlimited admin. */
  private assertCanManage(actor: Actor) {
    authorize(actor, 'scim.manage', 'account', { accountId: actor.accountId }, () =>
      forbidden('Only the owner and admins without a profile manage SCIM tokens'),
    );
  }

  async list(actor: Actor) {
    this.assertCanManage(actor);
    return this.tokens.list(actor.accountId);
  }

  /** Creates a token; the returned `token` is the only time anyone sees it. */
  async create(actor: Actor, name: string, meta: RequestMeta = {}) {
    this.assertCanManage(actor);
    const { secret, ...created } = await this.tokens.create(actor, name, meta);
    return { ...created, token: secret };
  }

  async revoke(actor: Actor, id: number, meta: RequestMeta = {}) {
    this.assertCanManage(actor);
    await this.tokens.revoke(actor, id, meta);
  }

  /** The SCIM client a bearer token names, or null; notes its last use at most once a minute. */
  authenticate(token: string): Promise<ScimClient | null> {
    return this.tokens.authenticate(token);
  }
}
