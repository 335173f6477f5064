// PostgreSQL: the two-letter word starts of every user's search document, in name order (user_word_starts). A term of
// two letters matches where a word starts (see termForm in server/search/form.ts), so its matches are exactly the
// users with that start here, and a search of that one term reads its page as the first rows of one range of this
// table's primary key, and its total by counting that range up to the cap. Through the trigram index, a page of such a
// term read every candidate's row from the table to sort them (`we`, `sm`: thousands of matches, clustered far down the
// name order). Starts with an ASCII digit are left out (phone numbers are many short words; digits are searched by the
// trigram index as before). Triggers keep the table: inserts a statement at a time (an import's batch), updates and
// deletes a user at a time, only when the search document or the name key changed. SQLite has no such table: its
// full-text index reads a word-start term as one trigram too, and sorts its candidates from that index.
import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../dialect.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations are typed against an unknown schema on purpose.
type Db = Kysely<any>;

export async function up(db: Db, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return;
  // The first two characters of every space-separated word (every word of a document starts after a space), but for
  // words that start with an ASCII digit and ends of fields (a one-letter word before the newline that ends a field).
  await sql`create function user_word_starts_of(doc text) returns setof text language sql immutable parallel safe as $$
      select distinct left(word, 2) from unnest(string_to_array(doc, ' ')) word
      where char_length(word) >= 2 and ascii(word) not between 48 and 57 and strpos(left(word, 2), E'\n') = 0
    $$`.execute(db);
  // Writes to users wait until the migration commits (reads go on): a user written while the table is filled would
  // be missing from it, or kept under an old name, as the triggers come only after the fill.
  await sql`lock table users in share row exclusive mode`.execute(db);
  await sql`create table user_word_starts (
      account_id integer not null,
      start text collate "C" not null,
      name_key text collate "C" not null,
      user_id integer not null
    )`.execute(db);
  await sql`insert into user_word_starts (account_id, start, name_key, user_id)
      select u.account_id, s, u.name_key, u.id from users u, user_word_starts_of(u.search_doc) s`.execute(db);
  // Made after the rows are in: one sort instead of 1,000,000 inserts into the index.
  await sql`alter table user_word_starts add primary key (account_id, start, name_key, user_id)`.execute(db);
  await sql`create function user_word_starts_insert() returns trigger language plpgsql as $$
    begin
      insert into user_word_starts (account_id, start, name_key, user_id)
        select n.account_id, s, n.name_key, n.id from inserted n, user_word_starts_of(n.search_doc) s;
      return null;
    end $$`.execute(db);
  await sql`create trigger users_word_starts_insert after insert on users
    referencing new table as inserted for each statement execute function user_word_starts_insert()`.execute(db);
  // A user's old rows go (an update or a delete), and an update's new ones come.
  await sql`create function user_word_starts_replace() returns trigger language plpgsql as $$
    begin
      delete from user_word_starts where account_id = old.account_id and name_key = old.name_key and user_id = old.id
        and start = any(array(select user_word_starts_of(old.search_doc)));
      if tg_op = 'UPDATE' then
        insert into user_word_starts (account_id, start, name_key, user_id)
          select new.account_id, s, new.name_key, new.id from user_word_starts_of(new.search_doc) s
          on conflict do nothing;
      end if;
      return null;
    end $$`.execute(db);
  await sql`create trigger users_word_starts_update after update of search_doc, name_key, account_id on users
    for each row when (old.search_doc is distinct from new.search_doc or old.name_key is distinct from new.name_key
      or old.account_id is distinct from new.account_id)
    execute function user_word_starts_replace()`.execute(db);
  await sql`create trigger users_word_starts_delete after delete on users
    for each row execute function user_word_starts_replace()`.execute(db);
  await sql`analyze user_word_starts`.execute(db);
}

export async function down(db: Db, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql`drop trigger users_word_starts_delete on users`.execute(db);
  await sql`drop trigger users_word_starts_update on users`.execute(db);
  await sql`drop trigger users_word_starts_insert on users`.execute(db);
  await sql`drop function user_word_starts_replace()`.execute(db);
  await sql`drop function user_word_starts_insert()`.execute(db);
  await sql`drop table user_word_starts`.execute(db);
  await sql`drop function user_word_starts_of(text)`.execute(db);
}
