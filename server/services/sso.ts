// Single sign-on through OpenID Connect: the sign-in flow (authorization code with PKCE, state and nonce) that finds,
// links or creates the Roster user a provider's subject stands for, and opens a session.
import { createHash } from 'node:crypto';
import type { Transaction } from 'kysely';
import * as oidc from 'openid-client';
import { emailSchema, usernameSchema } from '../../shared/schemas.js';
import type { SsoAccessType, SsoError } from '../../shared/sso-schemas.js';
import type { Db } from '../db/index.js';
import type { Database } from '../db/schema/index.js';
import type { Actor } from '../policy.js';
import type { AuditLog } from './audit.js';
import { type Auth, signInRefusal } from './auth.js';
import { discover, discoveryProblem, type ProviderRow } from './identity-providers.js';
import { Throttle } from './throttle.js';
import type { UserRow } from './user-presenter.js';
import { isUniqueViolation, type UserDirectory } from './users.js';

type Trx = Transaction<Database>;

const FLOW_MINUTES = 10;
/** How long a provider's discovered configuration (endpoints, keys) is reused before it is read again. */
const CONFIG_MS = 5 * 60_000;
/** The window over which a client address's single sign-on requests are counted. */
const THROTTLE_WINDOW_MINUTES = 15;

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** A sign-in through a provider that failed: the browser goes back to the sign-in page with the code, nothing else. */
export class SsoFailure extends Error {
  constructor(
    readonly code: SsoError,
    readonly accountSlug: string | null,
    why: string,
  ) {
    super(why);
  }
}

export interface SsoMeta {
  ip?: string | null;
  userAgent?: string | null;
}

export class SingleSignOn {
  private readonly configs = new Map<number, { key: string; config: oidc.Configuration; until: number }>();
  private readonly counter: Throttle;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly auth: Auth,
    private readonly users: UserDirectory,
    private readonly now: () => Date,
    /** Single sign-on requests (starts and callbacks) one client address may make in 15 minutes. */
    private readonly addressLimit: number,
  ) {
    this.counter = new Throttle(db, now);
  }

  /** The client configuration of a provider, discovered at most every few minutes. */
  private async configuration(provider: ProviderRow): Promise<oidc.Configuration> {
    const key = `${provider.updated_at}|${provider.issuer}|${provider.client_id}`;
    const known = this.configs.get(provider.id);
    if (known && known.key === key && known.until > Date.now()) return known.config;
    const config = await discover(provider.issuer, provider.client_id, provider.client_secret);
    this.configs.set(provider.id, { key, config, until: Date.now() + CONFIG_MS });
    return config;
  }

  /** Counts one single sign-on request of a client address, refusing it (429) past the limit of the window. */
  async throttle(ip: string | null | undefined): Promise<void> {
    if (!ip) return;
    await this.counter.enforce(
      `sso:ip:${ip}`,
      this.addressLimit,
      THROTTLE_WINDOW_MINUTES,
      'Too many single sign-on attempts from your address: wait a few minutes before trying again',
    );
  }

  /** Starts a sign-in at the provider: records the flow and returns where to send the browser. */
  async start(accountSlug: string, providerSlug: string, redirectUri: string): Promise<URL> {
    const account = await this.db
      .selectFrom('accounts')
      .select(['id', 'slug'])
      .where('slug', '=', accountSlug)
      .executeTakeFirst();
    const slug = account?.slug ?? null;
    const provider = account
      ? await this.db
          .selectFrom('identity_providers')
          .selectAll()
          .where('account_id', '=', account.id)
          .where('slug', '=', providerSlug)
          .where('enabled', '=', 1)
          .executeTakeFirst()
      : undefined;
    if (!provider) throw new SsoFailure('UnknownProvider', slug, 'no such enabled provider');
    let config: oidc.Configuration;
    try {
      config = await this.configuration(provider);
    } catch (error) {
      throw new SsoFailure('ProviderUnavailable', slug, discoveryProblem(error));
    }
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const verifier = oidc.randomPKCECodeVerifier();
    const now = this.now();
    await this.db
      .insertInto('sso_flows')
      .values({
        state_hash: sha256(state),
        provider_id: provider.id,
        code_verifier: verifier,
        nonce,
        created_at: now.toISOString(),
        expires_at: new Date(now.getTime() + FLOW_MINUTES * 60_000).toISOString(),
      })
      .execute();
    // Flows nobody finished are forgotten now and then, so the table stays small.
    if (Math.random() < 0.05) {
      await this.db.deleteFrom('sso_flows').where('expires_at', '<=', now.toISOString()).execute();
    }
    return oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: provider.scopes,
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
  }

  /**
   * Finishes a sign-in: takes the flow its state names (once), exchanges the code, checks the ID token, finds or
   * links or creates the user, and opens a session. Returns the session's cookie token.
   */
  async finish(callbackUrl: URL, redirectUri: string, meta: SsoMeta): Promise<{ token: string; accountSlug: string }> {
    const state = callbackUrl.searchParams.get('state');
    if (!state || state.length > 500) throw new SsoFailure('FlowExpired', null, 'no state');
    const now = this.now();
    // Single use: the flow is taken by deleting it, so a replayed callback finds nothing.
    const flow = await this.db
      .deleteFrom('sso_flows')
      .where('state_hash', '=', sha256(state))
      .returningAll()
      .executeTakeFirst();
    if (!flow) throw new SsoFailure('FlowExpired', null, 'unknown or used state');
    const found = await this.db
      .selectFrom('identity_providers')
      .innerJoin('accounts', 'accounts.id', 'identity_providers.account_id')
      .selectAll('identity_providers')
      .select(['accounts.slug as account_slug'])
      .where('identity_providers.id', '=', flow.provider_id)
      .executeTakeFirst();
    if (!found) throw new SsoFailure('UnknownProvider', null, 'the provider is gone');
    const { account_slug: accountSlug, ...provider } = found;
    const fail = (code: SsoError, why: string) => new SsoFailure(code, accountSlug, why);
    if (new Date(flow.expires_at) <= now) throw fail('FlowExpired', 'the flow expired');
    if (provider.enabled !== 1) throw fail('UnknownProvider', 'the provider is disabled');
    if (callbackUrl.searchParams.has('error')) throw fail('ProviderRefused', 'the provider answered with an error');

    let config: oidc.Configuration;
    try {
      config = await this.configuration(provider);
    } catch (error) {
      throw fail('ProviderUnavailable', discoveryProblem(error));
    }
    // The URL the provider redirected to, as registered there (Roster may sit behind a proxy).
    const current = new URL(redirectUri);
    current.search = callbackUrl.search;
    let claims: Record<string, unknown>;
    let accessToken: string | undefined;
    try {
      const tokens = await oidc.authorizationCodeGrant(
        config,
        current,
        {
          pkceCodeVerifier: flow.code_verifier,
          expectedState: state,
          expectedNonce: flow.nonce,
          idTokenExpected: true,
        },
        { redirect_uri: redirectUri },
      );
      const idToken = tokens.claims();
      if (!idToken) throw new Error('no ID token');
      claims = { ...idToken };
      accessToken = tokens.access_token;
    } catch (error) {
      throw fail('InvalidResponse', tokenProblem(error));
    }
    if (typeof claims.sub !== 'string' || claims.sub === '' || claims.sub.length > 255) {
      throw fail('InvalidResponse', 'the ID token has no subject');
    }
    if (typeof claims.iat !== 'number') throw fail('InvalidResponse', 'the ID token has no issue time');
    const subject = claims.sub;

    const bound = await this.db
      .selectFrom('user_identities')
      .innerJoin('users', 'users.id', 'user_identities.user_id')
      .selectAll('users')
      .where('user_identities.provider_id', '=', provider.id)
      .where('user_identities.subject', '=', subject)
      .executeTakeFirst();
    if (bound) {
      const user = bound as UserRow;
      this.assertMaySignIn(user, now, accountSlug);
      const token = await this.auth.openSession(provider.account_id, user, 'sso', meta, async (trx) => {
        await trx
          .updateTable('user_identities')
          .set({ last_used_at: now.toISOString() })
          .where('provider_id', '=', provider.id)
          .where('subject', '=', subject)
          .execute();
      });
      return { token, accountSlug };
    }

    // Not bound yet: what the provider says about the person (the ID token first, then its userinfo endpoint).
    const person = await this.personClaims(config, claims, accessToken, provider);
    const email = typeof person.email === 'string' ? person.email.trim() : '';
    // "nOAuth": an email picks an existing user only when the provider vouches for it, and never a username.
    if (provider.link_verified_email === 1 && email !== '' && person.email_verified === true) {
      const matches = (await this.db
        .selectFrom('users')
        .selectAll()
        .where('account_id', '=', provider.account_id)
        .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
        .limit(2)
        .execute()) as UserRow[];
      const [user] = matches;
      if (user && matches.length === 1) {
        this.assertMaySignIn(user, now, accountSlug);
        const already = await this.db
          .selectFrom('user_identities')
          .select('subject')
          .where('provider_id', '=', provider.id)
          .where('user_id', '=', user.id)
          .executeTakeFirst();
        if (already) throw fail('NotLinked', 'the user is bound to another subject of this provider');
        // Two first sign-ins at once may race to bind: the loser is refused, not answered with a 500.
        const token = await this.auth
          .openSession(provider.account_id, user, 'sso', meta, (trx) =>
            this.bind(trx, provider, subject, user, now, 'verified_email', meta.ip),
          )
          .catch((error: unknown) => {
            if (isUniqueViolation(error)) throw fail('NotLinked', 'the identity was bound meanwhile');
            throw error;
          });
        return { token, accountSlug };
      }
    }

    if (provider.create_users === 1) {
      const user = await this.createUser(provider, subject, person, now, meta, accountSlug);
      this.assertMaySignIn(user, now, accountSlug);
      const token = await this.auth.openSession(provider.account_id, user, 'sso', meta);
      return { token, accountSlug };
    }
    throw fail('NotLinked', 'no user is bound to this subject');
  }

  private assertMaySignIn(user: UserRow, now: Date, accountSlug: string) {
    const refusal = signInRefusal(user, now, 'sso');
    if (!refusal) return;
    const code = (['UserDisabled', 'NotYetValid', 'Expired', 'NoAccess'] as const).find((c) => c === refusal.code);
    throw new SsoFailure(code ?? 'NoAccess', accountSlug, refusal.message);
  }

  /** The ID token's claims, completed by the userinfo endpoint when they lack what linking or creating needs. */
  private async personClaims(
    config: oidc.Configuration,
    claims: Record<string, unknown>,
    accessToken: string | undefined,
    provider: ProviderRow,
  ): Promise<Record<string, unknown>> {
    const wanted = provider.create_users === 1 || provider.link_verified_email === 1;
    const complete = 'email' in claims && 'email_verified' in claims && provider.username_claim in claims;
    if (!wanted || complete || !accessToken || !config.serverMetadata().userinfo_endpoint) return claims;
    try {
      const info = await oidc.fetchUserInfo(config, accessToken, claims.sub as string);
      // The ID token wins where both speak; userinfo's subject was checked to be the same person.
      return { ...info, ...claims };
    } catch {
      return claims;
    }
  }

  private async bind(
    trx: Trx,
    provider: ProviderRow,
    subject: string,
    user: UserRow,
    now: Date,
    how: 'verified_email' | 'created',
    ip?: string | null,
  ) {
    await trx
      .insertInto('user_identities')
      .values({
        provider_id: provider.id,
        subject,
        user_id: user.id,
        created_at: now.toISOString(),
        last_used_at: now.toISOString(),
      })
      .execute();
    await this.audit.record(trx, {
      accountId: provider.account_id,
      actor: { userId: user.id, username: user.username },
      action: 'user.identity_link',
      target: { type: 'user', id: user.id, label: user.username },
      after: { provider: provider.name, subject, how },
      ip,
    });
  }

  private async createUser(
    provider: ProviderRow,
    subject: string,
    person: Record<string, unknown>,
    now: Date,
    meta: SsoMeta,
    accountSlug: string,
  ): Promise<UserRow> {
    const text = (value: unknown, max = 100) => (typeof value === 'string' ? value.trim().slice(0, max) : '');
    const username = usernameSchema.safeParse(text(person[provider.username_claim]));
    if (!username.success) throw new SsoFailure('UserNotCreated', accountSlug, 'no usable username claim');
    const email = emailSchema.safeParse(text(person.email, 254));
    const [given, ...rest] = text(person.name).split(/\s+/);
    const firstName = text(person.given_name) || given || username.data;
    const lastName = text(person.family_name) || (text(person.given_name) ? '' : rest.join(' '));
    // The provider acts for the account here: the audit log names it as the creator.
    const actor: Actor = {
      userId: 0,
      accountId: provider.account_id,
      username: `sso:${provider.slug}`,
      accessType: 'admin',
      isOwner: true,
      profile: null,
    };
    try {
      const created = await this.users.create(
        actor,
        {
          username: username.data,
          firstName,
          lastName,
          email: email.success ? email.data : '',
          emailVerified: email.success && email.data !== '' && person.email_verified === true,
          accessType: provider.new_user_access_type as SsoAccessType,
          authMethod: 'sso',
        },
        { ip: meta.ip },
        (trx, user) => this.bind(trx, provider, subject, user, now, 'created', meta.ip),
      );
      const row = (await this.db
        .selectFrom('users')
        .selectAll()
        .where('id', '=', created.id)
        .executeTakeFirstOrThrow()) as UserRow;
      return row;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'UsernameTaken' || isUniqueViolation(error)) {
        throw new SsoFailure('UsernameTaken', accountSlug, 'the username is taken by a user not bound to this person');
      }
      throw new SsoFailure('UserNotCreated', accountSlug, `the user could not be created (${code ?? 'error'})`);
    }
  }
}

/** The stable code of a refused token response, for the server's log (never shown to the browser). */
function tokenProblem(error: unknown): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  return `${code ?? 'error'}: ${message.slice(0, 200)}`;
}
