// Department names are one per account in any case or accents, an Agent ID names one user, and migration 0010 keeps
// data that broke these rules before it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../../server/db/migrations/index.js';
import { DIALECTS } from '../support/databases.js';
import { createHarness, type Harness } from '../support/harness.js';
import { csv, runImport, upload } from '../support/import-files.js';

describe.each(DIALECTS)('unique departments and Agent IDs (%s)', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(dialect);
  });
  afterAll(() => h.close());

  it('takes a department named in another case or accents as the existing one', async () => {
    const { owner } = await h.newAccount();
    expect((await owner.post('/departments', { name: 'Ventas' })).status).toBe(201);
    for (const name of ['ventas', 'VENTAS', 'Véntas']) {
      const again = await owner.post('/departments', { name });
      expect(again.status, name).toBe(409);
      expect(again.body.error.code).toBe('DepartmentNameTaken');
      expect(again.body.error.fields[0].path).toBe('name');
      expect(again.body.error.message).toContain('Ventas');
    }
    const user = await h.buildUser(owner, { department: 'ventas' });
    expect(user.department).toBe('Ventas');
    const moved = await owner.patch(`/users/${user.id}`, { department: 'Soporte' });
    expect(moved.body.department).toBe('Soporte');
    const back = await owner.patch(`/users/${user.id}`, { department: 'VÉNTAS' });
    expect(back.body.department).toBe('Ventas');
    const departments = (await owner.get('/departments')).body.items as { id: number; name: string }[];
    expect(departments.map((d) => d.name)).toEqual(['Soporte', 'Ventas']);
    expect((await owner.get('/users/facets')).body.departments).toEqual(['Ventas']);

    // Renaming onto another department's name in another case is refused; changing one's own case is not.
    const soporte = departments.find((d) => d.name === 'Soporte') as { id: number };
    const ventas = departments.find((d) => d.name === 'Ventas') as { id: number };
    const clash = await owner.patch(`/departments/${soporte.id}`, { name: 'ventas' });
    expect(clash.status).toBe(409);
    expect(clash.body.error.fields[0].path).toBe('name');
    const recased = await owner.patch(`/departments/${ventas.id}`, { name: 'VENTAS' });
    expect(recased.status).toBe(200);
    expect((await owner.get(`/users/${user.id}`)).body.department).toBe('VENTAS');
  });

  it('imports "ventas" and "VENTAS" rows under the existing Ventas, and one spelling for a new department', async () => {
    const { owner } = await h.newAccount();
    await owner.post('/departments', { name: 'Ventas' });
    const existing = await h.buildUser(owner, { username: 'existing', department: 'Soporte' });
    for (const mode of ['create', 'upsert'] as const) {
      const rows =
        mode === 'create'
          ? [
              ['Username', 'First name', 'Department'],
              ['imp1', 'One', 'ventas'],
              ['imp2', 'Two', 'VENTAS'],
              ['imp3', 'Three', 'Calidad'],
              ['imp4', 'Four', 'calidad'],
            ]
          : [
              ['Username', 'First name', 'Department'],
              ['existing', 'Existing', 'véntas'],
            ];
      const preview = await upload(h, owner, 'departments.csv', csv(rows));
      expect(preview.status, preview.text).toBe(201);
      const done = await runImport(owner, preview.body.id, { mode });
      expect(done.body.status, JSON.stringify(done.body)).toBe('done');
    }
    const users = (await owner.get('/users?limit=100&sort=username')).body.items as {
      username: string;
      department: string;
    }[];
    expect(Object.fromEntries(users.map((u) => [u.username, u.department]))).toMatchObject({
      imp1: 'Ventas',
      imp2: 'Ventas',
      imp3: 'Calidad',
      imp4: 'Calidad',
      existing: 'Ventas',
    });
    expect(existing.department).toBe('Soporte');
    const names = ((await owner.get('/departments')).body.items as { name: string }[]).map((d) => d.name);
    expect(names).toEqual(['Calidad', 'Soporte', 'Ventas']);
  });

  it('refuses an Agent ID another user of the account holds, naming the field', async () => {
    const { owner } = await h.newAccount();
    const first = await h.buildUser(owner, { agentId: 'A-100' });
    const second = await h.buildUser(owner, { agentId: '' });
    await h.buildUser(owner, {}); // many users without an Agent ID
    const duplicate = await owner.post('/users', { username: 'dup', firstName: 'Dup', agentId: 'A-100' });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error.code).toBe('AgentIdTaken');
    expect(duplicate.body.error.fields).toEqual([
      { path: 'agentId', message: `Already the Agent ID of ${first.username}` },
    ]);
    expect((await owner.get('/users?q=dup')).body.items).toEqual([]);
    const patched = await owner.patch(`/users/${second.id}`, { agentId: 'A-100' });
    expect(patched.status).toBe(409);
    expect(patched.body.error.fields[0].path).toBe('agentId');
    expect((await owner.patch(`/users/${first.id}`, { agentId: 'A-100', firstName: 'Same' })).status).toBe(200);
    expect((await owner.patch(`/users/${second.id}`, { agentId: 'A-101' })).status).toBe(200);
    // Another account may use the same Agent ID.
    const other = await h.newAccount();
    expect((await h.buildUser(other.owner, { agentId: 'A-100' })).agentId).toBe('A-100');
  });

  it('migrates data that broke the rules: look-alike departments stay, a shared Agent ID stays with the first', async () => {
    const { owner, accountId } = await h.newAccount();
    const a = await h.buildUser(owner, { agentId: 'X-1', department: 'Ventas' });
    const b = await h.buildUser(owner, {});
    const migration = migrations['0010-unique-departments-agent-ids'] as (typeof migrations)[string];
    await migration.down(h.db as never, dialect);
    await h.db.updateTable('users').set({ agent_id: 'X-1' }).where('id', '=', b.id).execute();
    await h.db
      .insertInto('departments')
      .values({ account_id: accountId, name: 'ventas', created_at: new Date().toISOString() } as never)
      .execute();
    await migration.up(h.db as never, dialect);

    expect((await owner.get(`/users/${a.id}`)).body.agentId).toBe('X-1');
    expect((await owner.get(`/users/${b.id}`)).body.agentId).toBe('');
    const audit = await owner.get(`/audit?targetId=${b.id}`);
    expect(JSON.stringify(audit.body)).toContain('Agent ID already held by another user');
    const names = ((await owner.get('/departments')).body.items as { name: string }[]).map((d) => d.name);
    expect(names.sort()).toEqual(['Ventas', 'ventas']);
    // New users typed in any case join the older department.
    expect((await h.buildUser(owner, { department: 'VENTAS' })).department).toBe('Ventas');
    expect((await owner.post('/users', { username: 'dup2', firstName: 'D', agentId: 'X-1' })).status).toBe(409);
  });
});
