// SQLite's email index (0017) held addresses as written and let FTS5 fold their case, which follows Unicode's case
// folding: a long s (ſ) became "s", so `emails co "jose"` found "joſe@…", which the filter's own test (lower case, as
// String.prototype.toLowerCase and PostgreSQL's lower() do it) does not. The index now holds the address in that lower
// case as far as an ASCII text can tell (only ASCII texts are looked up in it): ASCII letters lowered, and the two
// letters whose lower case holds ASCII (İ to "i" + U+0307, the Kelvin sign to "k") written so; FTS5 folds nothing.
import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../dialect.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations do not know today's schema.
type Db = Kysely<any>;

const lowered = (row: string) => `replace(replace(lower(${row}email), char(304), 'i' || char(775)), char(8490), 'k')`;

async function rebuild(db: Db, tokenizer: string, indexed: (row: string) => string): Promise<void> {
  for (const trigger of ['users_after_insert_email', 'users_after_update_email']) {
    await sql.raw(`drop trigger if exists ${trigger}`).execute(db);
  }
  await sql`drop table if exists user_emails_fts`.execute(db);
  await sql
    .raw(`create virtual table user_emails_fts using fts5(email, tokenize = '${tokenizer}', content = '',
      contentless_delete = 1)`)
    .execute(db);
  await sql
    .raw(`insert into user_emails_fts (rowid, email)
      select account_id * 4294967296 + id, ${indexed('')} from users where email <> ''`)
    .execute(db);
  await sql
    .raw(`create trigger users_after_insert_email after insert on users when new.email <> '' begin
      insert into user_emails_fts (rowid, email) values (new.account_id * 4294967296 + new.id, ${indexed('new.')});
    end`)
    .execute(db);
  await sql
    .raw(`create trigger users_after_update_email after update of email on users
      when new.email is not old.email begin
      delete from user_emails_fts where rowid = old.account_id * 4294967296 + old.id;
      insert into user_emails_fts (rowid, email) select new.account_id * 4294967296 + new.id, ${indexed('new.')}
        where new.email <> '';
    end`)
    .execute(db);
}

export async function up(db: Db, dialect: Dialect): Promise<void> {
  if (dialect === 'sqlite') await rebuild(db, 'trigram case_sensitive 1', lowered);
}

export async function down(db: Db, dialect: Dialect): Promise<void> {
  if (dialect === 'sqlite') await rebuild(db, 'trigram', (row) => `${row}email`);
}
