// Requests a careless client or an attacker sends: malformed and oversized bodies, odd content types and origins,
// ids written every way but the plain one. Each gets a 4xx in the API's error shape, and nothing is written.
import { once } from 'node:events';
import { type AddressInfo, connect } from 'node:net';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { type Client, createHarness, type Harness } from '../support/harness.js';

describe.each(DIALECTS)('hostile input (%s)', (dialect) => {
  let h: Harness;
  let owner: Client;
  beforeAll(async () => {
    h = await createHarness(dialect);
    owner = (await h.newAccount()).owner;
  });
  afterAll(() => h.close());

  const send = async (
    method: string,
    path: string,
    body: BodyInit | undefined,
    headers: Record<string, string>,
    client: Client | null = owner,
  ) => {
    const auth: Record<string, string> = client ? { cookie: client.cookie, 'x-csrf-token': client.csrfToken } : {};
    const response = await h.app.request(`/api/v1${path}`, { method, body, headers: { ...auth, ...headers } });
    const text = await response.text();
    let json: { error?: { code: string; message: string; fields?: { path: string }[] } } = {};
    try {
      json = JSON.parse(text);
    } catch {}
    return { status: response.status, json };
  };
  const JSON_TYPE = { 'content-type': 'application/json' };

  it('answers malformed bodies and other content types with 400 and 415, never 500, and logs no stack', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const users = (await owner.get('/users/facets')).body.total;
    const bodies: [BodyInit, Record<string, string>, number, string][] = [
      ['{', JSON_TYPE, 400, 'MalformedJson'],
      ['""', JSON_TYPE, 400, 'ValidationFailed'],
      ['', JSON_TYPE, 400, 'MalformedJson'],
      [new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), JSON_TYPE, 400, 'MalformedJson'],
      ['{"username":"x","firstName":"a"}', { 'content-type': 'text/plain' }, 415, 'UnsupportedMediaType'],
      ['username=x', { 'content-type': 'application/x-www-form-urlencoded' }, 415, 'UnsupportedMediaType'],
      ['{"username":"x","firstName":"a"}', {}, 415, 'UnsupportedMediaType'],
      [`${'['.repeat(10_000)}${']'.repeat(10_000)}`, JSON_TYPE, 400, 'MalformedJson'],
    ];
    for (const [body, headers, status, code] of bodies) {
      for (const client of [owner, null]) {
        const reply = await send('POST', '/users', body, headers, client);
        // Without a session the request is refused before its body is read.
        const expected = client ? [status, code] : [401, 'Unauthenticated'];
        expect(
          [reply.status, reply.json.error?.code],
          `${String(body).slice(0, 20)} ${JSON.stringify(headers)}`,
        ).toEqual(expected);
      }
    }
    // A damaged multipart upload is a clear 400 too.
    const form = await send('POST', '/imports', '--x\r\nbroken', { 'content-type': 'multipart/form-data; boundary=x' });
    expect([form.status, form.json.error?.fields?.[0]?.path]).toEqual([400, 'file']);
    // The one route a stranger may post to reads bodies the same way.
    expect((await send('POST', '/auth/sign-in', '{', JSON_TYPE, null)).json.error?.code).toBe('MalformedJson');
    expect((await send('POST', '/auth/sign-in', '{}', { 'content-type': 'text/plain' }, null)).status).toBe(415);
    expect(logged).not.toHaveBeenCalled();
    logged.mockRestore();
    expect((await owner.get('/users/facets')).body.total).toBe(users);
  });

  it('refuses a cross-site sign-in whose Origin is null or not a URL', async () => {
    for (const origin of ['null', 'garbage', 'http://evil.example', '']) {
      const reply = await send(
        'POST',
        '/auth/sign-in',
        '{"account":"a","username":"b","password":"c"}',
        {
          ...JSON_TYPE,
          origin,
        },
        null,
      );
      expect([reply.status, reply.json.error?.code], origin).toEqual([403, 'CsrfFailed']);
    }
  });

  it('reads bodies served over HTTP as it does in-process: the same answers, limits and refusals', async () => {
    // Served by node:http, a body is read straight from Node's request (readIncoming); in-process, from a web stream.
    const server = serve({ fetch: h.app.fetch, port: 0, hostname: '127.0.0.1' });
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
    const auth = { cookie: owner.cookie, 'x-csrf-token': owner.csrfToken };
    const overHttp = async (body: BodyInit, headers: Record<string, string>) => {
      const response = await fetch(`${base}/users`, {
        method: 'POST',
        body,
        headers: { ...auth, ...headers },
        // @ts-expect-error Node's fetch needs this for a streamed body.
        duplex: 'half',
      });
      const json = (await response.json().catch(() => ({}))) as { error?: { code: string }; username?: string };
      return { status: response.status, code: json.error?.code, json };
    };
    try {
      const users = (await owner.get('/users/facets')).body.total;
      const cases: [BodyInit, Record<string, string>][] = [
        ['{', JSON_TYPE],
        ['', JSON_TYPE],
        ['""', JSON_TYPE],
        [new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), JSON_TYPE],
        ['{"username":"x","firstName":"a"}', { 'content-type': 'text/plain' }],
        [`${'['.repeat(10_000)}${']'.repeat(10_000)}`, JSON_TYPE],
      ];
      for (const [body, headers] of cases) {
        const there = await overHttp(body, headers);
        const here = await send('POST', '/users', body, headers);
        expect([there.status, there.code], String(body).slice(0, 20)).toEqual([here.status, here.json.error?.code]);
        expect(there.status).toBeGreaterThanOrEqual(400);
      }
      // Past the limit, declared or streamed without a length: a 413 on a connection that stays usable (the rest of
      // the body is read and dropped after the answer), and nothing is written.
      const big = JSON.stringify({ username: 'big', firstName: 'x'.repeat(2 * 1024 * 1024) });
      expect(await overHttp(big, JSON_TYPE)).toMatchObject({ status: 413, code: 'PayloadTooLarge' });
      const chunks = (parts: Uint8Array[]) =>
        new ReadableStream({
          start(controller) {
            for (const part of parts) controller.enqueue(part);
            controller.close();
          },
        });
      const spaces = Array.from({ length: 40 }, () => new TextEncoder().encode(' '.repeat(64 * 1024)));
      expect(await overHttp(chunks(spaces), JSON_TYPE)).toMatchObject({ status: 413, code: 'PayloadTooLarge' });
      expect((await owner.get('/users/facets')).body.total).toBe(users);
      // A good body is read whole, in one piece or in many (here cut inside the letters' UTF-8 bytes).
      const whole = JSON.stringify({ username: 'over.http', firstName: 'Ana', lastName: 'Ödegård' });
      expect((await overHttp(whole, JSON_TYPE)).json.username).toBe('over.http');
      const bytes = new TextEncoder().encode(
        JSON.stringify({ username: 'in.pieces', firstName: 'Bo', lastName: 'Łøß' }),
      );
      const pieces = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) => bytes.slice(i * 7, i * 7 + 7));
      const streamed = await overHttp(chunks(pieces), JSON_TYPE);
      expect([streamed.status, streamed.json.username]).toEqual([201, 'in.pieces']);
      // A client that sends its whole request and then closes its side of the connection: the body arrived (its
      // declared length), so the request is still read and done.
      const half = JSON.stringify({ username: 'half.closed', firstName: 'Cy' });
      const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
      await once(socket, 'connect');
      socket.on('error', () => undefined);
      socket.end(
        `POST /api/v1/users HTTP/1.1\r\nhost: 127.0.0.1\r\ncookie: ${owner.cookie}\r\nx-csrf-token: ${owner.csrfToken}\r\n` +
          `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(half)}\r\n\r\n${half}`,
      );
      await vi.waitFor(async () => expect((await owner.get('/users?q=half.closed')).body.items?.length).toBe(1), {
        timeout: 5000,
        interval: 100,
      });
      socket.destroy();
    } finally {
      server.close();
    }
  });

  it('limits bodies before reading them, and checks the caller first', async () => {
    const big = JSON.stringify({ username: 'big', firstName: 'x'.repeat(2 * 1024 * 1024) });
    const reply = await send('POST', '/users', big, JSON_TYPE);
    expect([reply.status, reply.json.error?.code]).toEqual([413, 'PayloadTooLarge']);
    // Streamed without a length, the body is cut as soon as it passes the limit.
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 40; i++) controller.enqueue(new TextEncoder().encode(' '.repeat(64 * 1024)));
        controller.close();
      },
    });
    const streamed = await h.app.request('/api/v1/users', {
      method: 'POST',
      body: stream,
      headers: { cookie: owner.cookie, 'x-csrf-token': owner.csrfToken, ...JSON_TYPE },
      // @ts-expect-error Node's fetch needs this for a streamed body.
      duplex: 'half',
    });
    expect(streamed.status).toBe(413);
    // A stranger's body is never read, however large: no session, no reading.
    const stranger = await send('POST', '/users', big, JSON_TYPE, null);
    expect(stranger.status).toBe(401);
    const batch = JSON.stringify({
      questions: Array.from({ length: 2000 }, () => ({ userId: 1, action: 'x'.repeat(600) })),
    });
    expect(batch.length).toBeGreaterThan(1024 * 1024);
    // The batch route takes more than 1 MB once the caller is known (and then validates what it got).
    expect((await send('POST', '/decisions/batch', batch, JSON_TYPE)).status).toBe(400);
    expect((await send('POST', '/decisions/batch', batch, JSON_TYPE, null)).status).toBe(401);
  });

  it('reads ids written with digits only, and names the parameter otherwise', async () => {
    const user = await h.buildUser(owner);
    expect((await owner.get(`/users/${user.id}`)).status).toBe(200);
    for (const id of ['0x1', '1e0', '+1', '%201', '1.0', '0', '-1', '01', '123456789012345678901234567890', 'abc']) {
      const reply = await owner.get(`/users/${id}`);
      expect([reply.status, reply.body.error?.fields?.[0]?.path], id).toEqual([400, 'id']);
    }
    expect((await owner.get(`/users/${user.id}/roles`)).status).toBe(200);
    expect((await owner.get('/users/1e0/roles')).status).toBe(400);
    const filtered = await owner.get('/users?groupId=0x10');
    expect([filtered.status, filtered.body.error?.fields?.[0]?.path]).toEqual([400, 'groupId']);
  });

  it('refuses page cursors the API never gave out, whatever their values, on every paged list', async () => {
    const cursor = (values: unknown[], direction = 'next') =>
      Buffer.from(JSON.stringify({ values, direction })).toString('base64url');
    await h.buildUser(owner);
    const given = (await owner.get('/users?sort=createdAt&limit=1')).body.nextCursor as string;
    expect((await owner.get(`/users?sort=createdAt&limit=1&cursor=${given}`)).status).toBe(200);
    const crafted: [string, unknown[]][] = [
      ['createdAt', ['x', 1]],
      ['createdAt', ['2026-02-30T10:00:00.000Z', 1]],
      ['createdAt', ['2026-01-01T25:00:00.000Z', 1]],
      ['createdAt', [5, 1]],
      ['name', ['smith', 1.5]],
      ['name', ['smith', 1e12]],
      ['name', ['smith', '1']],
      ['name', ['smi\u0000th', 1]],
      ['name', [null, 1]],
      ['enabled', ['x', 1]],
      ['enabled', [1, 2 ** 53]],
      ['enabled', [40000, 1]],
      ['enabled', [-1, 1]],
      ['username', [{}]],
      ['email', ['a'.repeat(4001), 1]],
    ];
    for (const [sort, values] of crafted) {
      const reply = await owner.get(`/users?sort=${sort}&cursor=${cursor(values)}`);
      expect([reply.status, reply.body.error?.fields?.[0]?.path], `${sort} ${JSON.stringify(values)}`).toEqual([
        400,
        'cursor',
      ]);
    }
    const group = (await owner.post('/groups', { name: 'Cursor team' })).body;
    const afterParam = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const value of [
      ['a', 1e12],
      ['a\u0000', 1],
      ['a', 1.5],
      [1, 1],
    ]) {
      const reply = await owner.get(`/groups/${group.id}?after=${afterParam(value)}`);
      expect([reply.status, reply.body.error?.fields?.[0]?.path], JSON.stringify(value)).toEqual([400, 'after']);
    }
    expect((await owner.get(`/groups/${group.id}?after=${afterParam(['a', 1])}`)).status).toBe(200);
    for (const path of [
      '/audit?cursor=99999999999',
      '/events?after=99999999999',
      '/audit?cursor=1.5',
      '/audit?cursor=0x10',
      '/audit?cursor=1e3',
      '/audit?cursor=%2012',
      '/audit?from=0000-01-01',
      `/audit?to=${encodeURIComponent('9999-12-31T23:00:00-02:00')}`,
    ]) {
      const reply = await owner.get(path);
      expect(reply.status, path).toBe(400);
    }
    const endpoint = (
      await owner.post('/webhooks', { url: 'https://hooks.example.com/cursor', eventTypes: ['user.moved'] })
    ).body;
    const deliveries = await owner.get(`/webhooks/${endpoint.id}/deliveries?cursor=9999999999`);
    expect([deliveries.status, deliveries.body.error?.fields?.[0]?.path]).toEqual([400, 'cursor']);
    expect((await owner.get(`/webhooks/${endpoint.id}/deliveries?cursor=2147483647`)).status).toBe(200);
    // Dates JavaScript reads and PostgreSQL's timestamps do not hold; a NUL in a public path.
    for (const validFrom of ['0000-01-01', '+100000-01-01T00:00:00Z']) {
      const reply = await owner.post('/users', { username: `range${validFrom.length}`, firstName: 'R', validFrom });
      expect([reply.status, reply.body.error?.fields?.[0]?.path], validFrom).toEqual([400, 'validFrom']);
    }
    const sso = await send('GET', '/auth/sso/a%00b/start', undefined, {}, null);
    expect(sso.status).toBe(400);
  });

  it('refuses control characters, lone surrogates and bidirectional overrides, naming the field', async () => {
    const before = (await owner.get('/users/facets')).body.total;
    const cases: [string, string, unknown, string][] = [
      ['POST', '/users', { username: 'nul1', firstName: 'Ann\u0000' }, 'firstName'],
      ['POST', '/users', { username: 'bidi1', firstName: 'Ann', department: 'Sales\u202Egnp.exe' }, 'department'],
      ['POST', '/users', { username: 'c1x', firstName: 'A\u0085B' }, 'firstName'],
      ['POST', '/users', { username: 'tab1', firstName: 'A', lastName: 'B\tC' }, 'lastName'],
      ['POST', '/users', { username: 'nick1', firstName: 'A', nicknames: ['ok', 'bad\u0007'] }, 'nicknames.1'],
      ['POST', '/groups', { name: 'Team\u0001' }, 'name'],
      ['POST', '/departments', { name: 'Dept\u2066x' }, 'name'],
      ['POST', '/profiles', { name: 'P\u001b[31m' }, 'name'],
      ['POST', '/api-keys', { name: 'key\u0000' }, 'name'],
    ];
    for (const [method, path, body, field] of cases) {
      const reply = await owner.request(method, path, body);
      expect([reply.status, reply.body.error?.fields?.[0]?.path], `${path} ${field}`).toEqual([400, field]);
      expect(reply.body.error.message).toMatch(/U\+[0-9A-F]{4}/);
    }
    // A lone half of a surrogate pair, as JSON can escape it.
    const lone = await send('POST', '/users', '{"username":"lone1","firstName":"A\\ud800"}', JSON_TYPE);
    expect([lone.status, lone.json.error?.fields?.[0]?.path]).toEqual([400, 'firstName']);
    const query = await owner.get('/users?q=%01abc');
    expect([query.status, query.body.error?.fields?.[0]?.path]).toEqual([400, 'q']);
    // Descriptions are written on several lines; right-to-left text is text.
    const profile = await owner.post('/profiles', { name: 'Multi line', description: 'One\nTwo\tthree' });
    expect(profile.status).toBe(201);
    expect((await owner.post('/users', { username: 'arabic1', firstName: 'سارة', lastName: 'Ωmega' })).status).toBe(
      201,
    );
    expect((await owner.get('/users/facets')).body.total).toBe(before + 1);
  });
});
