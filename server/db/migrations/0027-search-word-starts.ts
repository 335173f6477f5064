// A search term of two letters or digits matches the start of a word (`jo` finds John, not Major; see termForm in
// server/search/form.ts). Every word of a search document now starts after a space: each field starts with one, every
// separator is followed by one, and each letter of a script written without spaces between words (Han, Kana, Hangul,
// Thai...) is written after one. Two letters at a word start are then the one trigram " jo", where anywhere in a
// word they were any of the 47 trigrams that start with them: every search document is written again, as the code
// writes it (like 0021). SQLite's full-text index is made again (see rebuildSqliteIndex); PostgreSQL's indexes follow
// the column. Down writes the documents as before (that form is kept here, since the code no longer has it):
// characters other than a-z, digits and common separators after a space, no leading space.
import { type Kysely, sql } from 'kysely';
import { foldText } from '../../../shared/search-text.js';
import { searchDocument } from '../../services/user-presenter.js';
import type { Dialect } from '../dialect.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations are typed against an unknown schema on purpose.
type Db = Kysely<any>;

const BATCH = 1000;

interface Fields {
  id: number;
  first_name: string;
  last_name: string;
  username: string;
  email: string;
  phone: string;
  nicknames: string;
  department: string;
}

/** The documents before this migration (kept here: a migration writes the documents of its own time). */
const EARLIER_PLAIN = /^[a-z0-9\n .@_+()/'-]*$/;
function earlierForm(folded: string): string {
  if (EARLIER_PLAIN.test(folded)) return folded;
  let out = '';
  for (const char of folded) out += EARLIER_PLAIN.test(char) ? char : ` ${char}`;
  return out;
}
function earlierDocument(row: Fields): string {
  const digits = row.phone.replace(/\D/g, '');
  const nicknames = JSON.parse(row.nicknames) as string[];
  const fields = [row.first_name, row.last_name, row.username, row.email, row.phone, ...nicknames, row.department];
  if (digits && digits !== row.phone) fields.push(digits);
  return fields
    .filter((field) => field !== '')
    .map((field) => `${earlierForm(foldText(field).replaceAll('\n', ' '))}\n`)
    .join('');
}

/** Every user's search document written again by `document`, a batch of users per statement. */
async function rewrite(db: Db, dialect: Dialect, document: (row: Fields) => string): Promise<void> {
  let after = 0;
  for (;;) {
    const rows = (await db
      .selectFrom('users')
      .select(['id', 'first_name', 'last_name', 'username', 'email', 'phone', 'nicknames', 'department'])
      .where('id', '>', after)
      .orderBy('id')
      .limit(BATCH)
      .execute()) as Fields[];
    if (rows.length === 0) return;
    const docs = JSON.stringify(rows.map((row) => ({ id: row.id, doc: document(row) })));
    if (dialect === 'postgres') {
      await sql`update users set search_doc = d.doc from json_to_recordset(${docs}::json) as d(id integer, doc text)
        where users.id = d.id and users.search_doc is distinct from d.doc`.execute(db);
    } else {
      await sql`update users set search_doc = d.doc
        from (select value ->> '$.id' as id, value ->> '$.doc' as doc from json_each(${docs})) as d
        where users.id = d.id and users.search_doc is not d.doc`.execute(db);
    }
    after = (rows[rows.length - 1] as Fields).id;
  }
}

/**
 * SQLite: the full-text index made again, its documents inserted in one statement and merged into one segment, with
 * `tokenize` (the triggers that keep it, on updates and deletes of users, are set aside meanwhile). Kept by its
 * triggers instead, a rewrite of every document left the old entries beside the new ones until segments merged: after
 * 1,000,000 users three terms read 17 ms of posting lists, not 6. Up makes the index case-sensitive: the documents
 * and terms are folded already, and the trigram tokenizer's own case folding also folded characters that the search
 * keeps apart (ς and σ, µ and μ), so that a candidate could fail the search's own test of its row.
 */
async function rebuildSqliteIndex(db: Db, document: (row: Fields) => string, tokenize: string): Promise<void> {
  const { rows: triggers } = await sql<{ name: string; sql: string }>`select name, sql from sqlite_schema
    where type = 'trigger' and tbl_name = 'users' order by name`.execute(db);
  const keeping = triggers.filter((trigger) => /\busers_fts\b/.test(trigger.sql));
  for (const trigger of keeping) await sql`drop trigger ${sql.id(trigger.name)}`.execute(db);
  await sql`drop table users_fts`.execute(db);
  await sql`create virtual table users_fts using fts5(doc, tokenize = ${sql.lit(tokenize)}, content = '', contentless_delete = 1)`.execute(
    db,
  );
  await rewrite(db, 'sqlite', document);
  await sql`insert into users_fts (rowid, doc) select account_id * 4294967296 + id, search_doc from users`.execute(db);
  await sql`insert into users_fts (users_fts) values ('optimize')`.execute(db);
  for (const trigger of keeping) await sql.raw(trigger.sql).execute(db);
}

export async function up(db: Db, dialect: Dialect): Promise<void> {
  if (dialect === 'sqlite') await rebuildSqliteIndex(db, (row) => searchDocument(row), 'trigram case_sensitive 1');
  else await rewrite(db, dialect, (row) => searchDocument(row));
}

export async function down(db: Db, dialect: Dialect): Promise<void> {
  if (dialect === 'sqlite') await rebuildSqliteIndex(db, earlierDocument, 'trigram');
  else await rewrite(db, dialect, earlierDocument);
}
