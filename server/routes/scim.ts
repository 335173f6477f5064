// The SCIM 2.0 service (RFC 7644) under /scim/v2: identity providers provision the account's users and groups with
// a bearer token an admin created. Every answer is application/scim+json; every failure is a SCIM error.
import { Hono } from 'hono';
import { publicBaseUrl } from '../config.js';
import type { AppContext } from '../context.js';
import type { AppEnv } from '../http/env.js';
import { jsonBodies, safeQueries } from '../http/request-guards.js';
import { clientIp } from '../http/session.js';
import { errorBody, ScimError, toScimError } from '../scim/errors.js';
import { ScimGroups } from '../scim/groups.js';
import type { ListQuery } from '../scim/query.js';
import { MAX_RESULTS, resourceTypes, schemas, serviceProviderConfig } from '../scim/schema.js';
import { SCIM_ATTRIBUTE_OF } from '../scim/user-resource.js';
import { type ScimClient, ScimUsers } from '../scim/users.js';
import { Throttle } from '../services/throttle.js';

type ScimEnv = AppEnv & { Variables: AppEnv['Variables'] & { scimClient: ScimClient } };

/** Failed token checks one address may make in ten minutes. */
const FAILED_TOKENS_PER_ADDRESS = 30;

const SCIM_TYPE = 'application/scim+json';

export function scimRoutes(ctx: AppContext) {
  const app = new Hono<ScimEnv>();
  const users = new ScimUsers(ctx.database, ctx.users, ctx.licenses);
  const groups = new ScimGroups(ctx.database, ctx.groups, ctx.teams);
  const throttle = new Throttle(ctx.database.db, () => ctx.clock.now());

  const send = (
    c: { body: (data: string, status: number, headers: Record<string, string>) => Response },
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => c.body(JSON.stringify(body), status, { 'Content-Type': SCIM_TYPE, 'Cache-Control': 'no-store', ...headers });

  app.onError((caught, c) => {
    const error = toScimError(caught, (field) => SCIM_ATTRIBUTE_OF[field] ?? field);
    if (!error) {
      console.error(`[roster] SCIM ${c.req.method} ${new URL(c.req.url).pathname} failed:`, caught);
      return send(c, 500, errorBody(new ScimError(500, 'Something went wrong on our side')));
    }
    return send(c, error.status, errorBody(error), error.retryAfter ? { 'Retry-After': String(error.retryAfter) } : {});
  });

  // The token first: nothing else of the request is read for a stranger.
  app.use('*', async (c, next) => {
    const ip = clientIp(c, ctx);
    const header = c.req.header('authorization') ?? '';
    const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    const key = `scim:${ip ?? 'unknown'}`;
    // Only wrong tokens count against an address: an identity provider that shares its address with a stranger who
    // guesses keeps working (a token of 256 random bits cannot be guessed; the count keeps the noise down).
    const client = token ? await ctx.scimTokens.authenticate(token) : null;
    if (!client) {
      const { ok, retryAfter } = await throttle.take(key, FAILED_TOKENS_PER_ADDRESS, 10);
      if (!ok) throw new ScimError(429, 'Too many requests with a wrong token: try again later', undefined, retryAfter);
      c.header('WWW-Authenticate', 'Bearer realm="roster-scim"');
      throw new ScimError(401, 'Send a SCIM token of this account as Authorization: Bearer <token>');
    }
    c.set('scimClient', client);
    c.set('ip', ip);
    await next();
  });
  app.use('*', safeQueries());
  app.use('*', async (c, next) => {
    if (
      ['POST', 'PUT', 'PATCH'].includes(c.req.method) &&
      !/^application\/(scim\+)?json\s*(;|$)/i.test(c.req.header('content-type') ?? '')
    ) {
      throw new ScimError(415, `Send the body as ${SCIM_TYPE}`);
    }
    await next();
  });
  app.use('*', jsonBodies('/scim/v2'));

  const base = () => `${publicBaseUrl(ctx.config)}/scim/v2`;
  const meta = (c: { get(key: 'ip'): string | null }) => ({ ip: c.get('ip'), channel: 'api' as const });
  const body = async (c: { req: { text(): Promise<string> } }) => {
    const text = await c.req.text();
    if (text.trim() === '') throw new ScimError(400, 'The request has no body', 'invalidSyntax');
    return JSON.parse(text) as unknown;
  };

  app.get('/ServiceProviderConfig', (c) => send(c, 200, serviceProviderConfig(base())));
  app.get('/ResourceTypes', (c) => {
    const all = resourceTypes(base());
    return send(c, 200, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
      totalResults: all.length,
      startIndex: 1,
      itemsPerPage: all.length,
      Resources: all,
    });
  });
  app.get('/ResourceTypes/:id', (c) => {
    const found = resourceTypes(base()).find((r) => r.id === c.req.param('id'));
    if (!found) throw new ScimError(404, `Resource type ${c.req.param('id')} not found`);
    return send(c, 200, found);
  });
  app.get('/Schemas', (c) => {
    const all = schemas(base());
    return send(c, 200, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
      totalResults: all.length,
      startIndex: 1,
      itemsPerPage: all.length,
      Resources: all,
    });
  });
  app.get('/Schemas/:id', (c) => {
    const found = schemas(base()).find((s) => s.id.toLowerCase() === c.req.param('id').toLowerCase());
    if (!found) throw new ScimError(404, `Schema ${c.req.param('id')} not found`);
    return send(c, 200, found);
  });

  for (const [path, service] of [
    ['Users', users],
    ['Groups', groups],
  ] as const) {
    app.get(`/${path}`, async (c) =>
      send(c, 200, await service.list(c.get('scimClient'), listQuery(c.req.query()), base())),
    );
    app.post(`/${path}/.search`, async (c) => {
      const asked = (await body(c)) as Record<string, unknown>;
      const params = Object.fromEntries(
        Object.entries(asked ?? {})
          .filter(([k]) => k !== 'schemas')
          .map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)]),
      );
      return send(c, 200, await service.list(c.get('scimClient'), listQuery(params), base()));
    });
    app.get(`/${path}/:id`, async (c) => {
      const found = await service.get(c.get('scimClient'), c.req.param('id'), base(), listQuery(c.req.query()));
      return send(c, 200, found.resource, { ETag: found.etag });
    });
    app.post(`/${path}`, async (c) => {
      const created = await service.create(c.get('scimClient'), await body(c), base(), meta(c));
      const location = (created.resource.meta as { location: string }).location;
      return send(c, 201, created.resource, { ETag: created.etag, Location: location });
    });
    app.put(`/${path}/:id`, async (c) => {
      const done = await service.replace(
        c.get('scimClient'),
        c.req.param('id'),
        await body(c),
        base(),
        c.req.header('if-match'),
        meta(c),
      );
      return send(c, 200, done.resource, { ETag: done.etag });
    });
    app.patch(`/${path}/:id`, async (c) => {
      const done = await service.patch(
        c.get('scimClient'),
        c.req.param('id'),
        await body(c),
        base(),
        c.req.header('if-match'),
        meta(c),
      );
      return send(c, 200, done.resource, { ETag: done.etag });
    });
    app.delete(`/${path}/:id`, async (c) => {
      await service.remove(c.get('scimClient'), c.req.param('id'), c.req.header('if-match'), meta(c));
      return c.body(null, 204);
    });
  }
  app.post('/Bulk', () => {
    throw new ScimError(501, 'Bulk operations are not supported: send each operation on its own');
  });
  app.all('*', () => {
    throw new ScimError(404, 'No such SCIM endpoint');
  });
  return app;
}

/** The list parameters (RFC 7644 3.4.2): whole numbers where they must be, the rest as text. */
function listQuery(
  query: Record<string, string>,
): ListQuery & { filter?: string; startIndex?: number; count?: number } {
  const get = (name: string) => Object.entries(query).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  const whole = (name: string) => {
    const value = get(name);
    if (value === undefined || value === '') return undefined;
    if (!/^-?\d{1,9}$/.test(value.trim())) throw new ScimError(400, `${name} must be a whole number`, 'invalidValue');
    return Number(value);
  };
  const count = whole('count');
  return {
    filter: get('filter'),
    startIndex: whole('startIndex'),
    count: count === undefined ? undefined : Math.min(count, MAX_RESULTS),
    attributes: get('attributes'),
    excludedAttributes: get('excludedAttributes'),
    sortBy: get('sortBy'),
    sortOrder: get('sortOrder'),
  };
}
