// The OpenAPI document describes what the API answers: the session's abilities as the server builds them, the
// list's count cap as the list code applies it, and every error in the one error shape. (Every other HTTP test
// checks its own responses against the document through the harness.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COUNT_CAP, POSTGRES_COUNT_CAP } from '../../shared/constants.js';
import { DIALECTS } from '../support/databases.js';
import { createHarness, type Harness } from '../support/harness.js';

interface Doc {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>
  >;
  components: {
    schemas: Record<string, { properties: Record<string, { description?: string; properties?: object }> }>;
  };
}

describe.each(DIALECTS)('response descriptions (%s)', (dialect) => {
  let h: Harness;
  let doc: Doc;
  beforeAll(async () => {
    h = await createHarness(dialect);
    doc = (await h.raw('GET', '/openapi.json')).body as Doc;
  });
  afterAll(() => h.close());

  it('documents every ability the session carries, and only those', async () => {
    const { owner } = await h.newAccount();
    const session = await owner.get('/session');
    const documented = doc.components.schemas.Session?.properties.abilities?.properties ?? {};
    expect(Object.keys(documented).sort()).toEqual(Object.keys(session.body.abilities).sort());
    expect(Object.keys(documented)).toContain('manageOrganization');
  });

  it('states the count cap each database applies to totals', () => {
    // The list code takes its caps from these constants (server/search/sqlite.ts and postgres.ts); the document once said 10,000 for both.
    const description = doc.components.schemas.UserList?.properties.totalExact?.description ?? '';
    expect(description).toContain(`${COUNT_CAP.toLocaleString('en-US')} matches on SQLite`);
    expect(description).toContain(`${POSTGRES_COUNT_CAP.toLocaleString('en-US')} on PostgreSQL`);
  });

  it('answers every error, whatever its status, in the one error shape', () => {
    const notErrors: string[] = [];
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          if (Number(status) < 400) continue;
          const schema = response.content?.['application/json']?.schema;
          if (JSON.stringify(schema) !== JSON.stringify({ $ref: '#/components/schemas/Error' })) {
            notErrors.push(`${method.toUpperCase()} ${path} ${status}`);
          }
        }
      }
    }
    expect(notErrors).toEqual([]);
  });
});
