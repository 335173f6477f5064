// An index of email addresses alone, for substring filters on emails (SCIM's `emails co "…"`). The search document's
// trigram index also holds names, phones and departments, so its candidates must each be read from the users table
// and tested; this one answers a contains test on the address itself and counts matches without reading users.
// SQLite: a contentless FTS5 trigram table (rowid = account_id * 2^32 + user id, like users_fts), kept by triggers.
// PostgreSQL: a narrow table of lower-cased addresses with a trigram GIN index on `grams`, the address with every
// character other than a-z and 0-9 written as 0. pg_trgm splits text into words at punctuation, so "es.w" would give
// it almost no trigrams and it would test tens of thousands of addresses; in `grams` it is "es0w", three trigrams of
// one word. Any character-for-character mapping keeps every match a candidate: `email` is then tested exactly.
import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../dialect.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations do not know today's schema.
type Db = Kysely<any>;

export async function up(db: Db, dialect: Dialect): Promise<void> {
  if (dialect === 'postgres') {
    await sql`create table user_emails (
      user_id integer primary key references users (id) on delete cascade,
      account_id integer not null,
      email text collate "C" not null,
      grams text collate "C" not null
    )`.execute(db);
    await sql
      .raw(`
      create function user_emails_row(email text) returns text[] language sql immutable as $$
        select array[l, regexp_replace(l collate "C", '[^a-z0-9]', '0', 'g')] from (select lower(email collate "default") as l) s
      $$`)
      .execute(db);
    await sql`insert into user_emails (user_id, account_id, email, grams)
      select id, account_id, r[1], r[2] from (select id, account_id, user_emails_row(email) as r from users where email <> '') u`.execute(
      db,
    );
    await sql`create index user_emails_grams on user_emails using gin (grams gin_trgm_ops)`.execute(db);
    await sql
      .raw(`
      create function user_emails_sync() returns trigger language plpgsql as $$
      begin
        if tg_op = 'INSERT' then
          insert into user_emails (user_id, account_id, email, grams)
            select id, account_id, r[1], r[2]
            from (select id, account_id, user_emails_row(email) as r from inserted where email <> '') u;
        else
          delete from user_emails where user_id = new.id;
          if new.email <> '' then
            insert into user_emails (user_id, account_id, email, grams)
              select new.id, new.account_id, r[1], r[2] from (select user_emails_row(new.email) as r) u;
          end if;
        end if;
        return null;
      end $$`)
      .execute(db);
    // Inserts a statement at a time (bulk inserts and imports write thousands of users in one); a change of address a
    // row at a time. Deletes follow the foreign key.
    await sql`create trigger users_emails_insert after insert on users referencing new table as inserted
      for each statement execute function user_emails_sync()`.execute(db);
    await sql`create trigger users_emails_update after update of email on users
      for each row when (old.email is distinct from new.email) execute function user_emails_sync()`.execute(db);
    return;
  }
  await sql`create virtual table user_emails_fts using fts5(email, tokenize = 'trigram', content = '', contentless_delete = 1)`.execute(
    db,
  );
  await sql`insert into user_emails_fts (rowid, email)
    select account_id * 4294967296 + id, email from users where email <> ''`.execute(db);
  await sql`create trigger users_after_insert_email after insert on users when new.email <> '' begin
    insert into user_emails_fts (rowid, email) values (new.account_id * 4294967296 + new.id, new.email);
  end`.execute(db);
  await sql`create trigger users_after_update_email after update of email on users
    when new.email is not old.email begin
    delete from user_emails_fts where rowid = old.account_id * 4294967296 + old.id;
    insert into user_emails_fts (rowid, email) select new.account_id * 4294967296 + new.id, new.email where new.email <> '';
  end`.execute(db);
  await sql`create trigger users_after_delete_email after delete on users begin
    delete from user_emails_fts where rowid = old.account_id * 4294967296 + old.id;
  end`.execute(db);
}

export async function down(db: Db, dialect: Dialect): Promise<void> {
  if (dialect === 'postgres') {
    await sql`drop trigger if exists users_emails_update on users`.execute(db);
    await sql`drop trigger if exists users_emails_insert on users`.execute(db);
    await sql`drop function if exists user_emails_sync()`.execute(db);
    await sql`drop table if exists user_emails`.execute(db);
    await sql`drop function if exists user_emails_row(text)`.execute(db);
    return;
  }
  for (const trigger of ['users_after_insert_email', 'users_after_update_email', 'users_after_delete_email']) {
    await sql.raw(`drop trigger if exists ${trigger}`).execute(db);
  }
  await sql`drop table if exists user_emails_fts`.execute(db);
}
