// SCIM's email substring filters read an index of addresses alone (migration 0017): hostile filter values, totals
// against pages, every way an address changes or a user goes, concurrent creates against the facet counts, and the
// migration's backfill and down/up. Each answer is compared with a direct scan of the users table.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDown, migrateToLatest } from '../../server/db/index.js';
import { unicodeLower } from '../../server/db/sql-helpers.js';
import { insertUsersInBulk } from '../../server/services/user-bulk-insert.js';
import { DIALECTS } from '../support/databases.js';
import { createHarness, type Harness } from '../support/harness.js';
import { csv, runImport, upload } from '../support/import-files.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

interface Scim {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: replies are read loosely.
  body: any;
}

const q = (filter: string) => `filter=${encodeURIComponent(filter)}`;
const co = (value: unknown) => `emails co ${JSON.stringify(value)}`;

describe.each(DIALECTS)('SCIM email index under review (%s)', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(dialect);
  });
  afterAll(() => h.close());

  /** A new account and a SCIM client of it (as in scim.test.ts). */
  async function client(harness: Harness = h) {
    const account = await harness.newAccount();
    const created = await account.owner.post('/scim-tokens', { name: 'Entra ID' });
    expect(created.status).toBe(201);
    const token = created.body.token as string;
    const call = async (method: string, path: string, body?: unknown): Promise<Scim> => {
      const init: RequestInit = { method, headers: { authorization: `Bearer ${token}` } };
      if (body !== undefined) {
        (init.headers as Record<string, string>)['content-type'] = 'application/scim+json';
        init.body = JSON.stringify(body);
      }
      const response = await harness.app.request(`/scim/v2${path}`, init);
      const text = await response.text();
      expect(response.status, `${method} ${path}: ${text}`).toBeLessThan(500);
      return { status: response.status, body: text ? JSON.parse(text) : null };
    };
    return { ...account, call };
  }
  type ScimClient = Awaited<ReturnType<typeof client>>;

  /** The account's users whose address, lower-cased as the filter's own test does, contains the text: ids, sorted. */
  async function scan(accountId: number, value: string | number, harness: Harness = h): Promise<number[]> {
    const wanted = String(value).toLowerCase();
    const rows = await harness.db
      .selectFrom('users')
      .select(['id', unicodeLower(dialect, sql.ref('email')).as('l')])
      .where('account_id', '=', accountId)
      .execute();
    return rows
      .filter((row) => (row.l as string).includes(wanted))
      .map((row) => Number(row.id))
      .sort((a, b) => a - b);
  }

  /** Every page of a filter, `size` at a time: the ids (sorted) and the total every page gave. */
  async function pages(scim: ScimClient, filter: string, size = 7, extra = '') {
    const ids: number[] = [];
    const totals = new Set<number>();
    for (let start = 1; ; start += size) {
      const reply = await scim.call(
        'GET',
        `/Users?${q(filter)}&startIndex=${start}&count=${size}&attributes=userName${extra}`,
      );
      expect(reply.status, `${filter}: ${JSON.stringify(reply.body)}`).toBe(200);
      totals.add(reply.body.totalResults);
      ids.push(...reply.body.Resources.map((r: { id: string }) => Number(r.id)));
      if (start + size > reply.body.totalResults || reply.body.Resources.length === 0) break;
    }
    expect([...totals], `${filter}: one total on every page`).toHaveLength(1);
    const total = [...totals][0] as number;
    expect(ids.length, `${filter}: the pages hold the total`).toBe(total);
    return ids.sort((a, b) => a - b);
  }

  it('answers hostile contains values as a direct scan does, on every page, inside the account', async () => {
    const scim = await client();
    const other = await client();
    // Written in bulk, as a seed or an old directory would be: addresses no validation would let in today.
    const emails = [
      'a"b@x.io',
      'say""hi@x.io',
      '100%_off\\deal@shop.io',
      'near(ab cd)@x.io',
      'x OR y@z.io',
      '^start*@x.io',
      'under_score@x.io',
      'per%cent@x.io',
      'back\\\\slash@x.io',
      "quote'o@x.io",
      'col:on@x.io',
      '-minus@x.io',
      '{brace}@x.io',
      'john.smith@example.com',
      'JOHN.SMITH2@EXAMPLE.COM',
      'Jo.Hansen@Example.com',
      `${'a'.repeat(200)}@long.io`,
      'tab\there@x.io',
      '12345@numbers.io',
      '',
      '',
    ];
    const users = emails.map((email, i) => ({ username: `weird.${i}`, firstName: 'Weird', lastName: `${i}`, email }));
    await insertUsersInBulk(h.ctx.database, scim.accountId, users);
    await insertUsersInBulk(h.ctx.database, other.accountId, users);

    const values: (string | number)[] = [
      '"',
      '""',
      '"""',
      'a"b',
      'y""h',
      '%',
      '%%%',
      '_',
      '___',
      '\\',
      '\\\\',
      '\\\\\\',
      '%_o',
      'off\\',
      '_off\\d',
      'NEAR(ab',
      'near(ab cd)',
      'OR y',
      'x or',
      ' or ',
      '^sta',
      'rt*@',
      '*',
      '***',
      'col:',
      'col:on',
      '-mi',
      '{br',
      'AND',
      'NOT',
      "' OR '1'='1",
      "o'x",
      'a'.repeat(150),
      'a'.repeat(201),
      'a'.repeat(4000),
      'john',
      'JOHN.S',
      'jo',
      'j',
      '',
      '.io',
      '@x.',
      'x.i',
      'h.s',
      '\there',
      12345,
      123,
      12,
      1,
      '123',
    ];
    for (const value of values) {
      const filter = co(value);
      expect(await pages(scim, filter), filter).toEqual(await scan(scim.accountId, value));
    }
    // The same through the other spellings of the attribute.
    expect(await pages(scim, 'emails[value co "john"]')).toEqual(await scan(scim.accountId, 'john'));
    expect(await pages(scim, 'emails.value co "%_o"')).toEqual(await scan(scim.accountId, '%_o'));
    expect(await pages(scim, `${USER}:emails.value co "x.io"`)).toEqual(await scan(scim.accountId, 'x.io'));
    // NUL is refused as a bad filter, never a server error.
    const nul = await scim.call('GET', `/Users?${q('emails co "ab\\u0000c"')}`);
    expect(nul.status).toBe(400);
  });

  it('combines an email contains test with not, or, and, sorting and paging as a direct scan does', async () => {
    const scim = await client();
    const users = Array.from({ length: 40 }, (_, i) => ({
      username: `mix.${String(i).padStart(2, '0')}`,
      firstName: 'Mix',
      email: i % 4 === 3 ? '' : `${['john', 'mary', 'johanna', 'Jon'][i % 4]}.${i}@${i % 2 ? 'Example.com' : 'ex.org'}`,
    }));
    await insertUsersInBulk(h.ctx.database, scim.accountId, users);
    const everyone = (
      await h.db.selectFrom('users').select(['id', 'username']).where('account_id', '=', scim.accountId).execute()
    ).map((r) => ({ id: Number(r.id), username: r.username }));
    const john = await scan(scim.accountId, 'joh');
    const example = await scan(scim.accountId, 'example');
    const byName = (id: number) => everyone.find((u) => u.id === id)?.username as string;

    expect(await pages(scim, 'not (emails co "joh")')).toEqual(
      everyone
        .map((u) => u.id)
        .filter((id) => !john.includes(id))
        .sort((a, b) => a - b),
    );
    expect(await pages(scim, 'emails co "joh" or emails co "example"')).toEqual(
      [...new Set([...john, ...example])].sort((a, b) => a - b),
    );
    expect(await pages(scim, 'emails co "joh" and emails co "example"')).toEqual(
      john.filter((id) => example.includes(id)),
    );
    expect(await pages(scim, 'emails co "joh" and userName sw "mix.1"')).toEqual(
      john.filter((id) => byName(id).startsWith('mix.1')),
    );
    const johanna = await scan(scim.accountId, 'johanna');
    expect(johanna.length).toBeGreaterThan(0);
    expect(await pages(scim, 'emails co "joh" and not (emails co "johanna")')).toEqual(
      john.filter((id) => !johanna.includes(id)),
    );

    // Sorted: the same users, in the order asked for, and the same total on every page.
    const sorted: string[] = [];
    for (let start = 1; start <= john.length; start += 4) {
      const reply = await scim.call(
        'GET',
        `/Users?${q('emails co "joh"')}&sortBy=userName&sortOrder=descending&startIndex=${start}&count=4&attributes=userName`,
      );
      expect(reply.body.totalResults).toBe(john.length);
      sorted.push(...reply.body.Resources.map((r: { userName: string }) => r.userName));
    }
    expect(sorted).toEqual(john.map(byName).sort().reverse());
    expect(await pages(scim, 'emails co "joh"', 5, '&sortBy=emails.value')).toEqual(john);

    // Beyond the end, and no page at all: the total only.
    const beyond = await scim.call('GET', `/Users?${q('emails co "joh"')}&startIndex=${john.length + 1}&count=5`);
    expect(beyond.body).toMatchObject({ totalResults: john.length, Resources: [] });
    const none = await scim.call('GET', `/Users?${q('emails co "joh"')}&count=0`);
    expect(none.body).toMatchObject({ totalResults: john.length, Resources: [] });
    const last = await scim.call('GET', `/Users?${q('emails co "joh"')}&startIndex=${john.length}&count=5`);
    expect(last.body.Resources.map((r: { id: string }) => Number(r.id))).toEqual([john.at(-1)]);
  });

  it('folds letters outside ASCII in the index as a direct scan folds them', async () => {
    const scim = await client();
    // Letters whose lower case (String.prototype.toLowerCase, PostgreSQL's lower) differs from their case folding:
    // long s folds to "s" but stays "ſ" in lower case; the Kelvin sign lowers to "k"; dotted I lowers to "i" + U+0307.
    const emails = [
      'joſe@x.io',
      'KELVIN@x.io',
      'İsmail@x.io',
      'bobİ@x.io',
      'strauß@x.io',
      'µicro@x.io',
      'plain.jose@x.io',
    ];
    await insertUsersInBulk(
      h.ctx.database,
      scim.accountId,
      emails.map((email, i) => ({ username: `fold.${i}`, firstName: 'Fold', email })),
    );
    for (const value of ['jose', 'ose@', 'kelvin', 'lvin@', 'smail', 'ism', 'bobi', 'ss@', 'micro', 'cro@x']) {
      expect(await pages(scim, co(value)), co(value)).toEqual(await scan(scim.accountId, value));
    }
  });

  it('keeps the index in step with every way an address changes or a user goes', async () => {
    const scim = await client();
    const { owner, accountId } = scim;
    const ids: Record<string, number> = {};
    // Created through the API, through SCIM, by an import and in bulk.
    for (const name of ['api1', 'api2', 'api3', 'api4']) {
      ids[name] = (await h.buildUser(owner, { username: name, email: `${name}.old@alpha.example.com` })).id;
    }
    for (const name of ['scim1', 'scim2', 'scim3']) {
      const made = await scim.call('POST', '/Users', {
        schemas: [USER],
        userName: name,
        emails: [{ value: `${name}.old@alpha.example.com`, type: 'work', primary: true }],
      });
      expect(made.status).toBe(201);
      ids[name] = Number(made.body.id);
    }
    const header = ['Username', 'Full Name', 'Email'];
    const first = await upload(
      h,
      owner,
      'users.csv',
      csv([
        header,
        ['imp1', 'Imp One', 'imp1.old@alpha.example.com'],
        ['imp2', 'Imp Two', 'imp2.old@alpha.example.com'],
      ]),
    );
    expect((await runImport(owner, first.body.id)).body.status).toBe('done');
    await insertUsersInBulk(h.ctx.database, accountId, [
      { username: 'bulk1', firstName: 'Bulk', email: 'bulk1.old@alpha.example.com' },
      { username: 'bulk2', firstName: 'Bulk', email: 'bulk2.old@alpha.example.com' },
    ]);
    for (const row of await h.db
      .selectFrom('users')
      .select(['id', 'username'])
      .where('account_id', '=', accountId)
      .execute())
      ids[row.username] = Number(row.id);

    const fragments = ['old@alpha', 'new@beta', 'example.com', 'alpha.ex', 'beta.ex', 'api1', 'scim2', 'imp2', 'bulk1'];
    const check = async (label: string) => {
      for (const value of fragments) {
        expect(await pages(scim, co(value)), `${label}: ${co(value)}`).toEqual(await scan(accountId, value));
      }
      if (dialect === 'postgres') {
        // The index itself: one row per user with an address, the address lower-cased.
        const indexed = await sql<{ user_id: number; email: string }>`select user_id, email from user_emails
          where account_id = ${accountId} order by user_id`.execute(h.db);
        const users = await sql<{ id: number; email: string }>`select id, lower(email) as email from users
          where account_id = ${accountId} and email <> '' order by id`.execute(h.db);
        expect(
          indexed.rows.map((r) => [r.user_id, r.email]),
          label,
        ).toEqual(users.rows.map((r) => [r.id, r.email]));
      }
    };
    await check('created');

    // The API: a new address, a cleared one, a change of case only, a deletion.
    expect((await owner.patch(`/users/${ids.api1}`, { email: 'api1.new@beta.example.com' })).status).toBe(200);
    expect((await owner.patch(`/users/${ids.api2}`, { email: '' })).status).toBe(200);
    expect((await owner.patch(`/users/${ids.api4}`, { email: 'API4.OLD@ALPHA.EXAMPLE.COM' })).status).toBe(200);
    expect((await owner.del(`/users/${ids.api3}`)).status).toBe(204);
    // SCIM: a replace, a patch, a delete.
    const put = await scim.call('PUT', `/Users/${ids.scim1}`, {
      schemas: [USER],
      userName: 'scim1',
      emails: [{ value: 'scim1.new@beta.example.com', type: 'work', primary: true }],
    });
    expect(put.status).toBe(200);
    const patched = await scim.call('PATCH', `/Users/${ids.scim2}`, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', path: 'emails[type eq "work"].value', value: 'scim2.new@beta.example.com' }],
    });
    expect(patched.status).toBe(200);
    expect((await scim.call('DELETE', `/Users/${ids.scim3}`)).status).toBe(204);
    // An import that updates: new addresses for an imported user and one created in bulk.
    const second = await upload(
      h,
      owner,
      'users.csv',
      csv([header, ['imp1', 'Imp One', 'imp1.new@beta.example.com'], ['bulk1', 'Bulk', 'bulk1.new@beta.example.com']]),
    );
    await owner.patch(`/imports/${second.body.id}`, { mode: 'upsert' });
    const updated = await runImport(owner, second.body.id, { mode: 'upsert' });
    expect(updated.body.progress).toMatchObject({ created: 0, updated: 2 });
    // A bulk delete.
    const bulk = await owner.post('/users/bulk', { action: 'delete', selection: { ids: [ids.bulk2, ids.imp2] } });
    expect(bulk.body).toMatchObject({ done: 2 });
    fragments.push(
      'api1.old@alpha.example.com',
      'api1.new@beta.example.com',
      'api2.old',
      'api3.old',
      'api4.old@alpha',
      'scim1.old',
      'scim1.new',
      'scim2.new',
      'scim3.old',
      'imp1.new',
      'imp1.old',
      'imp2.old',
      'bulk1.new',
      'bulk1.old',
      'bulk2.old',
    );
    await check('changed');
  });

  it('counts every user once in the facet counts when the first users of new facets are created at once', async () => {
    const scim = await client();
    const { owner, accountId } = scim;
    // Several rounds: each starts new facets (new departments) with creates that run together, some of which
    // invite (the status changes in the same transaction), some through SCIM, and a user deleted alongside.
    for (let round = 0; round < 3; round++) {
      const victim = await h.buildUser(owner, { department: `Round ${round} A`, email: `victim${round}@example.com` });
      const toggled = await h.buildUser(owner, {
        department: `Round ${round} B`,
        email: `toggled${round}@example.com`,
      });
      const replies = await Promise.all([
        ...Array.from({ length: 12 }, (_, i) =>
          owner.post('/users', {
            username: `r${round}u${i}`,
            firstName: 'Race',
            email: `r${round}u${i}@example.com`,
            department: `Round ${round} ${'AB'[i % 2]}`,
            sendInvitation: i % 3 === 0,
          }),
        ),
        ...Array.from({ length: 4 }, (_, i) =>
          scim.call('POST', '/Users', {
            schemas: [USER, ENTERPRISE],
            userName: `r${round}s${i}`,
            emails: [{ value: `r${round}s${i}@example.com`, type: 'work', primary: true }],
            [ENTERPRISE]: { department: `Round ${round} A` },
          }),
        ),
        owner.del(`/users/${victim.id}`),
        owner.patch(`/users/${toggled.id}`, { enabled: false }),
      ]);
      expect(replies.slice(0, 16).map((r) => r.status)).toEqual(Array(16).fill(201));
    }
    type Facet = {
      access_type: string;
      status: string;
      enabled: number;
      department: string;
      source: string;
      n: number;
    };
    const counted = await sql<Facet>`select access_type, status, enabled, department, source, n from user_facets
      where account_id = ${accountId} and n <> 0`.execute(h.db);
    const actual = await sql<Facet>`select access_type, status, enabled, department, source, count(*) as n from users
      where account_id = ${accountId} group by access_type, status, enabled, department, source`.execute(h.db);
    const asMap = (rows: Facet[]) =>
      Object.fromEntries(
        rows
          .map((r) => [[r.access_type, r.status, r.enabled, r.department, r.source].join('|'), Number(r.n)] as const)
          .sort(([a], [b]) => a.localeCompare(b)),
      );
    expect(asMap(counted.rows)).toEqual(asMap(actual.rows));
    // SCIM's unfiltered total is read from those counts.
    const all = await scim.call('GET', '/Users?count=0');
    expect(all.body.totalResults).toBe(actual.rows.reduce((sum, r) => sum + Number(r.n), 0));
    expect(await pages(scim, co('@example.com'), 50)).toEqual(await scan(accountId, '@example.com'));
  });

  /** Migrates down until the email index (0017) and what came after it are gone. */
  async function downTo0016(harness: Harness) {
    for (;;) {
      const name = await migrateDown(harness.ctx.database);
      expect(name).not.toBeNull();
      if (name === '0017-email-index') return;
    }
  }

  it('backfills the index from the users a database already has, and goes down and up again', async () => {
    const m = await createHarness(dialect);
    try {
      const scim = await client(m);
      const { owner, accountId } = scim;
      await insertUsersInBulk(
        m.ctx.database,
        accountId,
        Array.from({ length: 30 }, (_, i) => ({
          username: `pre.${i}`,
          firstName: 'Pre',
          email: i % 5 === 4 ? '' : `pre.${i}@${i % 2 ? 'before' : 'Early'}.example.com`,
        })),
      );
      const kept = await m.buildUser(owner, { username: 'kept', email: 'kept@before.example.com' });
      const fragments = ['pre.1', 'before.ex', 'early', 'during', 'kept@', '.example.com'];
      const check = async (label: string) => {
        for (const value of fragments) {
          expect(await pages(scim, co(value)), `${label}: ${co(value)}`).toEqual(await scan(accountId, value, m));
        }
      };
      await check('migrated');

      await downTo0016(m);
      // Changes while the index is gone: a new address, a removed one, a deleted user, a user written straight in.
      await m.db.updateTable('users').set({ email: 'kept@during.example.com' }).where('id', '=', kept.id).execute();
      await m.db.updateTable('users').set({ email: '' }).where('username', '=', 'pre.1').execute();
      await m.db.deleteFrom('users').where('username', '=', 'pre.3').execute();
      const template = await m.db.selectFrom('users').selectAll().where('id', '=', kept.id).executeTakeFirstOrThrow();
      const { id: _id, ...copy } = template;
      await m.db
        .insertInto('users')
        .values({ ...copy, username: 'during.1', email: 'During.One@during.example.com' })
        .execute();
      expect(await migrateToLatest(m.ctx.database)).toContain('0017-email-index');
      await check('backfilled');

      // Down and up once more, with nothing changed: the same answers.
      await downTo0016(m);
      expect(await migrateToLatest(m.ctx.database)).toContain('0017-email-index');
      await check('again');
      // And the triggers are back: a change after the migration is indexed.
      expect((await owner.patch(`/users/${kept.id}`, { email: 'kept@after.example.com' })).status).toBe(200);
      fragments.push('after.ex');
      await check('after');
    } finally {
      await m.close();
    }
  });
});
