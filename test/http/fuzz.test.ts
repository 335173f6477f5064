// A fuzzer over every operation of the OpenAPI document: wrong types, missing fields, huge and unicode strings, nulls,
// deep JSON, bad content types and bytes, SQL and path metacharacters, with a session and without. No answer may be
// a 5xx, and a refused request may write nothing. The seed is printed; ROSTER_FUZZ_SEED picks another.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { type Client, createHarness, type Harness } from '../support/harness.js';

const REQUESTS_PER_OPERATION = 24;
// A fixed seed keeps the suite's answer the same from run to run; ROSTER_FUZZ_SEED=<n> explores other inputs.
const SEED = Number(process.env.ROSTER_FUZZ_SEED ?? 20261205);

/** mulberry32: small, seeded, good enough to pick test inputs. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  maxLength?: number;
};
type Operation = { method: string; path: string; params: { name: string; in: string }[]; body: Schema | null };

const NASTY_STRINGS = [
  '',
  ' ',
  "' OR 1=1 --",
  '"; DROP TABLE users; --',
  '../../etc/passwd',
  '%00',
  '%',
  '_',
  '\\',
  '{{7*7}}',
  '<script>alert(1)</script>',
  'Ωmega ñandú 山田 سارة 🙂',
  'e\u0301',
  'x'.repeat(10_000),
  '\u0000',
  '\ud800',
  '\u202e',
  '1e309',
  'NaN',
  '-0',
  'null',
];
const NASTY_IDS = [
  '0',
  '-1',
  '1.5',
  '0x1',
  '1e3',
  '+1',
  '%20',
  '..',
  'abc',
  '99999999999999999999999',
  "1'",
  '1;',
  '🙂',
];

describe.each(DIALECTS)('fuzzing every operation (%s)', (dialect) => {
  let h: Harness;
  let owner: Client;
  let operations: Operation[];
  let components: Record<string, Schema>;
  beforeAll(async () => {
    h = await createHarness(dialect);
    owner = (await h.newAccount()).owner;
    await h.buildUser(owner, { firstName: 'Fuzz', department: 'Sales' });
    const doc = (await owner.get('/openapi.json')).body as {
      paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; requestBody?: unknown }>>;
      components: { schemas: Record<string, Schema> };
    };
    components = doc.components?.schemas ?? {};
    operations = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const content = (op.requestBody as { content?: Record<string, { schema: Schema }> } | undefined)?.content;
        operations.push({
          method: method.toUpperCase(),
          path,
          params: op.parameters ?? [],
          body: content?.['application/json']?.schema ?? null,
        });
      }
    }
  });
  afterAll(() => h.close());

  const resolve = (schema: Schema | undefined): Schema => {
    let s = schema ?? {};
    for (let i = 0; i < 10 && s.$ref; i++) s = components[s.$ref.split('/').pop() as string] ?? {};
    return s;
  };

  /** A value for the schema: mostly plausible, often wrong in one of the ways clients get things wrong. */
  function valueFor(schema: Schema | undefined, random: () => number, depth = 0): unknown {
    const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)] as T;
    const s = resolve(schema);
    const roll = random();
    if (roll < 0.08) return null;
    if (roll < 0.14) return pick(NASTY_STRINGS);
    if (roll < 0.18) return pick([-1, 0, 1.5, 2 ** 53, -(2 ** 63), 1e308, true, false, [], {}]);
    const variants = s.anyOf ?? s.oneOf ?? s.allOf;
    if (variants?.length) return valueFor(pick(variants), random, depth + 1);
    if (s.enum?.length) return random() < 0.8 ? pick(s.enum) : `${String(pick(s.enum))}x`;
    const type = Array.isArray(s.type) ? pick(s.type) : s.type;
    switch (type) {
      case 'object': {
        const out: Record<string, unknown> = {};
        for (const [key, prop] of Object.entries(s.properties ?? {})) {
          const required = s.required?.includes(key);
          if (!required && random() < 0.5) continue;
          if (required && random() < 0.08) continue;
          out[key] = depth > 4 ? null : valueFor(prop, random, depth + 1);
        }
        if (random() < 0.1) out[pick(NASTY_STRINGS).slice(0, 20) || 'extra'] = pick(NASTY_STRINGS);
        return out;
      }
      case 'array': {
        const n = random() < 0.05 ? 2000 : Math.floor(random() * 4);
        return Array.from({ length: n }, () => (depth > 4 ? 1 : valueFor(s.items, random, depth + 1)));
      }
      case 'integer':
      case 'number':
        return pick([1, 2, 7, 42, 0, -5, 1.25, 1e12, 2 ** 31]);
      case 'boolean':
        return random() < 0.5;
      case 'string':
        return random() < 0.6
          ? pick(['Ana', 'sales', 'voice_analytics', 'admin', '2026-01-01', 'a@b.co'])
          : pick(NASTY_STRINGS);
      default:
        return pick(NASTY_STRINGS);
    }
  }

  /** Row counts of every table, and the latest change of users: what a refused request must leave as it was. */
  async function digest(): Promise<string> {
    const tables =
      dialect === 'sqlite'
        ? await sql<{
            name: string;
          }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '%search%' order by name`.execute(
            h.db,
          )
        : await sql<{
            name: string;
          }>`select tablename as name from pg_tables where schemaname = current_schema() order by tablename`.execute(
            h.db,
          );
    const names = tables.rows.map((r) => r.name).filter((name) => !name.startsWith('kysely_'));
    const counts = await sql<Record<string, unknown>>`select ${sql.join(
      names.map((name) => sql`(select count(*) from ${sql.table(name)}) as ${sql.ref(name)}`),
    )}, (select max(updated_at) from users) as users_updated`.execute(h.db);
    return JSON.stringify(counts.rows[0]);
  }

  it('answers every generated request without a 5xx, and writes nothing for a refused one', {
    timeout: 240_000,
  }, async () => {
    console.log(`fuzz seed ${SEED} (${dialect}); replay with ROSTER_FUZZ_SEED=${SEED}`);
    const random = prng(SEED);
    const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)] as T;
    const failures: string[] = [];
    let state = await digest();
    let sent = 0;
    for (const op of operations) {
      // Signing out or changing the password would end the fuzzer's own session; a started import writes later.
      if (/^\/auth\/(sign-out|change-password)$|\/start$/.test(op.path)) continue;
      for (let i = 0; i < REQUESTS_PER_OPERATION; i++) {
        const stranger = random() < 0.25;
        const path = op.path.replace(/\{\w+\}/g, () =>
          encodeURIComponent(
            random() < 0.5 ? pick(NASTY_IDS) : pick(['1', '2', '3', '999999', 'voice_analytics', 'chat']),
          ),
        );
        const query = new URLSearchParams();
        for (const param of op.params.filter((p) => p.in === 'query')) {
          if (random() < 0.6)
            query.append(param.name, String(random() < 0.5 ? pick(NASTY_STRINGS) : pick(['1', 'a', 'true'])));
        }
        if (random() < 0.1) query.append(pick(NASTY_STRINGS).slice(0, 10) || 'x', pick(NASTY_STRINGS));
        const headers: Record<string, string> = stranger
          ? {}
          : { cookie: owner.cookie, 'x-csrf-token': owner.csrfToken };
        let body: BodyInit | undefined;
        if (op.method !== 'GET' && op.method !== 'DELETE') {
          const roll = random();
          if (roll < 0.08) {
            headers['content-type'] = 'application/json';
            body = new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]);
          } else if (roll < 0.14) {
            headers['content-type'] = pick(['text/plain', 'application/xml', 'multipart/form-data; boundary=x', '']);
            body = '{"a":1}';
          } else if (roll < 0.2) {
            headers['content-type'] = 'application/json';
            body = pick(['{', '[', '""', '{"a":}', `${'['.repeat(5000)}${']'.repeat(5000)}`, 'null', '1', '']);
          } else {
            headers['content-type'] = 'application/json';
            body = JSON.stringify(valueFor(op.body ?? { type: 'object' }, random));
          }
        }
        const qs = query.toString();
        const response = await h.app.request(`/api/v1${path}${qs ? `?${qs}` : ''}`, {
          method: op.method,
          body,
          headers,
        });
        const text = await response.text();
        sent++;
        const label = `${op.method} ${path}${qs ? `?${qs.slice(0, 80)}` : ''} ${stranger ? '(no session)' : ''}`;
        if (response.status >= 500) {
          failures.push(`${response.status} ${label} ${String(body).slice(0, 200)}: ${text.slice(0, 200)}`);
        }
        const now = await digest();
        if (response.status >= 400 && now !== state)
          failures.push(`${response.status} ${label} wrote: ${state} -> ${now}`);
        state = now;
      }
    }
    expect(sent).toBeGreaterThan(1000);
    expect(failures, `seed ${SEED}`).toEqual([]);
  });
});
