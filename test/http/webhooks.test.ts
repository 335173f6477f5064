// Webhooks against a real HTTP receiver on 127.0.0.1 that verifies every delivery with the standardwebhooks package,
// fails on purpose (500, 503 with Retry-After, 410) and is slow on purpose; time moves with the harness's clock.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../../server/db/index.js';
import { WebhookDispatcher } from '../../server/services/webhooks/dispatcher.js';
import { DIALECTS } from '../support/databases.js';
import { type Client, createHarness, type Harness, PASSWORD } from '../support/harness.js';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: Date;
}

/** A receiver whose answer per path the test sets; it records every request it gets. */
async function startReceiver(clock: () => Date) {
  const received: Received[] = [];
  const answers = new Map<
    string,
    (hit: number) => { status: number; headers?: Record<string, string>; delayMs?: number }
  >();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      received.push({ path, headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), at: clock() });
      const hit = received.filter((r) => r.path === path).length;
      const answer = answers.get(path)?.(hit) ?? { status: 200 };
      const reply = () => {
        if (response.destroyed) return;
        response.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
        response.end(answer.status >= 300 ? `answer ${answer.status}` : 'ok');
      };
      if (answer.delayMs) setTimeout(reply, answer.delayMs);
      else reply();
    });
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    received,
    at: (path: string) => received.filter((r) => r.path === path),
    answer: (
      path: string,
      how: (hit: number) => { status: number; headers?: Record<string, string>; delayMs?: number },
    ) => answers.set(path, how),
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** Verifies as a receiver would, at the time the delivery was received (the library reads the system clock). */
function verify(secret: string, hit: Received) {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(hit.at);
  try {
    return new Webhook(secret).verify(hit.body, hit.headers as Record<string, string>) as {
      type: string;
      timestamp: string;
      data: Record<string, unknown>;
    };
  } finally {
    vi.useRealTimers();
  }
}

describe.each(DIALECTS)('webhooks (%s)', (dialect) => {
  let h: Harness;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const TIMEOUT_MS = 400;

  beforeAll(async () => {
    h = await createHarness(dialect, { webhooksAllowPrivate: true, webhookTimeoutMs: TIMEOUT_MS });
    receiver = await startReceiver(() => h.clock.now());
  });
  afterAll(async () => {
    await h.ctx.webhookDispatcher.stop();
    await receiver.close();
    await h.close();
  });

  const flush = () => h.ctx.webhookDispatcher.flush();

  async function subscribe(owner: Client, path: string, eventTypes = ['user.moved']) {
    const reply = await owner.post('/webhooks', { url: receiver.url(path), description: path, eventTypes });
    expect(reply.status).toBe(201);
    return reply.body as { id: number; secret: string };
  }

  /**
   * Creates a user and moves them to a new team through the API: the user's events are user.created (1),
   * team.membership_changed (2) and user.moved (3).
   */
  async function moveSomeone(owner: Client) {
    const team = (await owner.post('/groups', { name: `Team ${Math.random().toString(36).slice(2, 8)}` })).body.id;
    const user = await h.buildUser(owner);
    const moved = await owner.post(`/users/${user.id}/move`, { toGroupId: team });
    expect(moved.status).toBe(200);
    expect(moved.body.event).toMatchObject({ type: 'user.moved', userId: user.id, sequence: 3 });
    return { user, team: team as number, event: moved.body.event as { id: number; sequence: number } };
  }

  /**
   * The type, user and sequence number of each delivery the receiver got at `path`, verified with `secret`, by user
   * and sequence (deliveries are sent several at once: they may arrive in any order).
   */
  const stream = (path: string, secret: string) =>
    receiver
      .at(path)
      .map((hit) => {
        const { type, data } = verify(secret, hit);
        return [type, data.userId, data.sequence] as [string, number, number];
      })
      .sort((x, y) => x[1] - y[1] || x[2] - y[2]);

  async function deliveries(owner: Client, endpointId: number) {
    const reply = await owner.get(`/webhooks/${endpointId}/deliveries`);
    expect(reply.status).toBe(200);
    return reply.body.items as {
      id: number;
      webhookId: string;
      status: string;
      attempts: number;
      lastStatus: number | null;
      lastError: string | null;
      nextAttemptAt: string | null;
      eventType: string;
    }[];
  }

  it('signs each delivery the Standard Webhooks way; the receiver verifies it and reads the event', async () => {
    const { owner, accountId } = await h.newAccount();
    // Written before the endpoint exists: not delivered to it.
    await moveSomeone(owner);
    const endpoint = await subscribe(owner, '/signed', ['user.moved']);
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const listed = await owner.get('/webhooks');
    expect(listed.body.items).toHaveLength(1);
    expect(listed.text).not.toContain(endpoint.secret.slice(6));
    expect((await owner.get(`/webhooks/${endpoint.id}`)).text).not.toContain(endpoint.secret.slice(6));

    const { user, team, event } = await moveSomeone(owner);
    // Not subscribed to: never delivered.
    await h.db
      .insertInto('events')
      .values({
        account_id: accountId,
        type: 'user.deleted',
        payload_json: JSON.stringify({ user: { id: user.id } }),
        created_at: h.clock.now().toISOString(),
        user_id: user.id,
        user_seq: 4,
      })
      .execute();
    await flush();
    const hits = receiver.at('/signed');
    expect(hits).toHaveLength(1);
    const hit = hits[0] as Received;
    const message = verify(endpoint.secret, hit);
    expect(message.type).toBe('user.moved');
    // The user's third event: user.created and team.membership_changed came first.
    expect(message.data).toMatchObject({
      eventId: event.id,
      userId: user.id,
      sequence: 3,
      fromGroupId: null,
      toGroupId: team,
      moveCalls: false,
      user: { id: user.id, username: user.username, mainTeam: { id: team } },
      change: { before: { mainTeam: null }, after: { mainTeam: { id: team } } },
    });
    expect(hit.headers['webhook-timestamp']).toBe(String(Math.floor(h.clock.now().getTime() / 1000)));
    expect(hit.headers['content-type']).toBe('application/json');
    // Another secret does not verify it.
    expect(() => verify(`whsec_${Buffer.alloc(32, 7).toString('base64')}`, hit)).toThrow(/signature/);

    const [delivery] = await deliveries(owner, endpoint.id);
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 1, lastStatus: 200, eventType: 'user.moved' });
    expect(hit.headers['webhook-id']).toBe(delivery?.webhookId);

    const audit = (await owner.get('/audit?limit=20')).body.items.map((e: { action: string }) => e.action);
    expect(audit).toContain('webhook.create');
    expect((await owner.get('/audit?limit=50')).text).not.toContain(endpoint.secret.slice(6));
  });

  it('retries a 500 after about 5 s with the same webhook-id, and honours a longer Retry-After', async () => {
    const { owner } = await h.newAccount();
    receiver.answer('/flaky', (hit) => ({ status: hit === 1 ? 500 : 200 }));
    receiver.answer('/busy', (hit) => ({ status: hit === 1 ? 503 : 200, headers: { 'retry-after': '120' } }));
    const flaky = await subscribe(owner, '/flaky');
    const busy = await subscribe(owner, '/busy');
    await moveSomeone(owner);
    await flush();
    const [first] = await deliveries(owner, flaky.id);
    expect(first).toMatchObject({ status: 'pending', attempts: 1, lastStatus: 500 });
    expect(first?.lastError).toContain('HTTP 500');
    const wait = new Date(first?.nextAttemptAt as string).getTime() - h.clock.now().getTime();
    expect(wait).toBeGreaterThanOrEqual(4_000);
    expect(wait).toBeLessThanOrEqual(6_000);
    const [parked] = await deliveries(owner, busy.id);
    expect(new Date(parked?.nextAttemptAt as string).getTime() - h.clock.now().getTime()).toBeGreaterThanOrEqual(
      120_000,
    );

    // Not due yet: nothing is sent.
    await flush();
    expect(receiver.at('/flaky')).toHaveLength(1);

    h.clock.advance(6_000);
    await flush();
    const flakyHits = receiver.at('/flaky');
    expect(flakyHits).toHaveLength(2);
    expect(flakyHits[1]?.headers['webhook-id']).toBe(flakyHits[0]?.headers['webhook-id']);
    expect(verify(flaky.secret, flakyHits[1] as Received)).toMatchObject({ type: 'user.moved', data: { sequence: 3 } });
    expect((await deliveries(owner, flaky.id))[0]).toMatchObject({ status: 'delivered', attempts: 2, lastStatus: 200 });
    // The 503 asked for two minutes: 6 s later it has not been tried again.
    expect(receiver.at('/busy')).toHaveLength(1);
    h.clock.advance(120_000);
    await flush();
    expect(receiver.at('/busy')).toHaveLength(2);
    expect((await deliveries(owner, busy.id))[0]).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('turns an endpoint off at its first 410, tells the admins by mail, and sends it nothing more', async () => {
    const { owner } = await h.newAccount();
    receiver.answer('/gone', () => ({ status: 410 }));
    const gone = await subscribe(owner, '/gone');
    await moveSomeone(owner);
    await flush();
    expect(receiver.at('/gone')).toHaveLength(1);
    const endpoint = (await owner.get(`/webhooks/${gone.id}`)).body;
    expect(endpoint).toMatchObject({ enabled: false, disabledReason: expect.stringContaining('410') });
    const mails = (await owner.get('/mail/outbox')).body.items as { kind?: string; subject: string; to: string }[];
    expect(mails.some((m) => m.subject.includes('webhook') && m.to === 'owner@example.com')).toBe(true);
    const audit = (await owner.get('/audit?limit=20')).body.items.map((e: { action: string }) => e.action);
    expect(audit).toContain('webhook.disabled');

    await moveSomeone(owner);
    h.clock.advance(60_000);
    await flush();
    expect(receiver.at('/gone')).toHaveLength(1);
    expect((await owner.post(`/webhooks/${gone.id}/test`)).status).toBe(409);

    // On again: the delivery that waited goes out.
    receiver.answer('/gone', () => ({ status: 204 }));
    expect((await owner.patch(`/webhooks/${gone.id}`, { enabled: true })).body.enabled).toBe(true);
    await flush();
    expect(receiver.at('/gone')).toHaveLength(2);
  });

  it('keeps retrying a failing endpoint for three days, then gives up, turns it off and mails the admins', async () => {
    const account = await h.newAccount();
    receiver.answer('/down', () => ({ status: 500 }));
    const down = await subscribe(account.owner, '/down');
    await moveSomeone(account.owner);
    const started = h.clock.now().getTime();
    for (let round = 0; round < 30; round++) {
      await flush();
      const delivery = await h.db
        .selectFrom('webhook_deliveries')
        .select(['status', 'next_attempt_at'])
        .where('endpoint_id', '=', down.id)
        .executeTakeFirstOrThrow();
      if (delivery.status !== 'pending') break;
      h.clock.advance(new Date(delivery.next_attempt_at).getTime() - h.clock.now().getTime());
    }
    // Three days later the session has ended: sign in again.
    const owner = await h.signIn(account.slug, 'owner', PASSWORD);
    const hits = receiver.at('/down');
    const [delivery] = await deliveries(owner, down.id);
    expect(delivery).toMatchObject({ status: 'failed', lastStatus: 500 });
    expect(hits.length).toBeGreaterThanOrEqual(11);
    expect(delivery?.attempts).toBe(hits.length);
    const lastAt = (hits[hits.length - 1] as Received).at.getTime();
    expect(lastAt - started).toBeGreaterThanOrEqual(3 * 24 * 3600 * 1000);
    // The schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then 12 h, each within 20%.
    const gaps = hits.slice(1).map((hit, i) => (hit.at.getTime() - (hits[i] as Received).at.getTime()) / 1000);
    const expected = [5, 300, 1800, 7200, 18000, 36000, 36000, 43200, 43200];
    for (const [i, seconds] of expected.entries()) {
      expect(gaps[i]).toBeGreaterThanOrEqual(seconds * 0.8 - 1);
      expect(gaps[i]).toBeLessThanOrEqual(seconds * 1.2 + 1);
    }
    expect((await owner.get(`/webhooks/${down.id}`)).body).toMatchObject({
      enabled: false,
      disabledReason: expect.stringContaining('three days'),
    });
    const mails = (await owner.get('/mail/outbox')).body.items as { subject: string }[];
    expect(mails.filter((m) => m.subject.includes('webhook'))).toHaveLength(1);
  });

  it('counts a slow answer as a failure and retries it, while the API answers at once', async () => {
    const { owner } = await h.newAccount();
    receiver.answer('/slow', (hit) => ({ status: 200, delayMs: hit === 1 ? TIMEOUT_MS * 4 : 0 }));
    const slow = await subscribe(owner, '/slow');
    await moveSomeone(owner);
    const round = flush();
    while (receiver.at('/slow').length === 0) await new Promise((r) => setTimeout(r, 5));
    // The endpoint holds the request; the API does not wait for it.
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      expect((await owner.get('/webhooks')).status).toBe(200);
      expect(performance.now() - started).toBeLessThan(TIMEOUT_MS / 2);
    }
    await round;
    const [delivery] = await deliveries(owner, slow.id);
    expect(delivery).toMatchObject({ status: 'pending', attempts: 1, lastStatus: null });
    expect(delivery?.lastError).toContain('No answer within 0.4 s');
    h.clock.advance(6_000);
    await flush();
    expect((await deliveries(owner, slow.id))[0]).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('delivers a burst in one round, and a slow endpoint holds back no other endpoint', async () => {
    const { owner, accountId } = await h.newAccount();
    const burst = async (count: number, from: number) => {
      const at = h.clock.now().toISOString();
      await h.db
        .insertInto('events')
        .values(
          Array.from({ length: count }, (_, i) => ({
            account_id: accountId,
            type: 'user.created',
            payload_json: JSON.stringify({ user: { id: from + i } }),
            created_at: at,
            user_id: from + i,
            user_seq: 1,
          })),
        )
        .execute();
    };
    await subscribe(owner, '/burst', ['user.created']);
    // Far more than one claim's worth for one endpoint: all of it in one round.
    await burst(300, 200_000);
    await flush();
    expect(receiver.at('/burst')).toHaveLength(300);

    // An endpoint on the same host that takes longer than the timeout to answer every request.
    receiver.answer('/stuck', () => ({ status: 200, delayMs: TIMEOUT_MS * 3 }));
    await subscribe(owner, '/stuck', ['user.created']);
    await burst(300, 300_000);
    const round = flush();
    const started = performance.now();
    while (receiver.at('/burst').length < 600 && performance.now() - started < 20_000) {
      await new Promise((r) => setTimeout(r, 10));
    }
    // The fast endpoint got everything while the slow one was still on its first waves of requests.
    expect(receiver.at('/burst')).toHaveLength(600);
    expect(receiver.at('/stuck').length).toBeLessThan(150);
    await round;
    expect(new Set(receiver.at('/burst').map((hit) => hit.headers['webhook-id'])).size).toBe(600);
  }, 60_000);

  it('tells an application of users an identity provider creates and disables through SCIM, with their mapped roles', async () => {
    const { owner } = await h.newAccount();
    const types = ['user.created', 'user.updated', 'user.disabled', 'license.granted'];
    const endpoint = await subscribe(owner, '/provisioned', types);
    const token = (await owner.post('/scim-tokens', { name: 'Entra ID' })).body.token as string;
    const scim = async (method: string, path: string, body: unknown) => {
      const response = await h.app.request(`/scim/v2${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: await response.json() };
    };
    const PROVIDER_PASSWORD = 'Xq7-provisioned-Secret-91';
    const provision = async (userName: string, givenName: string, accessType: string) => {
      const created = await scim('POST', '/Users', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName,
        externalId: `entra-${givenName}`,
        name: { givenName, familyName: 'Lovelace' },
        emails: [{ value: userName, type: 'work', primary: true }],
        password: PROVIDER_PASSWORD,
        'urn:roster:params:scim:schemas:extension:2.0:User': { accessType, licenses: ['chat'] },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      return Number(created.body.id);
    };
    const agent = await provision('ada@contoso.com', 'Ada', 'standard');
    const admin = await provision('byron@contoso.com', 'Byron', 'admin');
    const disabled = await scim('PATCH', `/Users/${agent}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
    });
    expect(disabled.status, JSON.stringify(disabled.body)).toBe(200);
    expect(disabled.body.active).toBe(false);
    await flush();

    // Deliveries may arrive in any order (several are in flight at once); the sequence numbers order them.
    const messages = receiver
      .at('/provisioned')
      .map((hit) => verify(endpoint.secret, hit))
      .sort(
        (x, y) => Number(x.data.userId) - Number(y.data.userId) || Number(x.data.sequence) - Number(y.data.sequence),
      );
    const snapshot = (id: number, givenName: string, enabled: boolean, accessType: string, role: string) => ({
      id,
      username: `${givenName.toLowerCase()}@contoso.com`,
      email: `${givenName.toLowerCase()}@contoso.com`,
      firstName: givenName,
      lastName: 'Lovelace',
      enabled,
      accessType,
      source: 'scim',
      externalId: `entra-${givenName}`,
      licenses: ['chat'],
      applications: [{ application: 'chat', role, roles: [role] }],
      mainTeam: null,
    });
    // The licenses given at creation are in user.created (no license.granted before it); seed 003's mapping:
    // Standard -> Agent, Admin -> Administrator.
    expect(messages).toMatchObject([
      {
        type: 'user.created',
        data: { userId: agent, sequence: 1, user: snapshot(agent, 'Ada', true, 'standard', 'AGENT') },
      },
      {
        type: 'user.disabled',
        data: {
          userId: agent,
          sequence: 2,
          user: snapshot(agent, 'Ada', false, 'standard', 'AGENT'),
          change: { before: { enabled: true }, after: { enabled: false } },
        },
      },
      {
        type: 'user.created',
        data: { userId: admin, sequence: 1, user: snapshot(admin, 'Byron', true, 'admin', 'ADMINISTRATOR') },
      },
    ]);
    expect(messages).toHaveLength(3);
    expect(messages.every((m) => m.data.change === undefined || m.type === 'user.disabled')).toBe(true);
    // The password the identity provider set is never sent.
    expect(receiver.at('/provisioned').some((hit) => hit.body.includes(PROVIDER_PASSWORD))).toBe(false);

    // A license granted later is its own event, next in the user's sequence.
    expect((await owner.post(`/users/${admin}/licenses`, { application: 'call_recording' })).status).toBe(200);
    await flush();
    const granted = receiver.at('/provisioned').map((hit) => verify(endpoint.secret, hit))[3];
    expect(granted).toMatchObject({
      type: 'license.granted',
      data: {
        userId: admin,
        sequence: 2,
        change: { license: 'call_recording' },
        user: { licenses: ['chat', 'call_recording'] },
      },
    });
  });

  it("never sends one account's events to another account's endpoints", async () => {
    const a = await h.newAccount();
    const b = await h.newAccount();
    const types = ['user.created', 'team.membership_changed', 'user.moved'];
    const mine = await subscribe(a.owner, '/account-a', types);
    const theirs = await subscribe(b.owner, '/account-b', types);
    const first = await moveSomeone(a.owner);
    const second = await moveSomeone(a.owner);
    await flush();
    // Each user's three events, numbered 1, 2, 3 in the order they were written.
    expect(stream('/account-a', mine.secret)).toEqual([
      ['user.created', first.user.id, 1],
      ['team.membership_changed', first.user.id, 2],
      ['user.moved', first.user.id, 3],
      ['user.created', second.user.id, 1],
      ['team.membership_changed', second.user.id, 2],
      ['user.moved', second.user.id, 3],
    ]);
    expect(receiver.at('/account-b')).toHaveLength(0);
    for (const path of [`/webhooks/${mine.id}`, `/webhooks/${mine.id}/deliveries`]) {
      expect((await b.owner.get(path)).status).toBe(404);
    }
    expect((await b.owner.post(`/webhooks/${mine.id}/rotate-secret`)).status).toBe(404);
    expect((await b.owner.get('/webhooks')).body.items.map((e: { id: number }) => e.id)).toEqual([theirs.id]);
  });

  it('rotates the secret: both secrets verify for a day, then only the new one', async () => {
    const account = await h.newAccount();
    let owner = account.owner;
    const endpoint = await subscribe(owner, '/rotated');
    const rotated = await owner.post(`/webhooks/${endpoint.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(endpoint.secret);
    expect(rotated.body.previousSecretUntil).not.toBeNull();
    await moveSomeone(owner);
    await flush();
    const first = receiver.at('/rotated')[0] as Received;
    expect(String(first.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verify(rotated.body.secret, first).type).toBe('user.moved');
    expect(verify(endpoint.secret, first).type).toBe('user.moved');

    h.clock.advance(24 * 3600 * 1000 + 1000);
    owner = await h.signIn(account.slug, 'owner', PASSWORD);
    await moveSomeone(owner);
    await flush();
    const second = receiver.at('/rotated')[1] as Received;
    expect(String(second.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verify(rotated.body.secret, second).type).toBe('user.moved');
    expect(() => verify(endpoint.secret, second)).toThrow(/signature/);
    expect((await owner.get(`/webhooks/${endpoint.id}`)).body.previousSecretUntil).toBeNull();
  });

  it('sends a test event, resends a delivery, edits and deletes an endpoint', async () => {
    const { owner } = await h.newAccount();
    const endpoint = await subscribe(owner, '/console');
    const test = await owner.post(`/webhooks/${endpoint.id}/test`);
    expect(test.status).toBe(201);
    await flush();
    const hit = receiver.at('/console')[0] as Received;
    expect(verify(endpoint.secret, hit)).toMatchObject({ type: 'webhook.test', data: { eventId: null } });

    const resent = await owner.post(`/webhooks/${endpoint.id}/deliveries/${test.body.id}/resend`);
    expect(resent.status).toBe(200);
    expect(resent.body).toMatchObject({ status: 'pending', attempts: 0 });
    await flush();
    const again = receiver.at('/console');
    expect(again).toHaveLength(2);
    expect(again[1]?.headers['webhook-id']).toBe(hit.headers['webhook-id']);
    expect((await owner.post(`/webhooks/${endpoint.id}/deliveries/999999/resend`)).status).toBe(404);

    const bad = await owner.patch(`/webhooks/${endpoint.id}`, { eventTypes: ['user.exploded'] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields[0].path).toContain('eventTypes');
    expect((await owner.patch(`/webhooks/${endpoint.id}`, { eventTypes: [] })).status).toBe(400);
    const changed = await owner.patch(`/webhooks/${endpoint.id}`, { description: 'CRM', eventTypes: ['user.created'] });
    expect(changed.body).toMatchObject({ description: 'CRM', eventTypes: ['user.created'] });
    expect(changed.text).not.toContain(endpoint.secret.slice(6));
    // No longer subscribed to moves: of a new user moved to a team, only the creation arrives.
    const { user } = await moveSomeone(owner);
    await flush();
    expect(receiver.at('/console')).toHaveLength(3);
    expect(verify(endpoint.secret, receiver.at('/console')[2] as Received)).toMatchObject({
      type: 'user.created',
      data: { userId: user.id, sequence: 1, user: { id: user.id, username: user.username } },
    });

    expect((await owner.del(`/webhooks/${endpoint.id}`)).status).toBe(204);
    expect((await owner.get(`/webhooks/${endpoint.id}`)).status).toBe(404);
    const audit = (await owner.get('/audit?limit=20')).body.items.map((e: { action: string }) => e.action);
    for (const action of ['webhook.test', 'webhook.resend', 'webhook.update', 'webhook.delete']) {
      expect(audit).toContain(action);
    }
  });

  it('connects to the address it checked, not to what the name resolves to later', async () => {
    const { owner } = await h.newAccount();
    const endpoint = (
      await owner.post('/webhooks', {
        url: `http://receiver.test:${receiver.port}/pinned`,
        eventTypes: ['user.moved'],
      })
    ).body;
    const dispatcher = h.ctx.webhookDispatcher;
    const resolve = dispatcher.resolve;
    let lookups = 0;
    dispatcher.resolve = async () => {
      lookups++;
      return [{ address: '127.0.0.1', family: 4 }];
    };
    try {
      await moveSomeone(owner);
      await flush();
    } finally {
      dispatcher.resolve = resolve;
    }
    expect(lookups).toBe(1);
    const hit = receiver.at('/pinned')[0] as Received;
    expect(hit.headers.host).toBe(`receiver.test:${receiver.port}`);
    expect(verify(endpoint.secret, hit).type).toBe('user.moved');
  });

  it('delivers a committed change within a fraction of a second, with no flush: the running dispatcher looks often', async () => {
    const { owner } = await h.newAccount();
    const endpoint = await subscribe(owner, '/prompt', ['user.created']);
    // A dispatcher started as the server starts its own (this file's other tests drive theirs with flush()).
    const running = new WebhookDispatcher(h.db, dialect, () => h.clock.now(), {
      timeoutMs: 5_000,
      allowInternal: true,
    });
    await running.start();
    try {
      const waits: number[] = [];
      for (let i = 0; i < 4; i++) {
        const user = await h.buildUser(owner);
        const committed = performance.now();
        while (receiver.at('/prompt').length <= i && performance.now() - committed < 3_000) {
          await new Promise((r) => setTimeout(r, 5));
        }
        waits.push(performance.now() - committed);
        expect(verify(endpoint.secret, receiver.at('/prompt')[i] as Received).data).toMatchObject({
          userId: user.id,
          sequence: 1,
        });
      }
      // Each change right after the last delivery: a once-a-second poll would keep each of them waiting most of a
      // second; looking every 200 ms, none waits much longer than that.
      expect(Math.max(...waits), waits.map(Math.round).join(', ')).toBeLessThan(600);
    } finally {
      await running.stop();
    }
  });

  it.runIf(dialect === 'postgres')(
    'delivers each event exactly once with two dispatchers on one database',
    async () => {
      const { owner, accountId } = await h.newAccount();
      const endpoint = await subscribe(owner, '/shared', ['user.created']);
      const other = openDatabase(h.ctx.config.databaseUrl, { poolSize: 4 });
      const second = new WebhookDispatcher(other.db, 'postgres', () => h.clock.now(), {
        timeoutMs: 5_000,
        allowInternal: true,
      });
      try {
        const at = h.clock.now().toISOString();
        await h.db
          .insertInto('events')
          .values(
            Array.from({ length: 300 }, (_, i) => ({
              account_id: accountId,
              type: 'user.created',
              payload_json: JSON.stringify({ user: { id: 100_000 + i } }),
              created_at: at,
              user_id: 100_000 + i,
              user_seq: 1,
            })),
          )
          .execute();
        const [a1, b1, a2, b2] = await Promise.all([flush(), second.flush(), flush(), second.flush()]);
        // Both took part, and the attempts of all add up to one per event.
        expect((a1 as number) + (a2 as number)).toBeGreaterThan(0);
        expect((b1 as number) + (b2 as number)).toBeGreaterThan(0);
        expect((a1 as number) + (a2 as number) + (b1 as number) + (b2 as number)).toBe(300);
        const ids = receiver.at('/shared').map((hit) => hit.headers['webhook-id']);
        expect(ids).toHaveLength(300);
        expect(new Set(ids).size).toBe(300);
        const userIds = receiver.at('/shared').map((hit) => verify(endpoint.secret, hit).data.userId);
        expect(new Set(userIds).size).toBe(300);
        const rows = await h.db
          .selectFrom('webhook_deliveries')
          .select(['status'])
          .where('endpoint_id', '=', endpoint.id)
          .execute();
        expect(rows).toHaveLength(300);
        expect(rows.every((row) => row.status === 'delivered')).toBe(true);
      } finally {
        await second.stop();
        await other.close();
      }
    },
    60_000,
  );
});

describe('webhook addresses without the operator setting', () => {
  let h: Harness;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    h = await createHarness('sqlite');
    receiver = await startReceiver(() => h.clock.now());
  });
  afterAll(async () => {
    await receiver.close();
    await h.close();
  });

  it('refuses http and loopback, private, link-local, ULA and CGNAT addresses', async () => {
    const { owner } = await h.newAccount();
    for (const url of [
      receiver.url('/private'),
      `https://127.0.0.1:${receiver.port}/`,
      'https://localhost/hook',
      'https://10.1.2.3/hook',
      'https://172.20.0.1/hook',
      'https://192.168.1.10/hook',
      'https://100.64.0.1/hook',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/hook',
      'https://[fd12:3456::1]/hook',
      'https://[fe80::1]/hook',
      'https://[::ffff:127.0.0.1]/hook',
      'https://user:pass@hooks.example.com/hook',
      'ftp://hooks.example.com/hook',
    ]) {
      const reply = await owner.post('/webhooks', { url, eventTypes: ['user.moved'] });
      expect(reply.status, url).toBe(400);
      expect(reply.body.error.fields[0].path, url).toBe('url');
    }
    expect((await owner.get('/webhooks')).body.items).toHaveLength(0);
  });

  it('refuses at delivery time a name that resolves to a private address', async () => {
    const { owner } = await h.newAccount();
    const created = await owner.post('/webhooks', {
      url: `https://hooks.example.test:${receiver.port}/rebound`,
      eventTypes: ['user.moved'],
    });
    expect(created.status).toBe(201);
    h.ctx.webhookDispatcher.resolve = async () => [{ address: '127.0.0.1', family: 4 }];
    const team = (await owner.post('/groups', { name: 'Rebinding' })).body.id;
    const user = await h.buildUser(owner);
    await owner.post(`/users/${user.id}/move`, { toGroupId: team });
    await h.ctx.webhookDispatcher.flush();
    expect(receiver.received).toHaveLength(0);
    const [delivery] = (await owner.get(`/webhooks/${created.body.id}/deliveries`)).body.items;
    expect(delivery).toMatchObject({ status: 'pending', attempts: 1, lastStatus: null });
    expect(delivery.lastError).toContain('127.0.0.1');
  });
});
