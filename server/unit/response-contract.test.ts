// The response contract check catches what HTTP tests rely on it to catch: a wrong shape, an undocumented field, an
// undocumented status, a body where none is due; and the middleware turns such a response into a clear 500.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import { ErrorSchema } from '../../shared/responses/errors.js';
import { SessionAbilitiesSchema } from '../../shared/responses/session.js';
import { FacetsSchema, UserListSchema } from '../../shared/responses/users.js';
import { ResponseContract, responseContractCheck } from '../http/response-contract.js';

const json = <T extends z.ZodType>(schema: T) => ({
  content: { 'application/json': { schema } },
  description: 'JSON',
});

function sampleApp(answer: () => unknown) {
  const app = new OpenAPIHono();
  app.use(
    '*',
    responseContractCheck(() => app.openAPIRegistry.definitions, ''),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/users/facets',
      responses: { 200: json(FacetsSchema), 403: json(ErrorSchema) },
    }),
    (c) => c.json(answer() as never, 200),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/users/{id}',
      request: { params: z.object({ id: z.string() }) },
      responses: { 200: json(SessionAbilitiesSchema), 404: json(ErrorSchema) },
    }),
    (c) => c.json(answer() as never, 200),
  );
  app.openapi(
    createRoute({ method: 'delete', path: '/users/{id}', responses: { 204: { description: 'Deleted' } } }),
    (c) => c.body(null, 204),
  );
  return app;
}

const facets = { departments: ['Sales'], sources: ['console'], total: 3 };
const abilities = {
  manageUsers: true,
  importUsers: true,
  manageOrganization: true,
  readAudit: true,
  manageAccess: true,
  readProfiles: true,
  createProfiles: true,
};

describe('response contract', () => {
  const contract = new ResponseContract(sampleApp(() => facets).openAPIRegistry.definitions);
  const sample = (path: string, status: number, body: unknown, method = 'GET') => ({
    method,
    path,
    status,
    contentType: 'application/json',
    body: body === undefined ? '' : JSON.stringify(body),
  });

  it('accepts a body of the documented shape', () => {
    expect(contract.problem(sample('/users/facets', 200, facets))).toBeNull();
    expect(
      contract.problem(sample('/users/7', 404, { error: { code: 'NotFound', message: 'No such user' } })),
    ).toBeNull();
  });

  it('prefers a literal path segment to a parameter', () => {
    expect(contract.operation('GET', '/users/facets')?.name).toBe('GET /users/facets');
    expect(contract.operation('GET', '/users/0x1')?.name).toBe('GET /users/{id}');
    expect(contract.operation('GET', '/users/7/roles')).toBeUndefined();
  });

  it('names the operation, the status and the field of a wrong shape', () => {
    const problem = contract.problem(sample('/users/facets', 200, { ...facets, total: '3' }));
    expect(problem).toContain('GET /users/facets answered 200');
    expect(problem).toMatch(/total: .*expected number/i);
  });

  it('refuses a field the schema does not name, at any depth', () => {
    // The session schema once lacked abilities.manageOrganization: zod alone would have dropped it silently.
    const { manageOrganization: _, ...documented } = abilities;
    const strict = new ResponseContract(
      sampleApp(() => abilities).openAPIRegistry.definitions.map((definition) =>
        definition.type === 'route' && definition.route.path === '/users/{id}'
          ? {
              ...definition,
              route: { ...definition.route, responses: { 200: json(z.object(documentedShape(documented))) } },
            }
          : definition,
      ),
    );
    expect(strict.problem(sample('/users/7', 200, abilities))).toContain('manageOrganization: not in the schema');
    const list = { items: [], total: 0, totalExact: true, nextCursor: null, prevCursor: null, page: 1 };
    const lists = new ResponseContract([
      { type: 'route', route: { method: 'get', path: '/users', responses: { 200: json(UserListSchema) } } },
    ]);
    expect(lists.problem(sample('/users', 200, list))).toContain('page: not in the schema');
  });

  it('refuses a status the operation does not document, and a body where none is due', () => {
    expect(contract.problem(sample('/users/facets', 409, { error: { code: 'Conflict', message: 'x' } }))).toContain(
      'GET /users/facets answered 409, which its OpenAPI description does not list (it lists 200, 403)',
    );
    expect(contract.problem(sample('/users/7', 204, undefined, 'DELETE'))).toBeNull();
    expect(contract.problem(sample('/users/7', 204, { deleted: true }, 'DELETE'))).toContain('with a body');
  });

  it('turns a response that breaks the contract into a 500 ResponseMismatch, and lets a good one through', async () => {
    const good = await sampleApp(() => facets).request('/users/facets');
    expect(good.status).toBe(200);
    expect(await good.json()).toEqual(facets);

    const errors: unknown[] = [];
    const log = console.error;
    console.error = (...args: unknown[]) => errors.push(args.join(' '));
    try {
      const bad = await sampleApp(() => ({ departments: 'Sales', sources: [], total: 1 })).request('/users/facets');
      expect(bad.status).toBe(500);
      const body = await bad.json();
      expect(body.error.code).toBe('ResponseMismatch');
      expect(body.error.message).toMatch(
        /^GET \/users\/facets answered 200 with a body that does not match .*departments/,
      );
      expect(ErrorSchema.safeParse(body).success).toBe(true);
      expect(errors.join('\n')).toContain('response mismatch');
    } finally {
      console.error = log;
    }
  });
});

function documentedShape(value: Record<string, boolean>) {
  return Object.fromEntries(Object.keys(value).map((key) => [key, z.boolean()]));
}
