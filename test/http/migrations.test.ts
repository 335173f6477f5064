import { afterAll, describe, expect, it } from 'vitest';
import { migrateDown, migrateToLatest, openDatabase } from '../../server/db/index.js';
import { migrations } from '../../server/db/migrations/index.js';
import { createEmptyDatabase, DIALECTS } from '../support/databases.js';

describe.each(DIALECTS)('migrations (%s)', (dialect) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  async function schemaOf(url: string) {
    const handle = openDatabase(url);
    try {
      const tables = await handle.db.introspection.getTables({ withInternalKyselyTables: false });
      return tables
        .map((t) => ({ name: t.name, columns: t.columns.map((c) => `${c.name}:${c.dataType}:${c.isNullable}`).sort() }))
        .sort((a, b) => a.name.localeCompare(b.name));
    } finally {
      await handle.close();
    }
  }

  it('migrates up, all the way down and up again to the same schema as a fresh database', async () => {
    const fresh = await createEmptyDatabase(dialect);
    const cycled = await createEmptyDatabase(dialect);
    cleanups.push(fresh.drop, cycled.drop);

    const a = openDatabase(fresh.url);
    expect(await migrateToLatest(a)).toEqual(Object.keys(migrations));
    expect(await migrateToLatest(a)).toEqual([]);
    await a.close();

    const b = openDatabase(cycled.url);
    await migrateToLatest(b);
    for (let i = 0; i < Object.keys(migrations).length; i++) expect(await migrateDown(b)).not.toBeNull();
    const empty = await b.db.introspection.getTables({ withInternalKyselyTables: false });
    expect(empty.filter((t) => !t.name.startsWith('sqlite_'))).toEqual([]);
    await migrateToLatest(b);
    await b.close();

    expect(await schemaOf(cycled.url)).toEqual(await schemaOf(fresh.url));
  });
});
