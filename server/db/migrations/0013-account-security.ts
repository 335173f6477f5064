// Account security: mail (settings and an outbox written in the change's own transaction), single-use links,
// password history, one-time-password devices and recovery codes, identity providers for single sign-on and the
// users bound to them, and sessions that still wait for a second factor.
import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations do not know today's schema.
type Db = Kysely<any>;

export async function up(db: Db, dialect: Dialect): Promise<void> {
  const pg = dialect === 'postgres';
  const id = (col: ColumnDefinitionBuilder) =>
    pg ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement();
  const timestamp = pg ? 'timestamptz' : 'text';
  const account = (col: ColumnDefinitionBuilder) => col.notNull().references('accounts.id').onDelete('cascade');
  const user = (col: ColumnDefinitionBuilder) => col.notNull().references('users.id').onDelete('cascade');

  await db.schema
    .createTable('account_security')
    .addColumn('account_id', 'integer', (col) => col.primaryKey().references('accounts.id').onDelete('cascade'))
    // The account's password policy as JSON; what it leaves out takes the defaults (shared/password-policy).
    .addColumn('password_policy', 'text', (col) => col.notNull().defaultTo('{}'))
    .addColumn('require_admin_otp', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('invitation_hours', 'integer', (col) => col.notNull().defaultTo(72))
    // SMTP for this account; none set = the server's (environment), or else the outbox only.
    .addColumn('smtp_host', 'text')
    .addColumn('smtp_port', 'integer')
    .addColumn('smtp_security', 'text')
    .addColumn('smtp_user', 'text')
    .addColumn('smtp_password', 'text')
    .addColumn('mail_from', 'text')
    .addColumn('updated_at', timestamp, (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('mail_outbox')
    .addColumn('id', 'integer', id)
    .addColumn('account_id', 'integer', account)
    .addColumn('user_id', 'integer', (col) => col.references('users.id').onDelete('set null'))
    .addColumn('to_address', 'text', (col) => col.notNull())
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('language', 'text', (col) => col.notNull())
    .addColumn('subject', 'text', (col) => col.notNull())
    .addColumn('text_body', 'text', (col) => col.notNull())
    .addColumn('html_body', 'text', (col) => col.notNull())
    // The single-use link the mail carries, while nobody has received it; removed once the mail is delivered.
    .addColumn('link', 'text')
    .addColumn('status', 'text', (col) => col.notNull().defaultTo('queued'))
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('next_attempt_at', timestamp, (col) => col.notNull())
    .addColumn('claimed_until', timestamp)
    .addColumn('last_error', 'text')
    .addColumn('created_at', timestamp, (col) => col.notNull())
    .addColumn('sent_at', timestamp)
    .execute();
  await db.schema.createIndex('mail_outbox_due').on('mail_outbox').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('mail_outbox_account').on('mail_outbox').columns(['account_id', 'id']).execute();

  // Single-use links (invitations, password resets, email verification): only a hash of the token is kept.
  await db.schema
    .createTable('user_tokens')
    .addColumn('token_hash', 'text', (col) => col.primaryKey())
    .addColumn('account_id', 'integer', account)
    .addColumn('user_id', 'integer', user)
    .addColumn('purpose', 'text', (col) => col.notNull())
    // The address a verification link was sent to: it verifies that address only.
    .addColumn('email', 'text')
    .addColumn('created_at', timestamp, (col) => col.notNull())
    .addColumn('expires_at', timestamp, (col) => col.notNull())
    .addColumn('used_at', timestamp)
    .addColumn('created_by', 'integer')
    .execute();
  await db.schema.createIndex('user_tokens_user').on('user_tokens').columns(['user_id', 'purpose']).execute();

  await db.schema
    .createTable('password_history')
    .addColumn('id', 'integer', id)
    .addColumn('user_id', 'integer', user)
    .addColumn('password_hash', 'text', (col) => col.notNull())
    .addColumn('created_at', timestamp, (col) => col.notNull())
    .execute();
  await db.schema.createIndex('password_history_user').on('password_history').columns(['user_id', 'id']).execute();

  // A TOTP device (RFC 6238): `secret` once the user has entered one code from it, `pending_secret` while a new one
  // (first or replacement) waits for its first code. The last step accepted is kept so no code is accepted twice.
  await db.schema
    .createTable('user_otp')
    .addColumn('user_id', 'integer', (col) => col.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('secret', 'text')
    .addColumn('pending_secret', 'text')
    .addColumn('confirmed_at', timestamp)
    .addColumn('last_step', 'bigint', (col) => col.notNull().defaultTo(0))
    .addColumn('created_at', timestamp, (col) => col.notNull())
    .execute();
  await db.schema
    .createTable('user_recovery_codes')
    .addColumn('id', 'integer', id)
    .addColumn('user_id', 'integer', user)
    .addColumn('code_hash', 'text', (col) => col.notNull())
    .addColumn('used_at', timestamp)
    .execute();
  await db.schema.createIndex('user_recovery_codes_user').on('user_recovery_codes').column('user_id').execute();

  await db.schema
    .createTable('identity_providers')
    .addColumn('id', 'integer', id)
    .addColumn('account_id', 'integer', account)
    .addColumn('slug', 'text', (col) => col.notNull())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('issuer', 'text', (col) => col.notNull())
    .addColumn('client_id', 'text', (col) => col.notNull())
    .addColumn('client_secret', 'text', (col) => col.notNull())
    .addColumn('scopes', 'text', (col) => col.notNull().defaultTo('openid email profile'))
    .addColumn('username_claim', 'text', (col) => col.notNull().defaultTo('email'))
    // Link an existing user by email, only when the provider says the email is verified.
    .addColumn('link_verified_email', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('create_users', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('new_user_access_type', 'text', (col) => col.notNull().defaultTo('standard'))
    .addColumn('enabled', 'integer', (col) => col.notNull().defaultTo(1))
    .addColumn('created_at', timestamp, (col) => col.notNull())
    .addColumn('updated_at', timestamp, (col) => col.notNull())
    .addUniqueConstraint('identity_providers_slug', ['account_id', 'slug'])
    .execute();
  // A user is bound to the provider's (issuer, subject) pair: the subject never changes, an email may.
  await db.schema
    .createTable('user_identities')
    .addColumn('provider_id', 'integer', (col) => col.notNull().references('identity_providers.id').onDelete('cascade'))
    .addColumn('subject', 'text', (col) => col.notNull())
    .addColumn('user_id', 'integer', user)
    .addColumn('created_at', timestamp, (col) => col.notNull())
    .addColumn('last_used_at', timestamp)
    .addPrimaryKeyConstraint('user_identities_pk', ['provider_id', 'subject'])
    .addUniqueConstraint('user_identities_user', ['provider_id', 'user_id'])
    .execute();
  // A sign-in through a provider in flight: state (hashed), PKCE verifier and nonce, for ten minutes.
  await db.schema
    .createTable('sso_flows')
    .addColumn('state_hash', 'text', (col) => col.primaryKey())
    .addColumn('provider_id', 'integer', (col) => col.notNull().references('identity_providers.id').onDelete('cascade'))
    .addColumn('code_verifier', 'text', (col) => col.notNull())
    .addColumn('nonce', 'text', (col) => col.notNull())
    .addColumn('created_at', timestamp, (col) => col.notNull())
    .addColumn('expires_at', timestamp, (col) => col.notNull())
    .execute();

  // A session that still waits for a one-time code may do nothing else ('otp'); null = fully signed in.
  await db.schema.alterTable('sessions').addColumn('pending_step', 'text').execute();
  // How the session was opened (password, otp, recovery code, single sign-on): shown with the user's sessions.
  await db.schema
    .alterTable('sessions')
    .addColumn('method', 'text', (col) => col.notNull().defaultTo('password'))
    .execute();
}

export async function down(db: Db, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('sessions').dropColumn('method').execute();
  await db.schema.alterTable('sessions').dropColumn('pending_step').execute();
  for (const table of [
    'sso_flows',
    'user_identities',
    'identity_providers',
    'user_recovery_codes',
    'user_otp',
    'password_history',
    'user_tokens',
    'mail_outbox',
    'account_security',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
