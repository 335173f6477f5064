// SQLite answered a two-letter search term with the trigrams its full-text index holds that start with the two letters,
// read from an fts5vocab table. That table counts each term's rows as it lists them, so listing a common pair's
// 40 trigrams read their whole posting lists: 10-65 ms for two letters, before the search itself. A document holds
// only 47 characters after two letters (the document form of the time), so the search then named all 47 trigrams and
// the index skipped those it did not hold; the vocabulary table goes. (Since migration 0027 two letters match the start
// of a word, one trigram.)
import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../dialect.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations do not know today's schema.
type Db = Kysely<any>;

export async function up(db: Db, dialect: Dialect): Promise<void> {
  if (dialect === 'sqlite') await sql`drop table if exists users_fts_vocab`.execute(db);
}

export async function down(db: Db, dialect: Dialect): Promise<void> {
  if (dialect === 'sqlite')
    await sql`create virtual table users_fts_vocab using fts5vocab(users_fts, 'row')`.execute(db);
}
