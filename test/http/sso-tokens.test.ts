// Single sign-on against a hand-written identity provider (node:http + jose) whose token endpoint answers with
// broken ID tokens: each must be refused with a clear code and no session. A good token proves the provider works.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { createHarness, type Harness } from '../support/harness.js';

const CALLBACK = 'http://localhost/api/v1/auth/sso/callback';
const CLIENT_ID = 'roster-tokens';
const CLIENT_SECRET = 'token-test-secret';

type Mode =
  | 'good'
  | 'wrong-iss'
  | 'wrong-nonce'
  | 'wrong-aud'
  | 'bad-signature'
  | 'alg-none'
  | 'no-sub'
  | 'no-iat'
  | 'expired';

interface FakeProvider {
  issuer: string;
  mode: Mode;
  /** The nonce of the authorization request under way (read from Roster's redirect). */
  nonce: string;
  /** The PKCE challenge of that request, checked against the verifier the token request brings. */
  challenge: string;
  tokenRequests: number;
  close(): Promise<void>;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function startFakeProvider(): Promise<FakeProvider> {
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const state: FakeProvider = {
    issuer,
    mode: 'good',
    nonce: '',
    challenge: '',
    tokenRequests: 0,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  async function idToken(): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      iss: state.mode === 'wrong-iss' ? 'http://127.0.0.1:1/other' : issuer,
      sub: 'alice',
      aud: state.mode === 'wrong-aud' ? 'someone-else' : CLIENT_ID,
      nonce: state.mode === 'wrong-nonce' ? 'another-nonce' : state.nonce,
      iat: now,
      exp: state.mode === 'expired' ? now - 600 : now + 300,
    };
    if (state.mode === 'no-sub') delete claims.sub;
    if (state.mode === 'no-iat') delete claims.iat;
    if (state.mode === 'alg-none') return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
    const key = state.mode === 'bad-signature' ? stranger.privateKey : keys.privateKey;
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(key);
  }

  server.on('request', async (req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/.well-known/openid-configuration') {
      return send(200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['client_secret_basic'],
        code_challenge_methods_supported: ['S256'],
        authorization_response_iss_parameter_supported: true,
      });
    }
    if (url.pathname === '/jwks') return send(200, { keys: [jwk] });
    if (url.pathname === '/token' && req.method === 'POST') {
      state.tokenRequests++;
      let raw = '';
      for await (const chunk of req) raw += chunk;
      const form = new URLSearchParams(raw);
      // RFC 6749 2.3.1: both parts are form-urlencoded before they are joined and encoded.
      const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      const [id, secret] = Buffer.from(basic, 'base64')
        .toString()
        .split(':')
        .map((part) => decodeURIComponent(part));
      if (id !== CLIENT_ID || secret !== CLIENT_SECRET) return send(401, { error: 'invalid_client' });
      const verifier = form.get('code_verifier') ?? '';
      if (createHash('sha256').update(verifier).digest('base64url') !== state.challenge) {
        return send(400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
      }
      if (form.get('code') !== 'the-code' || form.get('redirect_uri') !== CALLBACK) {
        return send(400, { error: 'invalid_grant' });
      }
      return send(200, {
        access_token: 'an-access-token',
        token_type: 'Bearer',
        expires_in: 300,
        id_token: await idToken(),
      });
    }
    send(404, { error: 'not_found' });
  });
  return state;
}

let fake: FakeProvider;
beforeAll(async () => {
  fake = await startFakeProvider();
});
afterAll(() => fake.close());

describe.each(DIALECTS)('single sign-on with broken tokens (%s)', (dialect) => {
  let h: Harness;
  let slug: string;
  let userId: number;
  beforeAll(async () => {
    h = await createHarness(dialect);
    const account = await h.newAccount();
    slug = account.slug;
    const provider = await account.owner.post('/identity-providers', {
      name: 'Hand-made',
      slug: 'handmade',
      issuer: fake.issuer,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
    });
    expect(provider.status, provider.text).toBe(201);
    userId = (await h.buildUser(account.owner)).id;
    await h.db
      .insertInto('user_identities')
      .values({
        provider_id: provider.body.id,
        subject: 'alice',
        user_id: userId,
        created_at: new Date().toISOString(),
      })
      .execute();
  });
  afterAll(() => h.close());

  const sessions = async () =>
    Number(
      (
        await h.db
          .selectFrom('sessions')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('user_id', '=', userId)
          .executeTakeFirstOrThrow()
      ).n,
    );

  /** Starts at Roster, then comes back as the provider would, with `iss` as given. */
  async function attempt(mode: Mode, iss: string = fake.issuer) {
    fake.mode = mode;
    const start = await h.app.request(`/api/v1/auth/sso/handmade/start?account=${slug}`);
    const to = new URL(start.headers.get('location') ?? '');
    expect(to.origin).toBe(fake.issuer);
    fake.nonce = to.searchParams.get('nonce') ?? '';
    fake.challenge = to.searchParams.get('code_challenge') ?? '';
    const back = new URLSearchParams({ code: 'the-code', state: to.searchParams.get('state') ?? '', iss });
    const reply = await h.app.request(`/api/v1/auth/sso/callback?${back}`);
    expect(reply.status).toBe(302);
    const location = reply.headers.get('location') ?? '';
    return {
      location,
      code: new URL(location, 'http://localhost').searchParams.get('sso_error'),
      cookie: reply.headers.get('set-cookie'),
    };
  }

  it('signs in with a good token (the provider itself is sound)', async () => {
    const before = await sessions();
    const good = await attempt('good');
    expect(good.location).toBe('/');
    expect(good.cookie).toMatch(/roster_session=/);
    expect(await sessions()).toBe(before + 1);
  });

  it.each([
    'wrong-iss',
    'wrong-nonce',
    'wrong-aud',
    'bad-signature',
    'alg-none',
    'no-sub',
    'no-iat',
    'expired',
  ] as const)('refuses an ID token with %s and opens no session', async (mode) => {
    const before = await sessions();
    const requests = fake.tokenRequests;
    const refused = await attempt(mode);
    expect(fake.tokenRequests).toBe(requests + 1);
    expect(refused.code).toBe('InvalidResponse');
    expect(refused.location).toBe(`/sign-in?account=${slug}&sso_error=InvalidResponse`);
    expect(refused.cookie).toBeNull();
    expect(await sessions()).toBe(before);
  });

  it('refuses an authorization response whose iss names another issuer (RFC 9207), before any token request', async () => {
    const before = await sessions();
    const requests = fake.tokenRequests;
    const refused = await attempt('good', 'http://127.0.0.1:1/impostor');
    expect(refused.code).toBe('InvalidResponse');
    expect(refused.cookie).toBeNull();
    expect(fake.tokenRequests).toBe(requests);
    expect(await sessions()).toBe(before);
    // An authorization response without iss, from a provider that promises it, is refused too.
    fake.mode = 'good';
    const start = await h.app.request(`/api/v1/auth/sso/handmade/start?account=${slug}`);
    const to = new URL(start.headers.get('location') ?? '');
    const missing = await h.app.request(
      `/api/v1/auth/sso/callback?${new URLSearchParams({ code: 'the-code', state: to.searchParams.get('state') ?? '' })}`,
    );
    expect(new URL(missing.headers.get('location') ?? '', 'http://localhost').searchParams.get('sso_error')).toBe(
      'InvalidResponse',
    );
  });
});
