// Failed sign-ins counted per client address in a window, shared by every serving process: a client that guesses
// across many usernames is slowed down whatever user it tries.
import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations do not know today's schema.
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('sign_in_throttle')
    .addColumn('client', 'text', (col) => col.primaryKey())
    .addColumn('window_started_at', dialect === 'postgres' ? 'timestamptz' : 'text', (col) => col.notNull())
    .addColumn('failures', 'integer', (col) => col.notNull())
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: migrations do not know today's schema.
export async function down(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema.dropTable('sign_in_throttle').execute();
}
