// An account's OpenID Connect identity providers (configured by admins who manage sign-in security; the client
// secret is write-only) and the identities bound to users through them.
import type { Selectable, Transaction, Updateable } from 'kysely';
import * as oidc from 'openid-client';
import {
  DEFAULT_SCOPES,
  type IdentityProviderCreate,
  type IdentityProviderUpdate,
  type SsoAccessType,
} from '../../shared/sso-schemas.js';
import type { Db } from '../db/index.js';
import type { IdentityProvidersTable } from '../db/schema/account-security.js';
import type { Database } from '../db/schema/index.js';
import { conflict, forbidden, notFound, validationFailed } from '../errors.js';
import { type Actor, authorize, can } from '../policy.js';
import type { AuditLog } from './audit.js';
import type { UserRow } from './user-presenter.js';
import { userSubject } from './user-presenter.js';
import { isUniqueViolation, type RequestMeta } from './users.js';

export type ProviderRow = Selectable<IdentityProvidersTable>;
type Trx = Transaction<Database>;

/** Plain http is allowed for these hosts only (a provider on the same machine: development and tests). */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

function present(row: ProviderRow) {
  return {
    id: row.id,
    name: row.name,
    slug: row.slug,
    issuer: row.issuer,
    clientId: row.client_id,
    hasClientSecret: row.client_secret !== '',
    scopes: row.scopes,
    usernameClaim: row.username_claim,
    enabled: row.enabled === 1,
    linkVerifiedEmail: row.link_verified_email === 1,
    createUsers: row.create_users === 1,
    newUserAccessType: row.new_user_access_type as SsoAccessType,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** What the audit log keeps of a provider: everything but the client secret. */
function auditView(row: ProviderRow) {
  const { id: _id, createdAt: _c, updatedAt: _u, hasClientSecret: _s, ...rest } = present(row);
  return rest;
}

/** Whether the issuer may be reached over plain http (loopback hosts only). */
export function insecureAllowed(issuer: URL): boolean {
  return issuer.protocol === 'http:' && LOOPBACK_HOSTS.has(issuer.hostname);
}

/** Reads the provider's discovery document and returns the client configuration (throws on any failure). */
export async function discover(issuer: string, clientId: string, clientSecret: string): Promise<oidc.Configuration> {
  const url = new URL(issuer);
  if (url.protocol !== 'https:' && !insecureAllowed(url)) {
    throw new Error('the issuer must use https (plain http is allowed for loopback hosts only)');
  }
  const options = { execute: insecureAllowed(url) ? [oidc.allowInsecureRequests] : [], timeout: 10 };
  const found = await oidc.discovery(url, clientId, clientSecret, undefined, options);
  // client_secret_basic is the OpenID Connect default; a provider that lists only client_secret_post gets that.
  const methods = found.serverMetadata().token_endpoint_auth_methods_supported;
  let clientAuth: oidc.ClientAuth;
  if (!methods || methods.includes('client_secret_basic')) clientAuth = oidc.ClientSecretBasic(clientSecret);
  else if (methods.includes('client_secret_post')) clientAuth = oidc.ClientSecretPost(clientSecret);
  else throw new Error('the provider supports neither client_secret_basic nor client_secret_post');
  const config = new oidc.Configuration(found.serverMetadata(), clientId, clientSecret, clientAuth);
  if (insecureAllowed(url)) oidc.allowInsecureRequests(config);
  // The ID token's signature is checked against the provider's keys even though it comes straight from the token
  // endpoint (OpenID Connect would let TLS stand in for it): a token endpoint answer is never taken on trust.
  oidc.enableNonRepudiationChecks(config);
  return config;
}

const issuerUnreachable = (issuer: string, why: string) =>
  validationFailed(
    [{ path: 'issuer', message: `Roster could not read the OpenID Connect configuration of ${issuer}: ${why}` }],
    'The issuer URL does not lead to an OpenID Connect provider',
  );

export class IdentityProviders {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly now: () => Date,
  ) {}

  private assertCanManage(actor: Actor) {
    authorize(actor, 'security.manage', 'account', { accountId: actor.accountId }, () =>
      forbidden('Only admins who manage sign-in security configure single sign-on'),
    );
  }

  async list(actor: Actor) {
    this.assertCanManage(actor);
    const rows = await this.db
      .selectFrom('identity_providers')
      .selectAll()
      .where('account_id', '=', actor.accountId)
      .orderBy('name')
      .orderBy('id')
      .execute();
    return rows.map(present);
  }

  private async checkIssuer(issuer: string, clientId: string, clientSecret: string) {
    try {
      await discover(issuer, clientId, clientSecret);
    } catch (error) {
      throw issuerUnreachable(issuer, discoveryProblem(error));
    }
  }

  async create(actor: Actor, input: IdentityProviderCreate, meta: RequestMeta = {}) {
    this.assertCanManage(actor);
    await this.checkIssuer(input.issuer, input.clientId, input.clientSecret);
    const at = this.now().toISOString();
    const row = await this.db.transaction().execute(async (trx) => {
      await this.assertSlugFree(trx, actor.accountId, input.slug, null);
      const created = await trx
        .insertInto('identity_providers')
        .values({
          account_id: actor.accountId,
          name: input.name,
          slug: input.slug,
          issuer: input.issuer,
          client_id: input.clientId,
          client_secret: input.clientSecret,
          scopes: input.scopes ?? DEFAULT_SCOPES,
          username_claim: input.usernameClaim ?? 'email',
          enabled: input.enabled === false ? 0 : 1,
          link_verified_email: input.linkVerifiedEmail ? 1 : 0,
          create_users: input.createUsers ? 1 : 0,
          new_user_access_type: input.newUserAccessType ?? 'standard',
          created_at: at,
          updated_at: at,
        })
        .returningAll()
        .executeTakeFirstOrThrow()
        .catch((error: unknown) => {
          throw isUniqueViolation(error) ? slugTaken(input.slug) : error;
        });
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'identity_provider.create',
        target: { type: 'identity_provider', id: created.id, label: created.name },
        after: auditView(created),
        ip: meta.ip,
      });
      return created;
    });
    return present(row);
  }

  async update(actor: Actor, id: number, input: IdentityProviderUpdate, meta: RequestMeta = {}) {
    this.assertCanManage(actor);
    const before = await this.find(actor.accountId, id);
    const secret = input.clientSecret ? input.clientSecret : before.client_secret;
    const issuer = input.issuer ?? before.issuer;
    const clientId = input.clientId ?? before.client_id;
    if (issuer !== before.issuer || clientId !== before.client_id || secret !== before.client_secret) {
      await this.checkIssuer(issuer, clientId, secret);
    }
    const row = await this.db.transaction().execute(async (trx) => {
      if (input.slug !== undefined) await this.assertSlugFree(trx, actor.accountId, input.slug, id);
      const changes: Updateable<IdentityProvidersTable> = { updated_at: this.now().toISOString() };
      if (input.name !== undefined) changes.name = input.name;
      if (input.slug !== undefined) changes.slug = input.slug;
      if (input.issuer !== undefined) changes.issuer = input.issuer;
      if (input.clientId !== undefined) changes.client_id = input.clientId;
      if (input.clientSecret) changes.client_secret = input.clientSecret;
      if (input.scopes !== undefined) changes.scopes = input.scopes;
      if (input.usernameClaim !== undefined) changes.username_claim = input.usernameClaim;
      if (input.enabled !== undefined) changes.enabled = input.enabled ? 1 : 0;
      if (input.linkVerifiedEmail !== undefined) changes.link_verified_email = input.linkVerifiedEmail ? 1 : 0;
      if (input.createUsers !== undefined) changes.create_users = input.createUsers ? 1 : 0;
      if (input.newUserAccessType !== undefined) changes.new_user_access_type = input.newUserAccessType;
      const updated = await trx
        .updateTable('identity_providers')
        .set(changes)
        .where('account_id', '=', actor.accountId)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst()
        .catch((error: unknown) => {
          throw isUniqueViolation(error) ? slugTaken(input.slug ?? '') : error;
        });
      if (!updated) throw notFound('Identity provider');
      const was = auditView(before);
      const now = auditView(updated);
      const changed = Object.keys(now).filter(
        (key) => JSON.stringify(was[key as keyof typeof was]) !== JSON.stringify(now[key as keyof typeof now]),
      );
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'identity_provider.update',
        target: { type: 'identity_provider', id, label: updated.name },
        before: Object.fromEntries(changed.map((key) => [key, was[key as keyof typeof was]])),
        after: {
          ...Object.fromEntries(changed.map((key) => [key, now[key as keyof typeof now]])),
          // Only the fact that the secret changed, never the secret.
          ...(input.clientSecret && input.clientSecret !== before.client_secret ? { clientSecretChanged: true } : {}),
        },
        ip: meta.ip,
      });
      return updated;
    });
    return present(row);
  }

  async remove(actor: Actor, id: number, meta: RequestMeta = {}) {
    this.assertCanManage(actor);
    await this.db.transaction().execute(async (trx) => {
      // Bound identities and flows in progress go with the provider (ON DELETE CASCADE is not on in every SQLite).
      const row = await trx
        .selectFrom('identity_providers')
        .selectAll()
        .where('account_id', '=', actor.accountId)
        .where('id', '=', id)
        .executeTakeFirst();
      if (!row) throw notFound('Identity provider');
      await trx.deleteFrom('user_identities').where('provider_id', '=', id).execute();
      await trx.deleteFrom('sso_flows').where('provider_id', '=', id).execute();
      await trx.deleteFrom('identity_providers').where('id', '=', id).execute();
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'identity_provider.delete',
        target: { type: 'identity_provider', id, label: row.name },
        before: auditView(row),
        ip: meta.ip,
      });
    });
  }

  private async find(accountId: number, id: number): Promise<ProviderRow> {
    const row = await this.db
      .selectFrom('identity_providers')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw notFound('Identity provider');
    return row;
  }

  private async assertSlugFree(trx: Trx, accountId: number, slug: string, except: number | null) {
    let query = trx
      .selectFrom('identity_providers')
      .select('id')
      .where('account_id', '=', accountId)
      .where('slug', '=', slug);
    if (except !== null) query = query.where('id', '!=', except);
    if (await query.executeTakeFirst()) throw slugTaken(slug);
  }

  /** The enabled providers of an account, for its sign-in page. */
  async signInOptions(accountId: number) {
    return this.db
      .selectFrom('identity_providers')
      .select(['slug', 'name'])
      .where('account_id', '=', accountId)
      .where('enabled', '=', 1)
      .orderBy('name')
      .orderBy('id')
      .execute();
  }

  // ---- the identities bound to a user ----

  private async userRow(actor: Actor, id: number): Promise<UserRow> {
    const row = (await this.db
      .selectFrom('users')
      .selectAll()
      .where('account_id', '=', actor.accountId)
      .where('id', '=', id)
      .executeTakeFirst()) as UserRow | undefined;
    if (!row) throw notFound('User');
    return row;
  }

  async identities(actor: Actor, userId: number) {
    const user = await this.userRow(actor, userId);
    authorize(actor, 'user.read', 'user', userSubject(user));
    const unlink = can(actor, 'user.update', 'user', userSubject(user));
    const rows = await this.db
      .selectFrom('user_identities')
      .innerJoin('identity_providers', 'identity_providers.id', 'user_identities.provider_id')
      .select([
        'user_identities.provider_id',
        'user_identities.subject',
        'user_identities.created_at',
        'user_identities.last_used_at',
        'identity_providers.name',
        'identity_providers.slug',
      ])
      .where('user_identities.user_id', '=', user.id)
      .orderBy('identity_providers.name')
      .execute();
    return rows.map((row) => ({
      providerId: row.provider_id,
      providerName: row.name,
      providerSlug: row.slug,
      subject: row.subject,
      createdAt: row.created_at,
      lastUsedAt: row.last_used_at,
      can: { unlink },
    }));
  }

  async unlink(actor: Actor, userId: number, providerId: number, meta: RequestMeta = {}) {
    const user = await this.userRow(actor, userId);
    authorize(actor, 'user.update', 'user', userSubject(user));
    await this.db.transaction().execute(async (trx) => {
      const removed = await trx
        .deleteFrom('user_identities')
        .where('user_id', '=', user.id)
        .where('provider_id', '=', providerId)
        .returning(['subject'])
        .executeTakeFirst();
      if (!removed) throw notFound('Linked identity');
      const provider = await trx
        .selectFrom('identity_providers')
        .select(['name'])
        .where('id', '=', providerId)
        .executeTakeFirst();
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'user.identity_unlink',
        target: { type: 'user', id: user.id, label: user.username },
        before: { provider: provider?.name ?? null, subject: removed.subject },
        ip: meta.ip,
      });
    });
  }
}

const slugTaken = (slug: string) =>
  conflict('SlugTaken', `Another identity provider of this account is called ${slug}`, [
    { path: 'slug', message: 'Another identity provider of this account has this slug' },
  ]);

/** A short, safe account of why discovery failed (no response body is repeated). */
export function discoveryProblem(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED') return 'the document names another issuer';
  if (code === 'OAUTH_RESPONSE_IS_NOT_CONFORM') return 'the server did not answer with a discovery document';
  if (code === 'OAUTH_HTTP_REQUEST_FORBIDDEN') return 'the issuer must use https (plain http: loopback hosts only)';
  if (error instanceof Error && /https/.test(error.message)) return error.message;
  if ((error as { name?: string }).name === 'TimeoutError') return 'the server did not answer in time';
  return 'the server could not be reached or did not answer with a discovery document';
}
