// A directory sync enables again only the users it disabled itself (a link's `disabled_by_sync`), never those an admin
// disabled. The mark stayed when someone else enabled such a user, so an admin's later disabling was taken for the
// sync's and undone by the next sync. Enabling a user now takes the mark off, whoever enables them: one trigger, so
// that every way of enabling (the console, bulk actions, SCIM, imports) does it. Links marked on users enabled
// already are cleared.
import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../dialect.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations do not know today's schema.
type Db = Kysely<any>;

export async function up(db: Db, dialect: Dialect): Promise<void> {
  if (dialect === 'postgres') {
    await sql`create function users_enabled_clears_sync_mark() returns trigger language plpgsql as $$
      begin
        update directory_user_links set disabled_by_sync = 0 where user_id = new.id and disabled_by_sync = 1;
        return null;
      end $$`.execute(db);
    await sql`create trigger users_enabled_clears_sync_mark after update of enabled on users
      for each row when (old.enabled = 0 and new.enabled = 1)
      execute function users_enabled_clears_sync_mark()`.execute(db);
  } else {
    await sql`create trigger users_enabled_clears_sync_mark after update of enabled on users
      when old.enabled = 0 and new.enabled = 1
      begin
        update directory_user_links set disabled_by_sync = 0 where user_id = new.id and disabled_by_sync = 1;
      end`.execute(db);
  }
  await sql`update directory_user_links set disabled_by_sync = 0
    where disabled_by_sync = 1 and user_id in (select id from users where enabled = 1)`.execute(db);
}

export async function down(db: Db, dialect: Dialect): Promise<void> {
  await sql`drop trigger users_enabled_clears_sync_mark${sql.raw(dialect === 'postgres' ? ' on users' : '')}`.execute(
    db,
  );
  if (dialect === 'postgres') await sql`drop function users_enabled_clears_sync_mark()`.execute(db);
}
