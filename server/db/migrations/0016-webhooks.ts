// Webhooks: the endpoints an account's admins subscribe (with the secret deliveries are signed with, and how far
// in the events outbox each has read), and one delivery per endpoint and event, retried until it is delivered.
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
    .createTable('webhook_endpoints')
    .addColumn('id', 'integer', id)
    .addColumn('account_id', 'integer', (col) => col.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('url', 'text', (col) => col.notNull())
    .addColumn('description', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('event_types_json', 'text', (col) => col.notNull())
    .addColumn('enabled', 'smallint', (col) => col.notNull().defaultTo(1))
    // Why the endpoint was turned off by Roster (a 410, or failures for the whole retry schedule); null otherwise.
    .addColumn('disabled_reason', 'text')
    // Kept in clear: every delivery is signed with it (HMAC needs the secret itself, not a hash).
    .addColumn('secret', 'text', (col) => col.notNull())
    .addColumn('previous_secret', 'text')
    .addColumn('previous_secret_until', timestamp)
    // The last event of the outbox this endpoint has deliveries for.
    .addColumn('last_event_id', 'integer', (col) => col.notNull().defaultTo(0))
    // Since when every attempt has failed (null after a success).
    .addColumn('failing_since', timestamp)
    .addColumn('created_by', 'integer')
    .addColumn('created_at', timestamp, (col) => col.notNull())
    .addColumn('updated_at', timestamp, (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex('webhook_endpoints_account')
    .on('webhook_endpoints')
    .columns(['account_id', 'id'])
    .execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'integer', id)
    .addColumn('account_id', 'integer', (col) => col.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('endpoint_id', 'integer', (col) => col.notNull().references('webhook_endpoints.id').onDelete('cascade'))
    // null for a test delivery.
    .addColumn('event_id', 'integer')
    .addColumn('event_type', 'text', (col) => col.notNull())
    // The request body exactly as sent, so every attempt signs and sends the same bytes.
    .addColumn('body', 'text', (col) => col.notNull())
    // pending, delivered or failed.
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('next_attempt_at', timestamp, (col) => col.notNull())
    .addColumn('claimed_until', timestamp)
    .addColumn('first_attempt_at', timestamp)
    .addColumn('last_attempt_at', timestamp)
    .addColumn('last_status', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('delivered_at', timestamp)
    .addColumn('created_at', timestamp, (col) => col.notNull())
    .execute();
  // One delivery per endpoint and event, however many processes read the outbox at once.
  await db.schema
    .createIndex('webhook_deliveries_endpoint_event')
    .on('webhook_deliveries')
    .columns(['endpoint_id', 'event_id'])
    .unique()
    .execute();
  await db.schema
    .createIndex('webhook_deliveries_due')
    .on('webhook_deliveries')
    .columns(['status', 'next_attempt_at', 'id'])
    .execute();
  await db.schema
    .createIndex('webhook_deliveries_endpoint')
    .on('webhook_deliveries')
    .columns(['endpoint_id', 'id'])
    .execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('webhook_deliveries').execute();
  await db.schema.dropTable('webhook_endpoints').execute();
}
