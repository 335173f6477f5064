// Organization: the group tree (levels 2 and 3 under the account), team memberships with one main team, supervisors,
// "can manage" groups, departments and chat-routing groups, the call-tracking user details and permissions, and the
// events outbox the suite's applications read.
import { type ColumnDefinitionBuilder, type Kysely, sql } from 'kysely';
import type { Dialect } from '../dialect.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations are typed against an unknown schema on purpose.
type Db = Kysely<any>;

export async function up(db: Db, dialect: Dialect): Promise<void> {
  const pg = dialect === 'postgres';
  const id = (col: ColumnDefinitionBuilder) =>
    pg ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement();
  const timestamp = pg ? 'timestamptz' : 'text';
  const sortable = (col: ColumnDefinitionBuilder) => (pg ? col.modifyFront(sql`collate "C"`) : col);
  const account = (col: ColumnDefinitionBuilder) => col.notNull().references('accounts.id').onDelete('cascade');
  const user = (col: ColumnDefinitionBuilder) => col.notNull().references('users.id').onDelete('cascade');
  const group = (col: ColumnDefinitionBuilder) => col.notNull().references('groups.id').onDelete('cascade');

  // parent_id null = a level-2 group (its parent is the account, level 1); parent_key is parent_id or 0, so one
  // unique index keeps sibling names apart on both databases (null is distinct from null in a unique index).
  await db.schema
    .createTable('groups')
    .addColumn('id', 'integer', id)
    .addColumn('account_id', 'integer', account)
    .addColumn('parent_id', 'integer', (col) => col.references('groups.id').onDelete('cascade'))
    .addColumn('parent_key', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('name_key', 'text', (col) => sortable(col).notNull())
    .addColumn('level', 'smallint', (col) => col.notNull())
    .addColumn('created_at', timestamp, (col) => col.notNull())
    .addColumn('updated_at', timestamp, (col) => col.notNull())
    .addCheckConstraint('groups_level', sql`level in (2, 3)`)
    .execute();
  await db.schema
    .createIndex('groups_sibling_name')
    .on('groups')
    .columns(['account_id', 'parent_key', 'name_key'])
    .unique()
    .execute();
  await db.schema.createIndex('groups_parent').on('groups').column('parent_id').execute();

  await db.schema
    .createTable('group_members')
    .addColumn('group_id', 'integer', group)
    .addColumn('user_id', 'integer', user)
    .addColumn('account_id', 'integer', account)
    .addColumn('is_main', 'smallint', (col) => col.notNull().defaultTo(0))
    .addColumn('created_at', timestamp, (col) => col.notNull())
    .addPrimaryKeyConstraint('group_members_pk', ['group_id', 'user_id'])
    .execute();
  await db.schema.createIndex('group_members_user').on('group_members').columns(['user_id', 'group_id']).execute();
  // At most one main team per user, whatever runs concurrently.
  await db.schema
    .createIndex('group_members_one_main')
    .on('group_members')
    .column('user_id')
    .unique()
    .where(sql.ref('is_main'), '=', 1)
    .execute();

  for (const table of ['group_supervisors', 'group_managers']) {
    await db.schema
      .createTable(table)
      .addColumn('group_id', 'integer', group)
      .addColumn('user_id', 'integer', user)
      .addColumn('account_id', 'integer', account)
      .addColumn('created_at', timestamp, (col) => col.notNull())
      .addPrimaryKeyConstraint(`${table}_pk`, ['group_id', 'user_id'])
      .execute();
    await db.schema.createIndex(`${table}_user`).on(table).columns(['user_id', 'group_id']).execute();
  }

  await db.schema
    .createTable('departments')
    .addColumn('id', 'integer', id)
    .addColumn('account_id', 'integer', account)
    .addColumn('name', 'text', (col) => sortable(col).notNull())
    .addColumn('created_at', timestamp, (col) => col.notNull())
    .addUniqueConstraint('departments_account_name', ['account_id', 'name'])
    .execute();
  // Every department name users already carry becomes a department.
  await sql`insert into departments (account_id, name, created_at)
    select distinct account_id, department, ${pg ? sql`cast(${new Date().toISOString()} as timestamptz)` : new Date().toISOString()}
    from users where department <> ''`.execute(db);

  await db.schema
    .createTable('chat_groups')
    .addColumn('id', 'integer', id)
    .addColumn('account_id', 'integer', account)
    .addColumn('name', 'text', (col) => sortable(col).notNull())
    .addColumn('created_at', timestamp, (col) => col.notNull())
    .addUniqueConstraint('chat_groups_account_name', ['account_id', 'name'])
    .execute();
  await db.schema
    .createTable('chat_group_departments')
    .addColumn('chat_group_id', 'integer', (col) => col.notNull().references('chat_groups.id').onDelete('cascade'))
    .addColumn('department_id', 'integer', (col) => col.notNull().references('departments.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('chat_group_departments_pk', ['chat_group_id', 'department_id'])
    .execute();
  await db.schema
    .createIndex('chat_group_departments_department')
    .on('chat_group_departments')
    .column('department_id')
    .execute();

  // Groups a user may see (call tracking's group permission).
  await db.schema
    .createTable('user_visible_groups')
    .addColumn('user_id', 'integer', user)
    .addColumn('group_id', 'integer', group)
    .addColumn('account_id', 'integer', account)
    .addPrimaryKeyConstraint('user_visible_groups_pk', ['user_id', 'group_id'])
    .execute();
  await db.schema.createIndex('user_visible_groups_group').on('user_visible_groups').column('group_id').execute();

  // The outbox: events written in the transaction of the change, read by the suite's applications.
  await db.schema
    .createTable('events')
    .addColumn('id', 'integer', id)
    .addColumn('account_id', 'integer', account)
    .addColumn('type', 'text', (col) => col.notNull())
    .addColumn('payload_json', 'text', (col) => col.notNull())
    .addColumn('created_at', timestamp, (col) => col.notNull())
    .execute();
  await db.schema.createIndex('events_account').on('events').columns(['account_id', 'id']).execute();

  // Call-tracking details and permissions.
  const columns: [string, 'text' | 'smallint', string | number][] = [
    ['agent_id', 'text', ''],
    ['ring_to', 'text', ''],
    ['scoring_enabled', 'smallint', 0],
    ['roaming_agent', 'smallint', 0],
    ['reporting_access', 'text', 'none'],
    ['audio_access', 'text', 'none'],
    ['scoring_access', 'text', 'none'],
  ];
  for (const [name, type, fallback] of columns) {
    await db.schema
      .alterTable('users')
      .addColumn(name, type, (col) => col.notNull().defaultTo(fallback))
      .execute();
  }
}

export async function down(db: Db): Promise<void> {
  for (const name of [
    'scoring_access',
    'audio_access',
    'reporting_access',
    'roaming_agent',
    'scoring_enabled',
    'ring_to',
    'agent_id',
  ]) {
    await db.schema.alterTable('users').dropColumn(name).execute();
  }
  for (const table of [
    'events',
    'user_visible_groups',
    'chat_group_departments',
    'chat_groups',
    'departments',
    'group_managers',
    'group_supervisors',
    'group_members',
    'groups',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
