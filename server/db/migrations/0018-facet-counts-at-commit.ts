// PostgreSQL: a new user is counted in its facet row (user_facets) when its transaction commits, by a deferred
// trigger, instead of by a statement before the commit. That statement locked the row until the commit, one round trip
// and the serving process's next turn later, so concurrent creates in one facet (an account's standard users of one
// department) queued behind each other's commits: with eight at a time, each waited 3 ms there. Counted at commit,
// the row is locked only while the commit runs inside the server. SQLite has one writer at a time and needs none of it.
import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../dialect.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations are typed against an unknown schema on purpose.
type Db = Kysely<any>;

const FACETS = 'account_id, access_type, status, enabled, department, source';

export async function up(db: Db, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return;
  // Counts waiting for their transaction's commit; a row lives only inside the transaction that wrote it.
  await sql`create table user_facet_pending (
    id bigint generated always as identity primary key,
    account_id integer not null,
    access_type text collate "C" not null,
    status text collate "C" not null,
    enabled smallint not null,
    department text collate "C" not null,
    source text collate "C" not null,
    n integer not null
  )`.execute(db);
  await sql
    .raw(`
    create function user_facet_pending_apply() returns trigger language plpgsql as $$
    begin
      insert into user_facets (${FACETS}, n)
        values (new.account_id, new.access_type, new.status, new.enabled, new.department, new.source, new.n)
        on conflict (${FACETS}) do update set n = user_facets.n + excluded.n;
      delete from user_facet_pending where id = new.id;
      return null;
    end $$`)
    .execute(db);
  await sql`create constraint trigger user_facet_pending_apply after insert on user_facet_pending
    deferrable initially deferred for each row execute function user_facet_pending_apply()`.execute(db);
}

export async function down(db: Db, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql`drop table if exists user_facet_pending`.execute(db);
  await sql`drop function if exists user_facet_pending_apply()`.execute(db);
}
