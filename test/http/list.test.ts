import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../../server/db/migrations/index.js';
import type { Actor } from '../../server/policy.js';
import { DEFAULT_TUNING } from '../../server/search/list.js';
import { UserDirectory } from '../../server/services/users.js';
import { DIALECTS } from '../support/databases.js';
import { type Client, createHarness, type Harness } from '../support/harness.js';

const PEOPLE = [
  {
    username: 'jsmith',
    firstName: 'John',
    lastName: 'Smith',
    email: 'john.smith@example.com',
    department: 'Engineering',
    phone: '+1 555 0100',
  },
  {
    username: 'jose',
    firstName: 'José',
    lastName: 'Álvarez',
    email: 'jose@acme.org',
    department: 'Sales',
    nicknames: ['Pepe'],
  },
  {
    username: 'mmuller',
    firstName: 'Marta',
    lastName: 'Müller',
    email: 'marta@example.com',
    department: 'Support',
    accessType: 'admin',
  },
  {
    username: 'jsmithers',
    firstName: 'Joan',
    lastName: 'Smithers',
    email: 'joan@corp.net',
    department: 'Engineering',
    enabled: false,
  },
  { username: 'lee', firstName: 'Li', lastName: 'Lee', email: 'li@corp.net', department: 'Billing', phone: '2001' },
];

const names = (reply: { body: { items: { username: string }[] } }) => reply.body.items.map((u) => u.username);

/**
 * The usernames a search finds through the search index: these accounts are small enough to be searched by testing
 * every user (SearchAdapter.scanUsers), so the API's answers alone would not show the index kept up to date.
 */
async function indexedSearch(h: Harness, accountId: number, q: string): Promise<string[]> {
  const indexed = new UserDirectory(h.ctx.database, h.ctx.audit, () => new Date(), { ...DEFAULT_TUNING, scanUsers: 0 });
  const actor: Actor = { userId: 0, accountId, username: 'test', accessType: 'admin', isOwner: false };
  const page = await indexed.list(actor, { q, limit: 100 });
  return page.items.map((user) => user.username);
}

describe.each(DIALECTS)('user list: search, sort, filters, pages, CSV (%s)', (dialect) => {
  let h: Harness;
  let owner: Client;
  let accountId: number;
  beforeAll(async () => {
    h = await createHarness(dialect);
    ({ owner, accountId } = await h.newAccount());
    for (const person of PEOPLE) await h.buildUser(owner, person);
    // Another account with look-alike users never leaks into these results.
    const other = await h.newAccount();
    await h.buildUser(other.owner, {
      username: 'jsmith',
      firstName: 'John',
      lastName: 'Smith',
      department: 'Engineering',
    });
  });
  afterAll(() => h.close());

  it.each([
    ['john', ['jsmith']],
    ['jo smi', ['jsmith', 'jsmithers']],
    ['SMI JO', ['jsmith', 'jsmithers']],
    ['@exam', ['mmuller', 'jsmith', 'owner']],
    ['@corp', ['jsmithers', 'lee']],
    ['eng', ['jsmith', 'jsmithers']],
    ['jose', ['jose']],
    ['álv', ['jose']],
    ['muller', ['mmuller']],
    ['pepe', ['jose']],
    ['5550100', ['jsmith']],
    ['2001', ['lee']],
    // Two letters match where a word starts (Lee, not Álvarez or Müller; acme after the @); three anywhere.
    ['ee', []],
    ['le', ['lee']],
    ['lle', ['mmuller']],
    ['ith', ['jsmith', 'jsmithers']],
    ['sm', ['jsmith', 'jsmithers']],
    ['ac', ['jose', 'owner']],
    ['li lee', ['lee']],
    ['zzz', []],
    ['qx', []],
    ['john zzz', []],
  ])('search %j finds %j', async (q, expected) => {
    const reply = await owner.get(`/users?q=${encodeURIComponent(q)}`);
    expect(reply.status).toBe(200);
    expect(names(reply).sort()).toEqual([...expected].sort());
    expect(reply.body.total).toBe(expected.length);
    expect(reply.body.totalExact).toBe(true);
    expect((await indexedSearch(h, accountId, q)).sort()).toEqual([...expected].sort());
  });

  it('finds a user whose letters are new to the index right after they are added or renamed', async () => {
    expect((await owner.get('/users?q=qy')).body.items).toEqual([]);
    const user = await h.buildUser(owner, { firstName: 'Qyzzle', lastName: 'Newletters' });
    expect(names(await owner.get('/users?q=qy'))).toEqual([user.username]);
    expect(await indexedSearch(h, accountId, 'qy')).toEqual([user.username]);
    expect((await owner.get('/users?q=wq')).body.items).toEqual([]);
    await owner.patch(`/users/${user.id}`, { lastName: 'Wqorth' });
    expect(names(await owner.get('/users?q=wq'))).toEqual([user.username]);
    expect(await indexedSearch(h, accountId, 'wq')).toEqual([user.username]);
    expect(await indexedSearch(h, accountId, 'newlet')).toEqual([]);
    await owner.del(`/users/${user.id}`);
    expect((await owner.get('/users?q=wq')).body.items).toEqual([]);
    expect(await indexedSearch(h, accountId, 'wq')).toEqual([]);
  });

  it('finds two letters at the start of a word, in any script, and longer terms anywhere', async () => {
    const { owner: admin, accountId: scripts } = await h.newAccount();
    const people = [
      ['zhore', 'Zhøre', 'Lund'],
      ['ivan', 'Иван', 'Петров'],
      ['strauss', 'Jörg', 'Strauß'],
      ['mail', 'Mail', 'Person', 'zh!x'],
      ['zhu', 'Zhu', 'Wei'],
      ['dash', 'Jean-Luc', "O'Neil", 'x9.y'],
      ['wang', 'Xiaoming', '王小明'],
      ['eleni', 'Ελένη', 'Καλοσύνη'],
    ];
    for (const [username, firstName, lastName, nickname] of people) {
      await h.buildUser(admin, { username, firstName, lastName, nicknames: nickname ? [nickname] : [] });
    }
    const search = async (q: string) => {
      const found = names(await admin.get(`/users?q=${encodeURIComponent(q)}`)).sort();
      expect((await indexedSearch(h, scripts, q)).sort(), q).toEqual(found);
      return found;
    };
    expect(await search('zh')).toEqual(['mail', 'zhore', 'zhu']);
    expect(await search('zhø')).toEqual(['zhore']);
    expect(await search('ив')).toEqual(['ivan']);
    expect(await search('пет')).toEqual(['ivan']);
    expect(await search('пе')).toEqual(['ivan']);
    expect(await search('ва')).toEqual([]);
    expect(await search('uß')).toEqual(['strauss']);
    expect(await search('auß')).toEqual(['strauss']);
    expect(await search('h!')).toEqual(['mail']);
    expect(await search('hu')).toEqual([]);
    expect(await search('we')).toEqual(['zhu']);
    // Words start after separators too (Jean-Luc, x9.y); terms holding one match anywhere.
    expect(await search('lu')).toEqual(['dash', 'zhore']);
    expect(await search('x9')).toEqual(['dash']);
    expect(await search('y')).toEqual(['dash']);
    expect(await search('n-')).toEqual(['dash']);
    expect(await search("'n")).toEqual(['dash']);
    expect(await search('9.')).toEqual(['dash']);
    expect(await search('il')).toEqual([]);
    // Letters of scripts without spaces between words match anywhere, two of them too.
    expect(await search('小明')).toEqual(['wang']);
    expect(await search('明')).toEqual(['wang']);
    // The search tells ς from σ (as it folds them: not at all), and so does the full-text index.
    expect(await search('οσυ')).toEqual(['eleni']);
    expect(await search('λος')).toEqual([]);
  });

  it('finds names as people type them without their letters, and digits without separators', async () => {
    const { owner: admin } = await h.newAccount();
    const people = [
      ['gisela', 'Gisela', 'Straße', ''],
      ['kari', 'Kari', 'Ødegård', ''],
      ['zofia', 'Zofia', 'Żółć', ''],
      ['ayse', 'Ayşe', 'Yılmaz', ''],
      ['thu', 'Þórunn', 'Guðrún', ''],
      ['pat', 'Pat', 'Lee', '(212) 555-0199'],
    ];
    for (const [username, firstName, lastName, phone] of people) {
      await h.buildUser(admin, { username, firstName, lastName, ...(phone ? { phone } : {}) });
    }
    const found = async (q: string) => (await admin.get(`/users?q=${encodeURIComponent(q)}`)).body.items;
    const expectOne = async (q: string, username: string, field: string, ranges: number[][]) => {
      const items = await found(q);
      expect(
        items.map((u: { username: string }) => u.username),
        q,
      ).toEqual([username]);
      expect(items[0].highlights[field], q).toEqual(ranges);
    };
    await expectOne('strasse', 'gisela', 'lastName', [[0, 6]]);
    await expectOne('STRAẞE', 'gisela', 'lastName', [[0, 6]]);
    await expectOne('odegard', 'kari', 'lastName', [[0, 7]]);
    await expectOne('zolc', 'zofia', 'lastName', [[0, 4]]);
    await expectOne('yilmaz', 'ayse', 'lastName', [[0, 6]]);
    await expectOne('thorunn', 'thu', 'firstName', [[0, 6]]);
    await expectOne('gudrun', 'thu', 'lastName', [[0, 6]]);
    await expectOne('5550199', 'pat', 'phone', [[6, 14]]);
    // Sorted by name, Ødegård files under O (after Guðrún, before Straße).
    const sorted = (await admin.get('/users?sort=name')).body.items.map((u: { username: string }) => u.username);
    expect(sorted.indexOf('kari')).toBeLessThan(sorted.indexOf('gisela'));
    expect(sorted.indexOf('kari')).toBeGreaterThan(sorted.indexOf('thu'));

    // Migration 0021 computes the stored search documents again: without it, "strasse" finds nobody.
    const step = migrations['0021-search-folding'] as (typeof migrations)[string];
    await step.down(h.db, dialect);
    expect(await found('strasse')).toEqual([]);
    await step.up(h.db, dialect);
    await expectOne('strasse', 'gisela', 'lastName', [[0, 6]]);
  });

  it('returns the matched parts of each field', async () => {
    const reply = await owner.get('/users?q=jo%20smi');
    const john = reply.body.items.find((u: { username: string }) => u.username === 'jsmith');
    expect(john.highlights.firstName).toEqual([[0, 2]]);
    expect(john.highlights.lastName).toEqual([[0, 3]]);
    expect(john.highlights.email).toEqual([
      [0, 2],
      [5, 8],
    ]);
    const jose = (await owner.get('/users?q=jose')).body.items[0];
    expect(jose.highlights.firstName).toEqual([[0, 4]]);
    const dept = (await owner.get('/users?q=eng')).body.items[0];
    expect(dept.highlights.department).toEqual([[0, 3]]);
  });

  it('sorts by every column in both directions', async () => {
    const byName = await owner.get('/users?sort=name');
    expect(names(byName)).toEqual(['jose', 'lee', 'mmuller', 'owner', 'jsmith', 'jsmithers']);
    const byEmailDesc = await owner.get('/users?sort=email&order=desc');
    expect(byEmailDesc.body.items.map((u: { email: string | null }) => u.email)).toEqual([
      'owner@example.com',
      'marta@example.com',
      'li@corp.net',
      'jose@acme.org',
      'john.smith@example.com',
      'joan@corp.net',
    ]);
    for (const sort of [
      'firstName',
      'lastName',
      'username',
      'phone',
      'department',
      'accessType',
      'authMethod',
      'status',
      'enabled',
      'createdAt',
    ]) {
      for (const order of ['asc', 'desc']) {
        const reply = await owner.get(`/users?sort=${sort}&order=${order}`);
        expect(reply.status, `${sort} ${order}`).toBe(200);
        expect(reply.body.items).toHaveLength(6);
      }
    }
    expect((await owner.get('/users?sort=password')).status).toBe(400);
  });

  it('filters and counts exactly', async () => {
    expect(names(await owner.get('/users?accessType=admin')).sort()).toEqual(['mmuller', 'owner']);
    expect(names(await owner.get('/users?enabled=false'))).toEqual(['jsmithers']);
    const eng = await owner.get('/users?department=Engineering');
    expect(eng.body.total).toBe(2);
    expect(names(await owner.get('/users?department=Engineering&enabled=true'))).toEqual(['jsmith']);
    expect(names(await owner.get('/users?q=smi&enabled=true'))).toEqual(['jsmith']);
    expect((await owner.get('/users?status=active')).body.total).toBe(1);
    expect((await owner.get('/users?source=local')).body.total).toBe(6);
    expect((await owner.get('/users?accessType=root')).body.error.fields[0].path).toBe('accessType');
    const facets = await owner.get('/users/facets');
    expect(facets.body).toEqual({
      departments: ['Billing', 'Engineering', 'Sales', 'Support'],
      sources: ['local'],
      total: 6,
    });
  });

  it('pages forwards, backwards, to the last page and back to the first', async () => {
    const { owner: admin } = await h.newAccount();
    for (let i = 0; i < 23; i++) {
      await h.buildUser(admin, {
        username: `p${String(i).padStart(2, '0')}`,
        firstName: 'Page',
        lastName: `L${String(i).padStart(2, '0')}`,
      });
    }
    const page1 = await admin.get('/users?sort=username&limit=10');
    expect(page1.body.total).toBe(24);
    expect(page1.body.prevCursor).toBeNull();
    expect(names(page1)[0]).toBe('owner');
    const page2 = await admin.get(`/users?sort=username&limit=10&cursor=${page1.body.nextCursor}`);
    expect(names(page2)).toEqual(['p09', 'p10', 'p11', 'p12', 'p13', 'p14', 'p15', 'p16', 'p17', 'p18']);
    const page3 = await admin.get(`/users?sort=username&limit=10&cursor=${page2.body.nextCursor}`);
    expect(names(page3)).toEqual(['p19', 'p20', 'p21', 'p22']);
    expect(page3.body.nextCursor).toBeNull();
    const back = await admin.get(`/users?sort=username&limit=10&cursor=${page3.body.prevCursor}`);
    expect(names(back)).toEqual(names(page2));
    const first = await admin.get(`/users?sort=username&limit=10&cursor=${back.body.prevCursor}`);
    expect(names(first)).toEqual(names(page1));
    expect(first.body.prevCursor).toBeNull();
    const last = await admin.get('/users?sort=username&limit=10&last=true');
    expect(names(last)).toEqual(['p13', 'p14', 'p15', 'p16', 'p17', 'p18', 'p19', 'p20', 'p21', 'p22']);
    expect(last.body.nextCursor).toBeNull();
    const beforeLast = await admin.get(`/users?sort=username&limit=10&cursor=${last.body.prevCursor}`);
    expect(names(beforeLast)).toEqual(
      ['owner', 'p00', 'p01', 'p02', 'p03', 'p04', 'p05', 'p06', 'p07', 'p08', 'p09', 'p10', 'p11', 'p12'].slice(-10),
    );
    // Descending name order walks the compound (last name, first name, id) key.
    const desc = await admin.get('/users?sort=name&order=desc&limit=5');
    const descNext = await admin.get(`/users?sort=name&order=desc&limit=5&cursor=${desc.body.nextCursor}`);
    expect([...names(desc), ...names(descNext)]).toEqual([
      'owner',
      'p22',
      'p21',
      'p20',
      'p19',
      'p18',
      'p17',
      'p16',
      'p15',
      'p14',
    ]);
    const garbage = await admin.get('/users?cursor=not-a-cursor');
    expect(garbage.body.error.fields[0].path).toBe('cursor');
    const mismatched = await admin.get(`/users?sort=name&cursor=${page1.body.nextCursor}`);
    expect(mismatched.status).toBe(400);
  });

  it('downloads the table as CSV exactly as filtered and sorted, with formulas neutralized', async () => {
    await h.buildUser(owner, {
      username: 'formula',
      firstName: '=HYPERLINK("http://evil")',
      lastName: '+cmd',
      department: 'Engineering',
    });
    const csv = await owner.get('/users/export.csv?department=Engineering&sort=username&order=desc');
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-disposition')).toMatch(/attachment; filename="users.csv"/);
    const lines = csv.text
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(lines[0]).toMatch(/^Username,First name,Last name,Email,Phone,Department,Access type/);
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['jsmithers', 'jsmith', 'formula']);
    expect(lines[3]).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(lines[3]).toContain(`'+cmd`);
    const searched = await owner.get('/users/export.csv?q=jose');
    expect(searched.text).toContain('José');
    expect(searched.text.trim().split('\r\n')).toHaveLength(2);
    await owner.del(`/users/${(await owner.get('/users?q=formula')).body.items[0].id}`);
  });

  it('saves filters per admin, with one default, and resets', async () => {
    const saved = await owner.post('/saved-filters', {
      name: 'Engineers',
      filter: { department: 'Engineering', enabled: true },
      sort: 'email',
      isDefault: true,
    });
    expect(saved.status).toBe(201);
    expect(saved.body).toMatchObject({
      name: 'Engineers',
      filter: { department: 'Engineering', enabled: true },
      sort: 'email',
      isDefault: true,
    });
    const dup = await owner.post('/saved-filters', { name: 'Engineers', filter: {} });
    expect(dup.status).toBe(409);
    expect(dup.body.error.fields[0].path).toBe('name');
    const second = await owner.post('/saved-filters', {
      name: 'Admins',
      filter: { accessType: 'admin' },
      isDefault: true,
    });
    const list = await owner.get('/saved-filters');
    expect(list.body.items.map((f: { name: string; isDefault: boolean }) => [f.name, f.isDefault])).toEqual([
      ['Admins', true],
      ['Engineers', false],
    ]);
    const reset = await owner.patch(`/saved-filters/${second.body.id}`, { isDefault: false });
    expect(reset.body.isDefault).toBe(false);
    const invalid = await owner.post('/saved-filters', { name: '', filter: { accessType: 'root' } });
    expect(invalid.body.error.fields.map((f: { path: string }) => f.path).sort()).toEqual([
      'filter.accessType',
      'name',
    ]);
    expect((await owner.del(`/saved-filters/${saved.body.id}`)).status).toBe(204);
    const other = await h.newAccount();
    expect((await other.owner.del(`/saved-filters/${second.body.id}`)).status).toBe(404);
    expect((await other.owner.get('/saved-filters')).body.items).toEqual([]);
  });
});
