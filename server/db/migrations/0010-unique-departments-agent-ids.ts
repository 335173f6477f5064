// Department names are unique per account ignoring case and accents ("ventas" is "Ventas"), through a folded key; an
// Agent ID (which matches agents to their calls) is unique per account. Existing data is kept readable: departments
// that already differ only by case keep their own (suffixed) keys, and an Agent ID held by several users stays with
// the first of them and is cleared on the others, each clearing written to the audit log.
import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../dialect.js';

/** The folded form of a department name; the departments service folds names the same way. */
function fold(name: string): string {
  return name.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();
}

// biome-ignore lint/suspicious/noExplicitAny: migrations do not know today's schema.
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .alterTable('departments')
    .addColumn('name_key', 'text', (col) => col.notNull().defaultTo(''))
    .execute();
  const departments = (await db
    .selectFrom('departments')
    .select(['id', 'account_id', 'name'])
    .orderBy('account_id')
    .orderBy('id')
    .execute()) as { id: number; account_id: number; name: string }[];
  const seen = new Set<string>();
  for (const department of departments) {
    const key = fold(department.name);
    const unique = `${department.account_id}\u0000${key}`;
    // The oldest keeps the key (new users typed in any case join it); later look-alikes stay apart until merged.
    const nameKey = seen.has(unique) ? `${key}#${department.id}` : key;
    seen.add(unique);
    await db.updateTable('departments').set({ name_key: nameKey }).where('id', '=', department.id).execute();
  }
  await db.schema
    .createIndex('departments_account_name_key')
    .on('departments')
    .columns(['account_id', 'name_key'])
    .unique()
    .where(sql.ref('name_key'), '<>', '')
    .execute();

  const duplicates = (await db
    .selectFrom('users as u')
    .innerJoin(
      (eb) =>
        eb
          .selectFrom('users')
          .select(['account_id', 'agent_id', (e) => e.fn.min('id').as('keep')])
          .where('agent_id', '<>', '')
          .groupBy(['account_id', 'agent_id'])
          .having((e) => e.fn.countAll(), '>', 1)
          .as('d'),
      (join) => join.onRef('d.account_id', '=', 'u.account_id').onRef('d.agent_id', '=', 'u.agent_id'),
    )
    .select(['u.id', 'u.account_id', 'u.username', 'u.agent_id'])
    .whereRef('u.id', '<>', 'd.keep')
    .execute()) as { id: number; account_id: number; username: string; agent_id: string }[];
  const at = new Date().toISOString();
  for (const user of duplicates) {
    await db.updateTable('users').set({ agent_id: '' }).where('id', '=', user.id).execute();
    await db
      .insertInto('audit_events')
      .values({
        account_id: user.account_id,
        at,
        actor_user_id: null,
        actor_username: 'roster',
        action: 'user.update',
        target_type: 'user',
        target_id: String(user.id),
        target_label: user.username,
        before_json: JSON.stringify({ agentId: user.agent_id }),
        after_json: JSON.stringify({ agentId: '', reason: 'Agent ID already held by another user' }),
        ip: null,
      })
      .execute();
  }
  await db.schema
    .createIndex('users_account_agent_id')
    .on('users')
    .columns(['account_id', 'agent_id'])
    .unique()
    .where(sql.ref('agent_id'), '<>', '')
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: migrations do not know today's schema.
export async function down(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema.dropIndex('users_account_agent_id').execute();
  await db.schema.dropIndex('departments_account_name_key').execute();
  await db.schema.alterTable('departments').dropColumn('name_key').execute();
}
