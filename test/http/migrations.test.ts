import { type Kysely, sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../../server/db/dialect.js';
import { type DatabaseHandle, migrateDown, migrateToLatest, migrateUp, openDatabase } from '../../server/db/index.js';
import { migrations } from '../../server/db/migrations/index.js';
import { searchDocument } from '../../server/services/user-presenter.js';
import { createEmptyDatabase, DIALECTS } from '../support/databases.js';
import { type SchemaSnapshot, schemaSnapshot } from '../support/schema.js';

const NAMES = Object.keys(migrations);

// biome-ignore lint/suspicious/noExplicitAny: the data is written against each step's schema, not today's.
type AnyDb = Kysely<any>;

/** A user with the columns the first migration gives users (every later one keeps them, with defaults for the rest). */
function user(accountId: number, username: string, fields: Record<string, string> = {}) {
  const at = new Date().toISOString();
  return {
    account_id: accountId,
    username,
    access_type: 'agent',
    auth_method: 'password',
    email: '',
    first_name: '',
    last_name: '',
    department: '',
    created_at: at,
    updated_at: at,
    ...fields,
  };
}

/**
 * Data written after a migration ran, as the application of that step would have: users after every step (so every
 * version of the triggers sees a write), and the cases later migrations rewrite (departments that differ by case
 * only, a shared Agent ID, names with letters the search folds differently).
 */
async function seed(db: AnyDb, name: string, step: number): Promise<void> {
  if (name === '0001-directory') {
    const at = new Date().toISOString();
    await db.insertInto('accounts').values({ slug: 'migrated', name: 'Migrated', created_at: at }).execute();
    await db
      .insertInto('users')
      .values([
        user(1, 'straße', { first_name: 'Jörg', last_name: 'Straße', department: 'Ventas', email: 'j@example.com' }),
        user(1, 'oeystein', { first_name: 'Øystein', last_name: 'Ødegård', department: 'ventas' }),
        user(1, 'alvarez', { first_name: 'Ana', last_name: 'Álvarez', department: 'Soporte', email: 'A@Example.com' }),
      ])
      .execute();
    await db
      .insertInto('audit_events')
      .values({ account_id: 1, at, actor_username: 'roster', action: 'account.create' })
      .execute();
  }
  if (name === '0004-organization') {
    await db.updateTable('users').set({ agent_id: 'A1' }).where('username', 'in', ['straße', 'oeystein']).execute();
  }
  await db
    .insertInto('users')
    .values([user(1, `step${step}a`, { last_name: `Step ${step}` }), user(1, `step${step}b`, { department: 'Ventas' })])
    .execute();
}

/** Migrates an empty database one migration at a time, seeding data after each; returns the schema before each. */
async function migrateStepByStep(handle: DatabaseHandle): Promise<SchemaSnapshot[]> {
  const schemas = [await schemaSnapshot(handle)];
  for (const [i, name] of NAMES.entries()) {
    expect(await migrateUp(handle)).toBe(name);
    await seed(handle.db, name, i + 1);
    schemas.push(await schemaSnapshot(handle));
  }
  expect(await migrateUp(handle)).toBeNull();
  return schemas;
}

/** The search documents of the three users the first step seeds, by username. */
async function seededDocuments(handle: DatabaseHandle) {
  const rows = await handle.db
    .selectFrom('users')
    .selectAll()
    .where('username', 'in', ['straße', 'oeystein', 'alvarez'])
    .orderBy('username')
    .execute();
  return rows.map((row) => ({
    username: row.username,
    id: row.id,
    stored: row.search_doc,
    written: searchDocument(row),
  }));
}

async function users(handle: DatabaseHandle): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*) as n from users`.execute(handle.db);
  return Number(rows[0]?.n);
}

describe.each(DIALECTS)('migrations (%s)', (dialect: Dialect) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  /** The schema of a database created fresh: every migration in one go, as a new installation runs them. */
  async function freshSchema(): Promise<SchemaSnapshot> {
    const fresh = await createEmptyDatabase(dialect);
    cleanups.push(fresh.drop);
    const handle = openDatabase(fresh.url);
    try {
      expect(await migrateToLatest(handle)).toEqual(NAMES);
      expect(await migrateToLatest(handle)).toEqual([]);
      const schema = await schemaSnapshot(handle);
      // The snapshot holds what the comparisons are about: full-text shadow tables, indexes, triggers, functions.
      if (dialect === 'sqlite') {
        expect(schema.table).toEqual(
          expect.arrayContaining([expect.stringMatching(/^users_fts_data\.users_fts_data: /)]),
        );
        expect(schema.trigger).toEqual(expect.arrayContaining([expect.stringMatching(/^users\./)]));
      } else {
        expect(schema.indexes).toEqual(expect.arrayContaining([expect.stringContaining('gin_trgm_ops')]));
        expect(schema.triggers).toEqual(expect.arrayContaining([expect.stringMatching(/^users\./)]));
        expect(schema.functions?.length).toBeGreaterThan(3);
      }
      return schema;
    } finally {
      await handle.close();
    }
  }

  it('gives a database migrated one step at a time, with data between the steps, the schema of a fresh one', {
    timeout: 120_000,
  }, async () => {
    const expected = await freshSchema();
    const upgraded = await createEmptyDatabase(dialect);
    cleanups.push(upgraded.drop);
    const handle = openDatabase(upgraded.url);
    try {
      await migrateStepByStep(handle);
      expect(await users(handle)).toBe(3 + 2 * NAMES.length);
      // The migrations that rewrite data found theirs: a shared Agent ID stays with its first user (0010), and of two
      // departments that differ by case only, the later keeps a key of its own.
      const agents = await handle.db
        .selectFrom('users')
        .select('agent_id')
        .where('username', 'in', ['straße', 'oeystein'])
        .orderBy('id')
        .execute();
      expect(agents.map((user) => user.agent_id)).toEqual(['A1', '']);
      const keys = await handle.db
        .selectFrom('departments')
        .select('name_key')
        .where('name', 'in', ['Ventas', 'ventas'])
        .execute();
      expect(keys.map((d) => d.name_key.replace(/#\d+$/, '#')).sort()).toEqual(['ventas', 'ventas#']);
      // 0027 wrote the search documents again as the code writes them (every word after a space), and SQLite's
      // full-text index followed: two letters at a word start are the trigram " od".
      const documents = await seededDocuments(handle);
      expect(documents.map((d) => d.stored)).toEqual(documents.map((d) => d.written));
      expect(documents.find((d) => d.username === 'oeystein')?.stored).toContain(' odegard\n');
      if (dialect === 'sqlite') {
        const { rows } = await sql<{ id: number }>`select rowid - 4294967296 as id from users_fts
          where users_fts match '" od"'`.execute(handle.db);
        expect(rows.map((row) => row.id)).toEqual([documents.find((d) => d.username === 'oeystein')?.id]);
      }
      expect(await schemaSnapshot(handle)).toEqual(expected);
    } finally {
      await handle.close();
    }
  });

  it('leaves nothing of a migration that fails midway, and runs it whole the next time', {
    timeout: 120_000,
  }, async () => {
    const expected = await freshSchema();
    const broken = await createEmptyDatabase(dialect);
    cleanups.push(broken.drop);
    const handle = openDatabase(broken.url);
    const failing = '0017-email-index';
    try {
      for (const [i, name] of NAMES.entries()) {
        if (name === failing) break;
        await migrateUp(handle);
        await seed(handle.db, name, i + 1);
      }
      // Something already holds a name the migration gives its last object, after its backfill of every address.
      const squatter =
        dialect === 'sqlite'
          ? sql`create trigger users_after_update_email after update on accounts begin select 1; end`
          : sql`create function user_emails_sync() returns trigger language plpgsql as $$ begin return null; end $$`;
      await squatter.execute(handle.db);
      const before = await schemaSnapshot(handle);
      await expect(migrateToLatest(handle)).rejects.toThrow();
      expect(await schemaSnapshot(handle)).toEqual(before);
      const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(handle.db);
      expect(rows.map((r) => r.name)).toEqual(NAMES.slice(0, NAMES.indexOf(failing)));
      const drop =
        dialect === 'sqlite' ? sql`drop trigger users_after_update_email` : sql`drop function user_emails_sync()`;
      await drop.execute(handle.db);
      expect(await migrateToLatest(handle)).toEqual(NAMES.slice(NAMES.indexOf(failing)));
      expect(await schemaSnapshot(handle)).toEqual(expected);
    } finally {
      await handle.close();
    }
  });

  it("takes each migration's down back to the schema before it, with data in it, and up again to the fresh schema", {
    timeout: 120_000,
  }, async () => {
    const expected = await freshSchema();
    const cycled = await createEmptyDatabase(dialect);
    cleanups.push(cycled.drop);
    const handle = openDatabase(cycled.url);
    try {
      const before = await migrateStepByStep(handle);
      for (let i = NAMES.length - 1; i >= 0; i--) {
        expect(await migrateDown(handle)).toBe(NAMES[i]);
        const schema = await schemaSnapshot(handle);
        // The first migration creates pg_trgm if the database lacks it (one may have it before Roster does), and its
        // down leaves it: the extension may be the database's own.
        if (i === 0 && schema.extensions)
          schema.extensions = schema.extensions.filter((e) => !e.startsWith('pg_trgm '));
        expect(schema, `the schema after ${NAMES[i]}'s down`).toEqual(before[i]);
        // Down wrote the documents as before: no leading space, other letters than a-z after one.
        if (NAMES[i] === '0027-search-word-starts') {
          const documents = await seededDocuments(handle);
          expect(documents.find((d) => d.username === 'oeystein')?.stored).toMatch(/^oystein\nodegard\n/);
        }
      }
      expect(await migrateToLatest(handle)).toEqual(NAMES);
      expect(await schemaSnapshot(handle)).toEqual(expected);
    } finally {
      await handle.close();
    }
  });
});
