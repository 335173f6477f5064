// Searches fold the letters Unicode does not decompose as people type them without them (ß -> ss, ø -> o, ł -> l,
// ı -> i, þ -> th...: shared/search-text.ts). The search document and the name keys of users whose fields hold such a
// letter are computed again, as the code computes them; the triggers keep SQLite's full-text index in step, and
// PostgreSQL's indexes follow the columns. Down computes them with accents folded only, as before.
import { type Kysely, sql } from 'kysely';
import { foldAccents, foldText } from '../../../shared/search-text.js';
import { derivedColumns } from '../../services/user-presenter.js';
import type { Dialect } from '../dialect.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations are typed against an unknown schema on purpose.
type Db = Kysely<any>;

/** The letters, in both cases, whose folding changed. */
const LETTERS = 'ßẞæÆœŒøØłŁđĐðÐıþÞħĦŧŦ';
const BATCH = 1000;

async function recompute(db: Db, dialect: Dialect, fold: (value: string) => string) {
  const fields = sql`(first_name || ' ' || last_name || ' ' || username || ' ' || email || ' ' || phone || ' ' ||
    nicknames || ' ' || department)`;
  const holds =
    dialect === 'postgres'
      ? sql<boolean>`${fields} ~ ${`[${LETTERS}]`}`
      : sql<boolean>`${fields} glob ${`*[${LETTERS}]*`}`;
  let after = 0;
  for (;;) {
    const rows = await db
      .selectFrom('users')
      .select(['id', 'first_name', 'last_name', 'username', 'email', 'phone', 'department', 'nicknames'])
      .where('id', '>', after)
      .where(holds)
      .orderBy('id')
      .limit(BATCH)
      .execute();
    if (rows.length === 0) return;
    for (const row of rows) {
      await db
        .updateTable('users')
        .set(derivedColumns(row, undefined, fold))
        .where('id', '=', row.id)
        .execute();
    }
    after = (rows[rows.length - 1] as { id: number }).id;
  }
}

export async function up(db: Db, dialect: Dialect): Promise<void> {
  await recompute(db, dialect, foldText);
}

export async function down(db: Db, dialect: Dialect): Promise<void> {
  await recompute(db, dialect, foldAccents);
}
