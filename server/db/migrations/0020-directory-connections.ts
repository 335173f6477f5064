// Directory connections: the LDAP and Active Directory servers an account's users and groups are synced from, with
// what a sync needs to bind and search (the bind password included) and which attributes carry what.
import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations do not know today's schema.
type Db = Kysely<any>;

export async function up(db: Db, dialect: Dialect): Promise<void> {
  const pg = dialect === 'postgres';
  const id = (col: ColumnDefinitionBuilder) =>
    pg ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement();
  const timestamp = pg ? 'timestamptz' : 'text';

  await db.schema
    .createTable('directory_connections')
    .addColumn('id', 'integer', id)
    .addColumn('account_id', 'integer', (col) => col.notNull().references('accounts.id').onDelete('cascade'))
    // Users created by a sync have it as their source, so it is unique in the account.
    .addColumn('name', 'text', (col) => col.notNull())
    // ldap:// or ldaps://, host and port only.
    .addColumn('url', 'text', (col) => col.notNull())
    .addColumn('start_tls', 'smallint', (col) => col.notNull().defaultTo(1))
    // PEM of the CA the directory's certificate must be issued by; null = the system's trusted CAs.
    .addColumn('ca_certificate', 'text')
    .addColumn('bind_dn', 'text', (col) => col.notNull())
    // Kept in clear, as the SMTP password is (account_security.smtp_password): a bind sends the password itself,
    // so it cannot be hashed. No API returns it.
    .addColumn('bind_password', 'text', (col) => col.notNull())
    .addColumn('users_base_dn', 'text', (col) => col.notNull())
    .addColumn('users_filter', 'text', (col) => col.notNull())
    .addColumn('groups_base_dn', 'text', (col) => col.notNull())
    .addColumn('groups_filter', 'text', (col) => col.notNull())
    // active_directory, openldap, 389ds or freeipa: the preset the filters and attributes were filled from.
    .addColumn('vendor', 'text', (col) => col.notNull())
    // Roster's field -> the directory attribute holding it, as JSON.
    .addColumn('attribute_mapping_json', 'text', (col) => col.notNull())
    .addColumn('created_by', 'integer')
    .addColumn('created_at', timestamp, (col) => col.notNull())
    .addColumn('updated_at', timestamp, (col) => col.notNull())
    .addUniqueConstraint('directory_connections_name', ['account_id', 'name'])
    .execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('directory_connections').execute();
}
