// The user directory: accounts, users, credentials, facets, sessions, audit log, saved filters, search index.
import { type ColumnDefinitionBuilder, type Kysely, sql } from 'kysely';
import type { Dialect } from '../dialect.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations are typed against an unknown schema on purpose.
type Db = Kysely<any>;

export async function up(db: Db, dialect: Dialect): Promise<void> {
  const pg = dialect === 'postgres';
  const id = (col: ColumnDefinitionBuilder) =>
    pg ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement();
  const timestamp = pg ? 'timestamptz' : 'text';
  // Sortable text sorts by code point on both databases, so pages come out in the same order.
  const sortable = (col: ColumnDefinitionBuilder) => (pg ? col.modifyFront(sql`collate "C"`) : col);
  const text = (col: ColumnDefinitionBuilder) => sortable(col).notNull().defaultTo('');
  const flag = (value: number) => (col: ColumnDefinitionBuilder) => col.notNull().defaultTo(value);

  await db.schema
    .createTable('accounts')
    .addColumn('id', 'integer', id)
    .addColumn('slug', 'text', (col) => col.notNull().unique())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('owner_user_id', 'integer')
    .addColumn('default_time_zone', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('created_at', timestamp, (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('users')
    .addColumn('id', 'integer', id)
    .addColumn('account_id', 'integer', (col) => col.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('username', 'text', (col) => sortable(col).notNull())
    .addColumn('email', 'text', text)
    .addColumn('email_verified', 'smallint', flag(0))
    .addColumn('first_name', 'text', text)
    .addColumn('last_name', 'text', text)
    .addColumn('phone', 'text', text)
    .addColumn('department', 'text', text)
    .addColumn('access_type', 'text', (col) => sortable(col).notNull())
    .addColumn('is_owner', 'smallint', flag(0))
    .addColumn('auth_method', 'text', (col) => sortable(col).notNull())
    .addColumn('enabled', 'smallint', flag(1))
    .addColumn('status', 'text', (col) => sortable(col).notNull().defaultTo('inactive'))
    .addColumn('time_zone', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('language', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('valid_from', timestamp)
    .addColumn('expires_at', timestamp)
    .addColumn('source', 'text', (col) => sortable(col).notNull().defaultTo('local'))
    .addColumn('sync_enabled', 'smallint', flag(1))
    .addColumn('nicknames', 'text', (col) => col.notNull().defaultTo('[]'))
    .addColumn('required_actions', 'text', (col) => col.notNull().defaultTo('[]'))
    .addColumn('search_doc', 'text', (col) => col.notNull().defaultTo(''))
    // Folded (lower-case, unaccented) name keys, so "Álvarez" sorts among the A's on both databases.
    .addColumn('name_key', 'text', text)
    .addColumn('first_key', 'text', text)
    .addColumn('created_at', timestamp, (col) => col.notNull())
    .addColumn('updated_at', timestamp, (col) => col.notNull())
    .addColumn('last_sign_in_at', timestamp)
    .execute();

  await db.schema
    .createIndex('users_account_username')
    .on('users')
    .columns(['account_id', 'username'])
    .unique()
    .execute();
  // Exactly one owner per account, whatever writes the row.
  await sql`create unique index users_one_owner on users (account_id) where is_owner = 1`.execute(db);
  // One index per sortable column: the list walks it in order (keyset pages), never sorting the account.
  const sortIndexes: Record<string, string[]> = {
    name: ['name_key', 'id'],
    first_name: ['first_key', 'id'],
    email: ['email', 'id'],
    phone: ['phone', 'id'],
    department: ['department', 'id'],
    access_type: ['access_type', 'id'],
    auth_method: ['auth_method', 'id'],
    status: ['status', 'id'],
    enabled: ['enabled', 'id'],
    created_at: ['created_at', 'id'],
  };
  for (const [name, columns] of Object.entries(sortIndexes)) {
    await db.schema
      .createIndex(`users_account_${name}`)
      .on('users')
      .columns(['account_id', ...columns])
      .execute();
  }

  await db.schema
    .createTable('user_credentials')
    .addColumn('user_id', 'integer', (col) => col.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('password_hash', 'text', (col) => col.notNull())
    .addColumn('temporary', 'smallint', flag(0))
    .addColumn('updated_at', timestamp, (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('user_facets')
    .addColumn('account_id', 'integer', (col) => col.notNull())
    .addColumn('access_type', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('enabled', 'smallint', (col) => col.notNull())
    .addColumn('department', 'text', (col) => sortable(col).notNull())
    .addColumn('source', 'text', (col) => sortable(col).notNull())
    .addColumn('n', 'integer', (col) => col.notNull())
    .addPrimaryKeyConstraint('user_facets_pk', [
      'account_id',
      'access_type',
      'status',
      'enabled',
      'department',
      'source',
    ])
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('user_id', 'integer', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('account_id', 'integer', (col) => col.notNull())
    .addColumn('csrf_token', 'text', (col) => col.notNull())
    .addColumn('created_at', timestamp, (col) => col.notNull())
    .addColumn('expires_at', timestamp, (col) => col.notNull())
    .addColumn('last_seen_at', timestamp, (col) => col.notNull())
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .execute();
  await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();

  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'integer', id)
    .addColumn('account_id', 'integer', (col) => col.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('at', timestamp, (col) => col.notNull())
    .addColumn('actor_user_id', 'integer')
    .addColumn('actor_username', 'text')
    .addColumn('action', 'text', (col) => col.notNull())
    .addColumn('target_type', 'text')
    .addColumn('target_id', 'text')
    .addColumn('target_label', 'text')
    .addColumn('before_json', 'text')
    .addColumn('after_json', 'text')
    .addColumn('ip', 'text')
    .execute();
  await db.schema.createIndex('audit_account_id').on('audit_events').columns(['account_id', 'id']).execute();
  await db.schema
    .createIndex('audit_account_action')
    .on('audit_events')
    .columns(['account_id', 'action', 'id'])
    .execute();
  await db.schema
    .createIndex('audit_account_target')
    .on('audit_events')
    .columns(['account_id', 'target_id', 'id'])
    .execute();

  await db.schema
    .createTable('saved_filters')
    .addColumn('id', 'integer', id)
    .addColumn('account_id', 'integer', (col) => col.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('user_id', 'integer', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('params_json', 'text', (col) => col.notNull())
    .addColumn('is_default', 'smallint', flag(0))
    .addColumn('created_at', timestamp, (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex('saved_filters_user_name')
    .on('saved_filters')
    .columns(['user_id', 'name'])
    .unique()
    .execute();

  if (pg) await upPostgresExtras(db);
  else await upSqliteExtras(db);
}

const FACET_COLUMNS = 'account_id, access_type, status, enabled, department, source';

async function upSqliteExtras(db: Db): Promise<void> {
  // Contentless trigram index; rowid = account_id * 2^32 + user id, so a search stays inside one account's range.
  // Inserts are indexed by the code that inserts (in batches, see db/user-index.ts); triggers keep updates and deletes.
  await sql`create virtual table users_fts using fts5(doc, tokenize = 'trigram', content = '', contentless_delete = 1)`.execute(
    db,
  );
  await sql`create virtual table users_fts_vocab using fts5vocab(users_fts, 'row')`.execute(db);
  const facetAdd = (row: string) =>
    sql.raw(
      `insert into user_facets (${FACET_COLUMNS}, n) values (${row}.account_id, ${row}.access_type, ${row}.status, ${row}.enabled, ${row}.department, ${row}.source, 1)
     on conflict (${FACET_COLUMNS}) do update set n = n + 1;`,
    );
  const facetRemove = (row: string) =>
    sql.raw(
      `update user_facets set n = n - 1 where account_id = ${row}.account_id and access_type = ${row}.access_type
       and status = ${row}.status and enabled = ${row}.enabled and department = ${row}.department and source = ${row}.source;`,
    );
  await sql`create trigger users_after_delete after delete on users begin
    delete from users_fts where rowid = old.account_id * 4294967296 + old.id;
    ${facetRemove('old')}
  end`.execute(db);
  await sql`create trigger users_after_update_doc after update of search_doc on users
    when new.search_doc is not old.search_doc begin
    delete from users_fts where rowid = old.account_id * 4294967296 + old.id;
    insert into users_fts (rowid, doc) values (new.account_id * 4294967296 + new.id, new.search_doc);
  end`.execute(db);
  await sql`create trigger users_after_update_facets after update of access_type, status, enabled, department, source on users
    begin
    ${facetRemove('old')}
    ${facetAdd('new')}
  end`.execute(db);
}

async function upPostgresExtras(db: Db): Promise<void> {
  await sql`create extension if not exists pg_trgm`.execute(db);
  await sql`create index users_search_trgm on users using gin (search_doc gin_trgm_ops)`.execute(db);
  await sql
    .raw(`
    create function users_facets_sync() returns trigger language plpgsql as $$
    begin
      if tg_op in ('UPDATE', 'DELETE') then
        update user_facets set n = n - 1 where account_id = old.account_id and access_type = old.access_type
          and status = old.status and enabled = old.enabled and department = old.department and source = old.source;
      end if;
      if tg_op in ('UPDATE', 'INSERT') then
        insert into user_facets (${FACET_COLUMNS}, n)
          values (new.account_id, new.access_type, new.status, new.enabled, new.department, new.source, 1)
          on conflict (${FACET_COLUMNS}) do update set n = user_facets.n + 1;
      end if;
      return null;
    end $$`)
    .execute(db);
  // Inserts are counted by the code that inserts, a batch at a time (db/user-index.ts).
  await sql`create trigger users_facets_delete after delete on users
    for each row execute function users_facets_sync()`.execute(db);
  await sql`create trigger users_facets_update after update of access_type, status, enabled, department, source on users
    for each row when (old.access_type is distinct from new.access_type or old.status is distinct from new.status
      or old.enabled is distinct from new.enabled or old.department is distinct from new.department
      or old.source is distinct from new.source)
    execute function users_facets_sync()`.execute(db);
}

export async function down(db: Db, dialect: Dialect): Promise<void> {
  if (dialect === 'postgres') {
    await sql`drop trigger if exists users_facets_update on users`.execute(db);
    await sql`drop trigger if exists users_facets_delete on users`.execute(db);
    await sql`drop function if exists users_facets_sync()`.execute(db);
  } else {
    await sql`drop table if exists users_fts_vocab`.execute(db);
    await sql`drop table if exists users_fts`.execute(db);
  }
  for (const table of [
    'saved_filters',
    'audit_events',
    'sessions',
    'user_facets',
    'user_credentials',
    'users',
    'accounts',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
