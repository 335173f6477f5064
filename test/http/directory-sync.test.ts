// Directory sync against a real OpenLDAP server (test/support/slapd), on both databases: a preview that writes
// nothing, a full sync whose counts are exact, a re-run that changes nothing, entries that change, leave the filter,
// come back and disappear, the per-user sync switch, local attributes that survive, nested groups and the group of
// 5,000, errors naming DNs, an incremental sync, a directory that drops the connection midway, and the policy.
import { execFile } from 'node:child_process';
import { createServer, type Server, connect as tcpConnect } from 'node:net';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userBatch } from '../../server/services/directory/writer.js';
import { argon2Checks } from '../../server/services/passwords.js';
import { startMustChangeDirectory } from '../support/ad-bind.js';
import { DIALECTS } from '../support/databases.js';
import { type Client, createHarness, type Harness, PASSWORD } from '../support/harness.js';
import {
  type Directory,
  GROUPS_DN,
  generateDirectory,
  PEOPLE_DN,
  type Person,
  SERVICE_DN,
  SERVICE_PASSWORD,
} from '../support/ldif.js';
import { startSlapd, type TestSlapd } from '../support/slapd.js';

const NAME = 'Head office';
/** People who leave the filter are marked so (and come back when the mark goes). */
const FILTER = '(&(objectClass=inetOrgPerson)(!(description=gone)))';

describe.each(DIALECTS)('directory sync (%s)', (dialect) => {
  let h: Harness;
  let owner: Client;
  let accountId: number;
  let slapd: TestSlapd;
  let directory: Directory;
  let connectionId: number;

  beforeAll(async () => {
    directory = generateDirectory();
    slapd = await startSlapd(directory.ldif);
    h = await createHarness(dialect, { directoryTimeoutMs: 3000 });
    const account = await h.newAccount();
    owner = account.owner;
    accountId = account.accountId;
    const created = await owner.post('/directory-connections', {
      name: NAME,
      url: slapd.url,
      startTls: true,
      caCertificate: slapd.certificate,
      bindDn: SERVICE_DN,
      bindPassword: SERVICE_PASSWORD,
      usersBaseDn: PEOPLE_DN,
      usersFilter: FILTER,
      groupsBaseDn: GROUPS_DN,
      vendor: 'openldap',
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ missingUsers: 'disable', scheduleMinutes: null });
    connectionId = created.body.id;
  }, 120_000);
  afterAll(async () => {
    await h?.ctx.directorySync.idle();
    await h?.close();
    await slapd?.stop();
  });

  const person = (uid: string) => directory.people.find((p) => p.uid === uid) as Person;
  const userRow = (username: string) =>
    h.db
      .selectFrom('users')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('username', '=', username)
      .executeTakeFirstOrThrow();
  const syncedCount = async () =>
    Number(
      (
        await h.db
          .selectFrom('users')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('account_id', '=', accountId)
          .where('source', '=', NAME)
          .executeTakeFirstOrThrow()
      ).n,
    );
  const groupOf = (name: string) =>
    h.db
      .selectFrom('groups')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('name', '=', name)
      .executeTakeFirst();
  const membersOf = async (groupName: string) => {
    const group = await groupOf(groupName);
    if (!group) return [];
    const rows = await h.db
      .selectFrom('group_members as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select('u.username')
      .where('m.group_id', '=', group.id)
      .orderBy('u.username')
      .execute();
    return rows.map((r) => r.username);
  };

  /** Starts a sync and waits for it through the API, watching its progress. */
  async function sync(kind: 'full' | 'incremental' = 'full', id = connectionId, admin = owner) {
    const started = await admin.post(`/directory-connections/${id}/sync`, { kind });
    expect(started.status, started.text).toBe(202);
    expect(started.body.run).toMatchObject({ status: 'running', kind, preview: false });
    const runId = started.body.run.id;
    for (;;) {
      const run = await admin.get(`/directory-connections/${id}/runs/${runId}`);
      expect(run.status, run.text).toBe(200);
      expect(run.body.progress.done).toBeLessThanOrEqual(Math.max(run.body.progress.total, 0));
      if (run.body.status !== 'running') return run.body;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  // The generated directory: people with a uid, less the two sharing one and the local user's namesake.
  const LOCAL = 'taro.yamada';
  const synced = () => directory.people.filter((p) => p.uid !== null && p.uid !== 'kim.lee' && p.uid !== LOCAL);

  it('previews a full sync: what it would create, and errors naming each DN, writing nothing', async () => {
    // A local user holds one directory user's username: the sync must not take it over.
    await h.buildUser(owner, { username: LOCAL, firstName: 'Local' });
    const preview = await owner.post(`/directory-connections/${connectionId}/sync`, { kind: 'full', preview: true });
    expect(preview.status, preview.text).toBe(200);
    expect(preview.body.run).toMatchObject({ preview: true, status: 'succeeded' });
    expect(preview.body.users.create.total).toBe(synced().length);
    expect(preview.body.users.create.items).toHaveLength(1000);
    expect(preview.body.users.create.items.map((u: { username: string }) => u.username)).toContain('zoe.odegard');
    expect(preview.body.users.update.total + preview.body.users.disable.total).toBe(0);
    expect(preview.body.run.counts).toMatchObject({ created: synced().length, errors: 4, unchanged: 0 });
    const errors = preview.body.run.errors.map((e: { dn: string }) => e.dn).sort();
    const expected = directory.people
      .filter((p) => p.uid === null || p.uid === 'kim.lee' || p.uid === LOCAL)
      .map((p) => p.dn)
      .sort();
    expect(errors).toEqual(expected);
    const messages = preview.body.run.errors.map((e: { message: string }) => e.message).join('\n');
    expect(messages).toContain('has no uid');
    expect(messages).toContain('Another entry of the directory has the same uid "kim.lee"');
    expect(messages).toContain(`"${LOCAL}" is already used by a user not synced`);
    // Roots of the group tree, one subgroup, and two groups nested deeper flattened with a warning.
    expect(preview.body.groups.create.items.map((g: { name: string }) => g.name).sort()).toEqual(
      ['All agents', 'Support', 'Support Tier 1', 'Ventas España'].sort(),
    );
    expect(preview.body.run.warnings.map((w: { dn: string }) => w.dn).sort()).toEqual(
      directory.groups
        .filter((g) => g.cn === 'Support Tier 2 – Nuit' || g.cn === 'Nachtschicht Eskalation')
        .map((g) => g.dn)
        .sort(),
    );
    expect(await syncedCount()).toBe(0);
    expect(await groupOf('Support')).toBeUndefined();
    expect(preview.text).not.toContain(SERVICE_PASSWORD);
  }, 60_000);

  it('syncs every user and group with exact counts, the connection as source, memberships as the directory has them', async () => {
    // PostgreSQL: the users table is vacuumed and analyzed as the account doubles (past 1,000 users created here).
    h.ctx.directorySync.settleMinUsers = 1000;
    const settled = async () => {
      if (dialect !== 'postgres') return 0;
      const row = await sql<{
        n: number;
      }>`select vacuum_count as n from pg_stat_user_tables where relname = 'users'`.execute(h.db);
      return Number(row.rows[0]?.n ?? 0);
    };
    const settledBefore = await settled();
    const run = await sync();
    h.ctx.directorySync.settleMinUsers = 10_000;
    expect(run.status, run.message).toBe('succeeded');
    // Settled once 1,000 were created, then each time the account had doubled since: three times in 5,012.
    expect((await settled()) - settledBefore).toBe(dialect === 'postgres' ? 3 : 0);
    expect(run.counts).toEqual({
      created: synced().length,
      updated: 0,
      disabled: 0,
      enabled: 0,
      deleted: 0,
      unchanged: 0,
      skipped: 0,
      errors: 4,
      groupsCreated: 4,
      groupsUpdated: 0,
      groupsDeleted: 0,
      // Support 1, Support Tier 1 2 + 2 flattened, Ventas España 3, All agents 5,000.
      membershipsChanged: 5008,
    });
    expect(run.progress.done).toBe(run.progress.total);
    expect(await syncedCount()).toBe(synced().length);
    const zoe = await userRow('zoe.odegard');
    expect(zoe).toMatchObject({
      first_name: 'Zoë',
      last_name: 'Ødegård',
      email: 'zoe.odegard@example.org',
      department: 'Support',
      source: NAME,
      sync_enabled: 1,
      enabled: 1,
    });
    expect((await userRow('ana.garcia')).last_name).toBe('García, Jr.');
    expect((await userRow(LOCAL)).first_name).toBe('Local');
    // Three levels: the account, its groups, their subgroups; the fourth and fifth flattened into the third.
    const support = await groupOf('Support');
    const tier1 = await groupOf('Support Tier 1');
    expect(support).toMatchObject({ level: 2, parent_id: null });
    expect(tier1).toMatchObject({ level: 3, parent_id: support?.id });
    expect(await groupOf('Nachtschicht Eskalation')).toBeUndefined();
    expect(await membersOf('Support Tier 1')).toEqual(
      ['helene.lefevre', 'jiri.dvorak', 'juergen.mueller', 'lukasz.zolkiewski'].sort(),
    );
    expect((await membersOf('All agents')).length).toBe(5000);
    const audit = await h.db
      .selectFrom('audit_events')
      .select(['action', 'after_json'])
      .where('account_id', '=', accountId)
      .where('action', '=', 'directory.sync')
      .orderBy('id')
      .execute();
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0]?.after_json as string)).toMatchObject({ created: synced().length, errors: 4 });
    const perUser = await h.db
      .selectFrom('audit_events')
      .select('after_json')
      .where('account_id', '=', accountId)
      .where('action', '=', 'user.create')
      .orderBy('id')
      .execute();
    // One per synced user, saying where from.
    expect(perUser.filter((row) => JSON.parse(row.after_json as string).directory === NAME)).toHaveLength(
      synced().length,
    );
    const events = await h.db
      .selectFrom('events as e')
      .innerJoin('users as u', 'u.id', 'e.user_id')
      .select(['e.type', (eb) => eb.fn.countAll().as('n')])
      .where('e.account_id', '=', accountId)
      .where('u.source', '=', NAME)
      .groupBy('e.type')
      .orderBy('e.type')
      .execute();
    const byType = Object.fromEntries(events.map((e) => [e.type, Number(e.n)]));
    expect(byType).toEqual({ 'user.created': synced().length, 'team.membership_changed': 5008 });
    const history = await owner.get(`/directory-connections/${connectionId}/runs`);
    expect(history.body.items.map((r: { preview: boolean }) => r.preview)).toEqual([false, true]);
  }, 180_000);

  it("says on a synced user's answer which connection they follow; a local user follows none", async () => {
    const zoe = await userRow('zoe.odegard');
    const read = await owner.get(`/users/${zoe.id}`);
    expect(read.status, read.text).toBe(200);
    expect(read.body).toMatchObject({ source: NAME, syncEnabled: true, directory: { connectionId, name: NAME } });
    const teams = await owner.get(`/users/${zoe.id}/teams`);
    expect(teams.body.teams.map((t: { name: string }) => t.name)).toEqual(['Support']);
    const local = await owner.get(`/users/${(await userRow(LOCAL)).id}`);
    expect(local.body).toMatchObject({ source: 'local', directory: null });
    // Lists leave it out (one more join per row): the console reads it on the user's page.
    const list = await owner.get('/users?q=zoe.odegard');
    expect(list.body.items[0]).not.toHaveProperty('directory');
  });

  it('changes nothing when run again', async () => {
    const run = await sync();
    expect(run.counts).toMatchObject({
      created: 0,
      updated: 0,
      disabled: 0,
      enabled: 0,
      unchanged: synced().length,
      errors: 4,
      groupsCreated: 0,
      groupsUpdated: 0,
      membershipsChanged: 0,
    });
  }, 120_000);

  it('follows the directory: changed, gone, out of the filter and back; leaves users with sync off and local details alone', async () => {
    const zoe = await userRow('zoe.odegard');
    const helene = await userRow('helene.lefevre');
    const jose = await userRow('jose.nunez');
    // Local details of a synced user, and a manual change of a synced group membership.
    const patched = await owner.patch(`/users/${zoe.id}`, {
      agentId: 'A-7001',
      ringTo: '+1 555 7001',
      nicknames: ['Zo'],
    });
    expect(patched.status, patched.text).toBe(200);
    const support = (await groupOf('Support'))?.id as number;
    const ventas = (await groupOf('Ventas España'))?.id as number;
    await h.db.deleteFrom('group_members').where('group_id', '=', support).where('user_id', '=', zoe.id).execute();
    const joined = await owner.post('/users/bulk', {
      action: 'assign_team',
      groupId: ventas,
      selection: { ids: [zoe.id] },
    });
    expect(joined.status, joined.text).toBe(200);
    const off = await owner.post('/users/bulk', { action: 'disable_sync', selection: { ids: [jose.id] } });
    expect(off.status, off.text).toBe(200);
    // A session of Hélène's, to end when she is disabled.
    const at = new Date().toISOString();
    await h.db
      .insertInto('sessions')
      .values({
        id: `sync-test-${dialect}`,
        user_id: helene.id,
        account_id: accountId,
        csrf_token: 'x',
        created_at: at,
        expires_at: new Date(Date.now() + 3600_000).toISOString(),
        last_seen_at: at,
        ip: null,
        user_agent: null,
        pending_step: null,
      })
      .execute();

    await slapd.modify(person('juergen.mueller').dn, { sn: 'Müller-Lüdenscheidt', telephoneNumber: '+49 30 1234' });
    await slapd.modify(person('jose.nunez').dn, { mail: 'jose@elsewhere.example' });
    await slapd.modify(person('helene.lefevre').dn, { description: 'gone' });
    await slapd.remove(person('an.nguyen').dn);

    const run = await sync();
    expect(run.counts).toMatchObject({
      created: 0,
      updated: 1,
      disabled: 2,
      enabled: 0,
      skipped: 1,
      unchanged: synced().length - 4,
      errors: 4,
      // Zoë back in Support and out of Ventas España; Hélène left out (disabled users keep their teams).
      membershipsChanged: 2,
    });
    expect(await userRow('juergen.mueller')).toMatchObject({ last_name: 'Müller-Lüdenscheidt', phone: '+49 30 1234' });
    expect(await userRow('jose.nunez')).toMatchObject({ email: 'jose.nunez@example.org', sync_enabled: 0 });
    expect(await userRow('helene.lefevre')).toMatchObject({ enabled: 0 });
    expect(await userRow('an.nguyen')).toMatchObject({ enabled: 0 });
    expect(await h.db.selectFrom('sessions').select('id').where('user_id', '=', helene.id).execute()).toEqual([]);
    expect(await userRow('zoe.odegard')).toMatchObject({
      agent_id: 'A-7001',
      ring_to: '+1 555 7001',
      nicknames: '["Zo"]',
    });
    expect(await membersOf('Support')).toEqual(['zoe.odegard']);
    expect(await membersOf('Ventas España')).toEqual(['ana.garcia', 'cagri.isik', 'jose.nunez']);
    // One event for Zoë's two changes, naming the group joined and the group left; one audit entry per change.
    const zoeNow = await userRow('zoe.odegard');
    const zoeEvents = await h.db
      .selectFrom('events')
      .select('payload_json')
      .where('user_id', '=', zoeNow.id)
      .where('type', '=', 'team.membership_changed')
      .orderBy('id', 'desc')
      .execute();
    expect(JSON.parse(zoeEvents[0]?.payload_json as string).change).toEqual({
      joined: [{ id: expect.any(Number), path: expect.stringMatching(/Support$/) }],
      left: [{ id: expect.any(Number), path: expect.stringMatching(/Ventas España$/) }],
      directory: NAME,
    });
    const zoeAudit = await h.db
      .selectFrom('audit_events')
      .select(['action', 'after_json'])
      .where('target_type', '=', 'user')
      .where('target_id', '=', String(zoeNow.id))
      .where('action', 'in', ['user.team.assign', 'user.team.unassign'])
      .orderBy('id', 'desc')
      .limit(2)
      .execute();
    expect(zoeAudit.map((row) => [row.action, JSON.parse(row.after_json as string).directory]).sort()).toEqual([
      ['user.team.assign', NAME],
      ['user.team.unassign', NAME],
    ]);

    // Back in the filter: enabled again. An admin's own disabling is not undone by a sync.
    await slapd.modify(person('helene.lefevre').dn, { description: [] });
    const lukasz = await userRow('lukasz.zolkiewski');
    expect((await owner.patch(`/users/${lukasz.id}`, { enabled: false })).status).toBe(200);
    const back = await sync();
    expect(back.counts).toMatchObject({ enabled: 1, disabled: 0, updated: 0 });
    expect(await userRow('helene.lefevre')).toMatchObject({ enabled: 1 });
    expect(await userRow('lukasz.zolkiewski')).toMatchObject({ enabled: 0 });

    // Disabled by a sync, enabled by an admin, then disabled by the admin: that disabling is the admin's, and stays
    // when she is back in the directory.
    await slapd.modify(person('helene.lefevre').dn, { description: 'gone' });
    expect((await sync()).counts).toMatchObject({ disabled: 1 });
    const heleneId = (await userRow('helene.lefevre')).id;
    expect((await owner.patch(`/users/${heleneId}`, { enabled: true })).status).toBe(200);
    expect((await owner.patch(`/users/${heleneId}`, { enabled: false })).status).toBe(200);
    await slapd.modify(person('helene.lefevre').dn, { description: [] });
    expect((await sync()).counts).toMatchObject({ enabled: 0, disabled: 0 });
    expect(await userRow('helene.lefevre')).toMatchObject({ enabled: 0 });
    expect((await owner.patch(`/users/${heleneId}`, { enabled: true })).status).toBe(200);
  }, 180_000);

  it('syncs incrementally: only the entries changed since the last sync, and notices who is gone', async () => {
    await slapd.modify(person('cagri.isik').dn, { telephoneNumber: '+90 212 555 0000' });
    await slapd.remove(person('agent00001').dn);
    // Jürgen's entry renamed, and his group told so: his link follows his entry, and he stays in the group.
    const juergen = person('juergen.mueller');
    const tier1 = directory.groups.find((g) => g.cn === 'Support Tier 1') as { dn: string };
    const renamed = `cn=Jürgen Müller-Lüdenscheidt,${PEOPLE_DN}`;
    const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
    await slapd.ldapmodify(
      [
        `dn:: ${b64(juergen.dn)}\nchangetype: modrdn\nnewrdn:: ${b64('cn=Jürgen Müller-Lüdenscheidt')}\ndeleteoldrdn: 1\n`,
        `dn:: ${b64(tier1.dn)}\nchangetype: modify\ndelete: member\nmember:: ${b64(juergen.dn)}\n-\nadd: member\nmember:: ${b64(renamed)}\n-\n`,
      ].join('\n'),
    );
    const run = await sync('incremental');
    expect(run.status, run.message).toBe('succeeded');
    expect(run.counts).toMatchObject({ created: 0, updated: 1, disabled: 1, errors: 0, membershipsChanged: 0 });
    const link = await h.db
      .selectFrom('directory_user_links')
      .select('dn')
      .where('user_id', '=', (await userRow('juergen.mueller')).id)
      .executeTakeFirstOrThrow();
    expect(link.dn).toBe(renamed);
    expect(await membersOf('Support Tier 1')).toContain('juergen.mueller');
    // Far fewer entries than the directory's were read and planned.
    expect(run.counts.unchanged).toBeLessThan(100);
    expect(await userRow('cagri.isik')).toMatchObject({ phone: '+90 212 555 0000' });
    expect(await userRow('agent00001')).toMatchObject({ enabled: 0 });
    expect(await membersOf('All agents')).toHaveLength(5000);
    // Nothing changed since: an incremental sync finds nothing to do.
    const again = await sync('incremental');
    expect(again.counts).toMatchObject({ created: 0, updated: 0, disabled: 0, enabled: 0 });
  }, 120_000);

  it('runs one sync of a connection at a time, also when another process runs it', async () => {
    // As another process would have it: a run of the connection recorded as running.
    const at = h.clock.now().toISOString();
    const other = await h.db
      .insertInto('directory_sync_runs')
      .values({
        account_id: accountId,
        connection_id: connectionId,
        kind: 'full',
        status: 'running',
        started_by: null,
        started_at: at,
        heartbeat_at: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const refused = await owner.post(`/directory-connections/${connectionId}/sync`, { kind: 'full' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('SyncRunning');
    const preview = await owner.post(`/directory-connections/${connectionId}/sync`, { kind: 'full', preview: true });
    expect(preview.status).toBe(409);
    // A process that died leaves its run behind: ten minutes without a heartbeat, it is over.
    h.clock.advance(10 * 60_000 + 1000);
    const after = await owner.post(`/directory-connections/${connectionId}/sync`, { kind: 'full', preview: true });
    expect(after.status, after.text).toBe(200);
    expect((await owner.get(`/directory-connections/${connectionId}/runs/${other.id}`)).body).toMatchObject({
      status: 'failed',
      message: 'The process running this sync stopped before it finished',
    });
  });

  it('records a sync the directory drops midway as failed, and the next run finishes the job', async () => {
    // A proxy that passes the directory's first 300 KB on, then drops the connection.
    const proxy = await dropAfter(slapd.port, 300_000);
    const branch = (await h.newAccount()).owner;
    try {
      const created = await branch.post('/directory-connections', {
        name: 'Branch',
        url: `ldap://127.0.0.1:${proxy.port}`,
        startTls: false,
        bindDn: SERVICE_DN,
        bindPassword: SERVICE_PASSWORD,
        usersBaseDn: PEOPLE_DN,
        groupsBaseDn: GROUPS_DN,
        vendor: 'openldap',
        missingUsers: 'keep',
      });
      expect(created.status, created.text).toBe(201);
      const id = created.body.id;
      const failed = await sync('full', id, branch);
      expect(failed.status).toBe('failed');
      expect(failed.message).toMatch(/connection to the directory ended|stopped answering/);
      expect(failed.counts.created).toBe(0);
      const moved = await branch.patch(`/directory-connections/${id}`, {
        url: slapd.url,
        bindPassword: SERVICE_PASSWORD,
      });
      expect(moved.status, moved.text).toBe(200);
      const next = await sync('full', id, branch);
      expect(next.status, next.message).toBe('succeeded');
      // Everyone with a username of their own, less the two entries removed from the directory above.
      expect(next.counts.created).toBe(directory.people.filter((p) => p.uid && p.uid !== 'kim.lee').length - 2);
      expect(next.counts.errors).toBe(3);
      const runs = await branch.get(`/directory-connections/${id}/runs`);
      expect(runs.body.items.map((r: { status: string }) => r.status)).toEqual(['succeeded', 'failed']);
    } finally {
      await proxy.close();
    }
  }, 120_000);

  it('starts scheduled syncs when they are due: incremental after a recent full one, as the schedule', async () => {
    const scheduled = await owner.patch(`/directory-connections/${connectionId}`, { scheduleMinutes: 5 });
    expect(scheduled.status, scheduled.text).toBe(200);
    expect(scheduled.body.scheduleMinutes).toBe(5);
    // The last real run started over 5 minutes ago (by the test clock): due.
    const started = await h.ctx.directorySync.startDue();
    expect(started).toHaveLength(1);
    await h.ctx.directorySync.idle();
    const run = await owner.get(`/directory-connections/${connectionId}/runs/${started[0]}`);
    expect(run.body).toMatchObject({ kind: 'incremental', status: 'succeeded', startedBy: null });
    // Not again until 5 minutes after it started.
    h.clock.advance(4 * 60_000);
    expect(await h.ctx.directorySync.startDue()).toEqual([]);
    h.clock.advance(60_000);
    expect(await h.ctx.directorySync.startDue()).toHaveLength(1);
    await h.ctx.directorySync.idle();
    const audit = await h.db
      .selectFrom('audit_events')
      .select(['actor_user_id', 'target_id'])
      .where('account_id', '=', accountId)
      .where('action', '=', 'directory.sync')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(audit).toEqual({ actor_user_id: null, target_id: String(connectionId) });
    expect((await owner.patch(`/directory-connections/${connectionId}`, { scheduleMinutes: null })).status).toBe(200);
    h.clock.advance(60 * 60_000);
    expect(await h.ctx.directorySync.startDue()).toEqual([]);
  }, 60_000);

  it('ends a sync between two batches when the process stops; the next run finishes the job', async () => {
    const other = await h.newAccount();
    const created = await other.owner.post('/directory-connections', {
      name: 'Stopped',
      url: slapd.url,
      caCertificate: slapd.certificate,
      bindDn: SERVICE_DN,
      bindPassword: SERVICE_PASSWORD,
      usersBaseDn: PEOPLE_DN,
      groupsBaseDn: GROUPS_DN,
      vendor: 'openldap',
    });
    const id = created.body.id;
    const started = await other.owner.post(`/directory-connections/${id}/sync`, { kind: 'full' });
    const runId = started.body.run.id;
    // Stopped once the first batch of users is written.
    for (;;) {
      const run = await h.db
        .selectFrom('directory_sync_runs')
        .select(['created', 'status'])
        .where('id', '=', runId)
        .executeTakeFirstOrThrow();
      if (run.created > 0 || run.status !== 'running') break;
      await new Promise((r) => setTimeout(r, 1));
    }
    await h.ctx.directorySync.stop();
    const stopped = (await other.owner.get(`/directory-connections/${id}/runs/${runId}`)).body;
    expect(stopped).toMatchObject({
      status: 'failed',
      message: 'Roster stopped during the sync: the next run finishes the job',
    });
    // Everyone with a username of their own, less the two entries removed from the directory above.
    const everyone = directory.people.filter((p) => p.uid && p.uid !== 'kim.lee').length - 2;
    expect(stopped.counts.created).toBeGreaterThan(0);
    expect(stopped.counts.created).toBeLessThan(everyone);
    expect(stopped.counts.created % userBatch(dialect)).toBe(0);
    const next = await sync('full', id, other.owner);
    expect(next.status, next.message).toBe('succeeded');
    expect(next.counts.created).toBe(everyone - stopped.counts.created);
    expect((await other.owner.get('/users?limit=1')).status).toBe(200);
  }, 120_000);

  it('fails a sync the directory refuses, saying why: a wrong bind password, a base DN that does not exist', async () => {
    const wrong = await owner.post('/directory-connections', {
      name: 'Wrong password',
      url: slapd.url,
      caCertificate: slapd.certificate,
      bindDn: SERVICE_DN,
      bindPassword: 'Wrong-pass-1',
      usersBaseDn: PEOPLE_DN,
      groupsBaseDn: GROUPS_DN,
      vendor: 'openldap',
    });
    const preview = await owner.post(`/directory-connections/${wrong.body.id}/sync`, { kind: 'full', preview: true });
    expect(preview.status).toBe(409);
    expect(preview.body.error).toMatchObject({
      code: 'SyncFailed',
      message: 'The directory refused the bind DN or password (invalid credentials)',
    });
    const failed = await sync('full', wrong.body.id);
    expect(failed).toMatchObject({ status: 'failed', message: expect.stringContaining('invalid credentials') });
    const audit = await h.db
      .selectFrom('audit_events')
      .select('after_json')
      .where('action', '=', 'directory.sync')
      .where('target_id', '=', String(wrong.body.id))
      .orderBy('id')
      .execute();
    expect(audit.map((a) => JSON.parse(a.after_json as string).status)).toEqual(['failed']);
    expect(JSON.stringify(audit)).not.toContain('Wrong-pass-1');

    const nowhere = await owner.post('/directory-connections', {
      name: 'Nowhere',
      url: slapd.url,
      caCertificate: slapd.certificate,
      bindDn: SERVICE_DN,
      bindPassword: SERVICE_PASSWORD,
      usersBaseDn: `ou=Gäste,${PEOPLE_DN}`,
      groupsBaseDn: GROUPS_DN,
      vendor: 'openldap',
    });
    const missing = await sync('full', nowhere.body.id);
    expect(missing).toMatchObject({ status: 'failed', message: `The directory has no entry ou=Gäste,${PEOPLE_DN}` });
  });

  it('answers bad input with 400s and unknown ids with 404s, never a 5xx', async () => {
    for (const body of [{ kind: 'partial' }, { kind: 'full', preview: 'yes' }, { kind: 'full', extra: 1 }, []]) {
      const reply = await owner.post(`/directory-connections/${connectionId}/sync`, body);
      expect(reply.status, JSON.stringify(body)).toBe(400);
    }
    expect((await owner.post('/directory-connections/999999/sync', { kind: 'full' })).status).toBe(404);
    expect((await owner.get(`/directory-connections/${connectionId}/runs/999999`)).status).toBe(404);
    expect((await owner.get(`/directory-connections/${connectionId}/runs/abc`)).status).toBe(400);
    const bad = await owner.patch(`/directory-connections/${connectionId}`, {
      missingUsers: 'explode',
      scheduleMinutes: 1,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.map((f: { path: string }) => f.path).sort()).toEqual([
      'missingUsers',
      'scheduleMinutes',
    ]);
  });

  it('is for admins who manage every user only', async () => {
    const slug = (await accountSlug()) as string;
    await owner.post('/departments', { name: 'Sales' });
    const profile = (
      await owner.post('/profiles', { name: 'Sales only', modules: { users: { access: 'some', items: ['Sales'] } } })
    ).body;
    const standard = await h.buildUser(owner, { password: PASSWORD, accessType: 'standard' });
    // An admin who manages some departments only: a sync changes users of every department.
    const limited = await h.buildUser(owner, {
      password: PASSWORD,
      accessType: 'admin',
      department: 'Sales',
      profileId: profile.id,
    });
    const runs = await owner.get(`/directory-connections/${connectionId}/runs`);
    const runId = runs.body.items[0].id;
    expect((await owner.get('/session')).body.abilities.manageDirectories).toBe(true);
    for (const user of [standard, limited]) {
      const session = await h.signIn(slug, user.username, PASSWORD);
      expect((await session.get('/session')).body.abilities.manageDirectories).toBe(false);
      for (const [method, path, body] of [
        ['POST', `/directory-connections/${connectionId}/sync`, { kind: 'full' }],
        ['POST', `/directory-connections/${connectionId}/sync`, { kind: 'full', preview: true }],
        ['GET', `/directory-connections/${connectionId}/runs`, undefined],
        ['GET', `/directory-connections/${connectionId}/runs/${runId}`, undefined],
      ] as const) {
        expect((await session.request(method, path, body)).status, `${user.username} ${method} ${path}`).toBe(403);
      }
    }
    const running = await h.db.selectFrom('directory_sync_runs').select('id').where('status', '=', 'running').execute();
    expect(running).toEqual([]);
    // Another account's admin does not see the connection at all.
    const other = await h.newAccount();
    expect((await other.owner.get(`/directory-connections/${connectionId}/runs`)).status).toBe(404);
    expect((await other.owner.post(`/directory-connections/${connectionId}/sync`, { kind: 'full' })).status).toBe(404);
  });

  it('signs synced users in with their directory password, with the lockout of local passwords, and never sets a Roster one', async () => {
    const slug = (await accountSlug()) as string;
    const password = (uid: string) => `Person-pass-${uid}`;
    const signIn = (username: string, secret: string) =>
      h.raw('POST', '/auth/sign-in', { account: slug, username, password: secret });
    // Off by default: a synced user has no Roster password to sign in with.
    expect((await signIn('zoe.odegard', password('zoe.odegard'))).status).toBe(401);
    const on = await owner.patch(`/directory-connections/${connectionId}`, { passwordSignIn: true });
    expect(on.body.passwordSignIn).toBe(true);
    // The directory's password opens a session (h.signIn fails on anything but a 200).
    const zoe = await h.signIn(slug, 'zoe.odegard', password('zoe.odegard'));
    const change = await zoe.post('/auth/change-password', {
      currentPassword: password('zoe.odegard'),
      newPassword: 'Another-pass-2026!',
    });
    expect(change.status, change.text).toBe(409);
    expect(change.body.error.code).toBe('DirectoryPassword');
    const zoeRow = await userRow('zoe.odegard');
    const reset = await owner.request('PUT', `/users/${zoeRow.id}/password`, { password: 'Another-pass-2026!' });
    expect(reset.status, reset.text).toBe(409);
    expect(reset.body.error.code).toBe('DirectoryPassword');
    // Wrong passwords count as local ones do, and lock the user; then even the right one is refused.
    for (let i = 0; i < 4; i++) expect((await signIn('jiri.dvorak', 'Wrong-pass-1')).status).toBe(401);
    expect((await userRow('jiri.dvorak')).failed_sign_ins).toBe(4);
    expect((await signIn('jiri.dvorak', '')).status).toBe(400);
    expect((await signIn('jiri.dvorak', 'Wrong-pass-1')).body.error.code).toBe('UserLocked');
    expect((await signIn('jiri.dvorak', password('jiri.dvorak'))).body.error.code).toBe('UserLocked');
    // A disabled synced user (gone from the directory) cannot sign in, whatever the directory says.
    expect((await signIn('an.nguyen', password('an.nguyen'))).status).not.toBe(200);
    await owner.patch(`/directory-connections/${connectionId}`, { passwordSignIn: false });
  });

  it("clears Update Password when the directory accepts a synced user's password, and says where to change one it wants changed", async () => {
    const slug = (await accountSlug()) as string;
    const signIn = (username: string, secret: string) =>
      h.raw('POST', '/auth/sign-in', { account: slug, username, password: secret });
    await owner.patch(`/directory-connections/${connectionId}`, { passwordSignIn: true });
    try {
      // Update Password from a sync (pwdLastSet 0) is done with once the directory accepts the password: only Active
      // Directory's own change could have made it accept one.
      const zoe = await userRow('zoe.odegard');
      await h.db
        .updateTable('users')
        .set({ required_actions: '["update_password"]' })
        .where('id', '=', zoe.id)
        .execute();
      const accepted = await signIn('zoe.odegard', 'Person-pass-zoe.odegard');
      expect(accepted.status, accepted.text).toBe(200);
      expect(JSON.parse((await userRow('zoe.odegard')).required_actions)).toEqual([]);
      const cleared = await h.db
        .selectFrom('audit_events')
        .select('action')
        .where('target_id', '=', String(zoe.id))
        .where('action', '=', 'auth.directory_password_accepted')
        .execute();
      expect(cleared).toHaveLength(1);

      // Active Directory answers a right password that must be changed with invalidCredentials and "data 773".
      const ad = await startMustChangeDirectory(
        '80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 773, v4563',
      );
      const saved = await h.db
        .selectFrom('directory_connections')
        .select(['url', 'start_tls'])
        .where('id', '=', connectionId)
        .executeTakeFirstOrThrow();
      await h.db
        .updateTable('directory_connections')
        .set({ url: ad.url, start_tls: 0 })
        .where('id', '=', connectionId)
        .execute();
      try {
        const refused = await signIn('cagri.isik', 'Person-pass-cagri.isik');
        expect(refused.status, refused.text).toBe(403);
        expect(refused.body.error.code).toBe('DirectoryPasswordChange');
        expect(refused.body.error.message).toContain(NAME);
        // The password was right: no failed sign-in is counted.
        expect((await userRow('cagri.isik')).failed_sign_ins).toBe(0);
      } finally {
        await h.db.updateTable('directory_connections').set(saved).where('id', '=', connectionId).execute();
        await ad.close();
      }
    } finally {
      await owner.patch(`/directory-connections/${connectionId}`, { passwordSignIn: false });
    }
  });

  it('creates groups new to the directory and deletes those gone from it', async () => {
    const ventas = directory.groups.find((g) => g.cn === 'Ventas España') as { dn: string };
    await slapd.remove(ventas.dn);
    await slapd.add(`cn=Nuevo Equipo,${GROUPS_DN}`, {
      objectClass: ['top', 'groupOfNames'],
      cn: 'Nuevo Equipo',
      member: [person('cagri.isik').dn],
    });
    const run = await sync();
    // Cağrı joins the new group; the gone one goes with its members (José's, whose sync is off, too).
    expect(run.counts).toMatchObject({ groupsCreated: 1, groupsDeleted: 1, groupsUpdated: 0, membershipsChanged: 1 });
    expect(await groupOf('Ventas España')).toBeUndefined();
    expect(await groupOf('Nuevo Equipo')).toMatchObject({ level: 2, parent_id: null });
    expect(await membersOf('Nuevo Equipo')).toEqual(['cagri.isik']);
    // Deleted and made again in the directory (a new entryUUID, the same name): the group is made again.
    await slapd.remove(`cn=Nuevo Equipo,${GROUPS_DN}`);
    await slapd.add(`cn=Nuevo Equipo,${GROUPS_DN}`, {
      objectClass: ['top', 'groupOfNames'],
      cn: 'Nuevo Equipo',
      member: [person('cagri.isik').dn, person('ana.garcia').dn],
    });
    const again = await sync();
    expect(again.status, again.message).toBe('succeeded');
    expect(again.counts).toMatchObject({ groupsCreated: 1, groupsDeleted: 1, membershipsChanged: 2 });
    expect(await membersOf('Nuevo Equipo')).toEqual(['ana.garcia', 'cagri.isik']);

    // A directory group named as a local group (the groups service's folding: case and accents, ß kept) is an error
    // naming its DN; the two never stand side by side.
    expect((await owner.post('/groups', { name: 'Straße Süd' })).status).toBe(201);
    await slapd.add(`cn=STRASSE SUD,${GROUPS_DN}`, {
      objectClass: ['top', 'groupOfNames'],
      cn: 'Straße Sud',
      member: [person('cagri.isik').dn],
    });
    const clash = await sync();
    expect(clash.counts).toMatchObject({ groupsCreated: 0 });
    expect(clash.errors).toContainEqual({
      dn: `cn=STRASSE SUD,${GROUPS_DN}`,
      message: 'Another group of the account is already called Straße Sud',
    });
    const named = await h.db
      .selectFrom('groups')
      .select('name')
      .where('account_id', '=', accountId)
      .where('name', 'like', 'Stra%')
      .execute();
    expect(named.map((g) => g.name)).toEqual(['Straße Süd']);
    await slapd.remove(`cn=STRASSE SUD,${GROUPS_DN}`);
  }, 60_000);

  it('keeps or deletes users gone from the directory when the connection says so', async () => {
    expect((await owner.patch(`/directory-connections/${connectionId}`, { missingUsers: 'keep' })).status).toBe(200);
    await slapd.remove(person('thorunn.gudmundsdottir').dn);
    const kept = await sync();
    expect(kept.counts).toMatchObject({ disabled: 0, deleted: 0, errors: 4 });
    expect(await userRow('thorunn.gudmundsdottir')).toMatchObject({ enabled: 1 });

    expect((await owner.patch(`/directory-connections/${connectionId}`, { missingUsers: 'delete' })).status).toBe(200);
    const gone = ['thorunn.gudmundsdottir', 'an.nguyen', 'agent00001'];
    const ids = await Promise.all(gone.map(async (username) => (await userRow(username)).id));
    const deleted = await sync();
    expect(deleted.counts).toMatchObject({ deleted: 3, disabled: 0, created: 0 });
    const left = await h.db.selectFrom('users').select('id').where('id', 'in', ids).execute();
    expect(left).toEqual([]);
    const events = await h.db
      .selectFrom('events')
      .select('user_id')
      .where('type', '=', 'user.deleted')
      .where('user_id', 'in', ids)
      .orderBy('id')
      .execute();
    expect(events).toHaveLength(3);
    await owner.patch(`/directory-connections/${connectionId}`, { missingUsers: 'disable' });
  }, 60_000);

  it('is not for an admin limited by a profile, even one who manages every user: a sync reaches admins too', async () => {
    const slug = (await accountSlug()) as string;
    // A synced user the owner made an admin without limits.
    const target = await h.db
      .selectFrom('users')
      .select(['id', 'username'])
      .where('account_id', '=', accountId)
      .where('source', '=', NAME)
      .where('enabled', '=', 1)
      .where('sync_enabled', '=', 1)
      .orderBy('id')
      .executeTakeFirstOrThrow();
    const promoted = await owner.patch(`/users/${target.id}`, { accessType: 'admin' });
    expect(promoted.status, promoted.text).toBe(200);
    const everyUser = await owner.post('/profiles', {
      name: 'Every user, few profiles',
      modules: { users: { access: 'all' }, profiles: { access: 'none' } },
    });
    expect(everyUser.status, everyUser.text).toBe(201);
    const limited = await h.buildUser(owner, { password: PASSWORD, accessType: 'admin', profileId: everyUser.body.id });
    const session = await h.signIn(slug, limited.username, PASSWORD);
    // The limited admin may not disable that admin, nor change their details.
    expect((await session.patch(`/users/${target.id}`, { enabled: false })).status).toBe(403);
    expect((await session.get('/session')).body.abilities.manageDirectories).toBe(false);
    // Nor do it through the connection: a filter that leaves the admin out would disable them at the next sync, and
    // a URL of the limited admin's own directory would let them sign in as the admin with a password of their own.
    const runs = await owner.get(`/directory-connections/${connectionId}/runs`);
    for (const [method, path, body] of [
      ['GET', '/directory-connections', undefined],
      [
        'POST',
        '/directory-connections',
        {
          name: 'Mine',
          url: slapd.url,
          bindDn: SERVICE_DN,
          bindPassword: SERVICE_PASSWORD,
          usersBaseDn: PEOPLE_DN,
          groupsBaseDn: GROUPS_DN,
          vendor: 'openldap',
        },
      ],
      ['GET', `/directory-connections/${connectionId}`, undefined],
      [
        'PATCH',
        `/directory-connections/${connectionId}`,
        { usersFilter: `(&${FILTER}(!(uid=${target.username})))`, passwordSignIn: true },
      ],
      ['POST', `/directory-connections/${connectionId}/test`, undefined],
      ['POST', `/directory-connections/${connectionId}/sync`, { kind: 'full' }],
      ['GET', `/directory-connections/${connectionId}/runs`, undefined],
      ['GET', `/directory-connections/${connectionId}/runs/${runs.body.items[0].id}`, undefined],
      ['DELETE', `/directory-connections/${connectionId}`, undefined],
    ] as const) {
      const reply = await session.request(method, path, body);
      expect(reply.status, `${method} ${path}`).toBe(403);
    }
    await h.ctx.directorySync.idle();
    const connection = (await owner.get(`/directory-connections/${connectionId}`)).body;
    expect(connection).toMatchObject({ usersFilter: FILTER, passwordSignIn: false });
    expect(await userRow(target.username)).toMatchObject({ enabled: 1, access_type: 'admin' });
    expect((await owner.patch(`/users/${target.id}`, { accessType: 'standard' })).status).toBe(200);
  }, 60_000);

  it("costs a directory user's sign-in one argon2id check, as every other attempt, so the time tells no one apart", async () => {
    const slug = (await accountSlug()) as string;
    const users = await h.db
      .selectFrom('users')
      .select(['username'])
      .where('account_id', '=', accountId)
      .where('source', '=', NAME)
      .where('enabled', '=', 1)
      .where('sync_enabled', '=', 1)
      .where('failed_sign_ins', '=', 0)
      .orderBy('id')
      .limit(2)
      .execute();
    const [right, locked] = users.map((u) => u.username) as [string, string];
    const on = await owner.patch(`/directory-connections/${connectionId}`, { passwordSignIn: true });
    expect(on.status, on.text).toBe(200);
    try {
      const signIn = (username: string, secret: string) =>
        h.raw('POST', '/auth/sign-in', { account: slug, username, password: secret });
      for (let i = 0; i < 5; i++) await signIn(locked, 'Wrong-pass-1');
      const attempts: [string, string, number][] = [
        [right, 'Wrong-pass-1', 401],
        [right, `Person-pass-${right}`, 200],
        [locked, `Person-pass-${locked}`, 403],
        ['nobody.at.all', 'Wrong-pass-1', 401],
      ];
      for (const [username, secret, status] of attempts) {
        const before = argon2Checks.count;
        const reply = await signIn(username, secret);
        expect(reply.status, `${username} ${reply.text}`).toBe(status);
        expect(argon2Checks.count - before, `${username} ${secret}`).toBe(1);
      }
    } finally {
      await owner.patch(`/directory-connections/${connectionId}`, { passwordSignIn: false });
    }
  });

  async function accountSlug() {
    return (await h.db.selectFrom('accounts').select('slug').where('id', '=', accountId).executeTakeFirstOrThrow())
      .slug;
  }
});

describe('roster sync (command line)', () => {
  let h: Harness;
  let slapd: TestSlapd;
  let directory: Directory;
  let slug: string;
  let accountId: number;
  const run = promisify(execFile);
  const roster = (...args: string[]) =>
    run('node', ['bin/roster.js', 'sync', ...args, '--account', slug, '--db', h.ctx.config.databaseUrl]);

  beforeAll(async () => {
    directory = generateDirectory({ bulk: 40 });
    slapd = await startSlapd(directory.ldif);
    h = await createHarness('sqlite', { directoryTimeoutMs: 3000 });
    const account = await h.newAccount();
    slug = account.slug;
    accountId = account.accountId;
    const created = await account.owner.post('/directory-connections', {
      name: 'Zentrale München',
      url: slapd.tlsUrl,
      caCertificate: slapd.certificate,
      bindDn: SERVICE_DN,
      bindPassword: SERVICE_PASSWORD,
      usersBaseDn: PEOPLE_DN,
      groupsBaseDn: GROUPS_DN,
      vendor: 'openldap',
    });
    expect(created.status, created.text).toBe(201);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    await slapd?.stop();
  });

  const users = async () =>
    (
      await h.db
        .selectFrom('users')
        .select('username')
        .where('account_id', '=', accountId)
        .where('source', '=', 'Zentrale München')
        .execute()
    ).length;

  it('previews, syncs with progress and counts, syncs incrementally, and names a connection it does not know', async () => {
    const expected = directory.people.filter((p) => p.uid && p.uid !== 'kim.lee').length;
    const preview = await roster('zentrale münchen', '--preview');
    expect(preview.stdout).toContain('Preview: nothing was written.');
    expect(preview.stdout).toContain(`Users to create: ${expected}`);
    expect(preview.stdout).toContain('Groups to create: 4');
    expect(await users()).toBe(0);

    const full = await roster('Zentrale München');
    expect(full.stderr).toContain('100%');
    expect(full.stdout).toContain(`Users: ${expected} created, 0 updated`);
    expect(full.stdout).toContain('3 errors');
    expect(full.stdout).toContain(`error: ${directory.people.find((p) => p.uid === null)?.dn}`);
    expect(await users()).toBe(expected);

    await slapd.modify((directory.people.find((p) => p.uid === 'jiri.dvorak') as Person).dn, { sn: 'Dvořáková' });
    const incremental = await roster('Zentrale München', '--incremental');
    expect(incremental.stdout).toContain('Users: 0 created, 1 updated');

    await expect(roster('Nowhere')).rejects.toMatchObject({
      stderr: expect.stringContaining('No directory connection "Nowhere"'),
    });
  }, 120_000);
});

/** A TCP proxy to the port that drops each connection once `limit` bytes came back from the server. */
async function dropAfter(port: number, limit: number): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((client) => {
    const upstream = tcpConnect({ host: '127.0.0.1', port });
    let passed = 0;
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => {
      passed += chunk.length;
      if (passed > limit) {
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
