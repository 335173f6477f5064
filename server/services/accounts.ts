// Accounts (tenants) and their unique owner, created together.

import { DEFAULT_PASSWORD_POLICY, minimumLength, passwordProblems } from '../../shared/password-policy.js';
import type { Dialect } from '../db/dialect.js';
import type { Db } from '../db/index.js';
import { indexInsertedUsers } from '../db/user-index.js';
import { conflict, validationFailed } from '../errors.js';
import { seedRoleCatalog } from './access.js';
import type { AuditLog } from './audit.js';
import { generatePassword, hashPassword } from './passwords.js';
import { emitUserEvents } from './user-events.js';
import { derivedColumns } from './user-presenter.js';

export interface NewAccount {
  name: string;
  slug?: string;
  owner: { username: string; email?: string; firstName?: string; lastName?: string };
}

export interface CreatedAccount {
  account: { id: number; slug: string; name: string };
  owner: { id: number; username: string };
  /** Shown once: the owner must replace it at first sign-in. */
  oneTimePassword: string;
}

export function slugify(name: string): string {
  return (
    name
      .normalize('NFD')
      .replace(/\p{M}/gu, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'account'
  );
}

export class Accounts {
  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
    private readonly audit: AuditLog,
    private readonly now: () => Date,
  ) {}

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom('accounts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async bySlug(slug: string) {
    return this.db.selectFrom('accounts').selectAll().where('slug', '=', slug).executeTakeFirst();
  }

  async first() {
    return this.db.selectFrom('accounts').selectAll().orderBy('id').limit(1).executeTakeFirst();
  }

  /** Creates an account with its owner (an admin who must choose a password at first sign-in). */
  async create(input: NewAccount): Promise<CreatedAccount> {
    const name = input.name.trim();
    if (!name) throw validationFailed([{ path: 'name', message: 'Account name is required' }]);
    const slug = slugify(input.slug ?? name);
    const username = input.owner.username.trim().toLowerCase();
    if (!/^[\p{L}\p{N}._@+-]+$/u.test(username)) {
      throw validationFailed([{ path: 'owner.username', message: 'Use letters, digits and . _ @ + - only' }]);
    }
    const owner = { username, email: input.owner.email?.trim() ?? '', accountWords: [slug, name] };
    // The owner's first password meets the default policy, like every password (its standard minimum is 15).
    let oneTimePassword = generatePassword(Math.max(16, minimumLength(DEFAULT_PASSWORD_POLICY)));
    while (passwordProblems(oneTimePassword, owner, DEFAULT_PASSWORD_POLICY).length > 0) {
      oneTimePassword = generatePassword(Math.max(16, minimumLength(DEFAULT_PASSWORD_POLICY)));
    }
    const passwordHash = await hashPassword(oneTimePassword);
    const at = this.now().toISOString();
    return this.db.transaction().execute(async (trx) => {
      if (await trx.selectFrom('accounts').select('id').where('slug', '=', slug).executeTakeFirst()) {
        throw conflict('AccountExists', `An account with the address ${slug} already exists`, [
          { path: 'slug', message: 'Already taken' },
        ]);
      }
      const account = await trx
        .insertInto('accounts')
        .values({ slug, name, owner_user_id: null, default_time_zone: '', created_at: at })
        .returning(['id', 'slug', 'name'])
        .executeTakeFirstOrThrow();
      const values = {
        account_id: account.id,
        username,
        email: input.owner.email?.trim() ?? '',
        first_name: input.owner.firstName?.trim() || 'Account',
        last_name: input.owner.lastName?.trim() || 'Owner',
        phone: '',
        department: '',
        nicknames: '[]',
      };
      const owner = await trx
        .insertInto('users')
        .values({
          ...values,
          access_type: 'admin',
          auth_method: 'password',
          is_owner: 1,
          required_actions: JSON.stringify(['update_password']),
          ...derivedColumns(values),
          created_at: at,
          updated_at: at,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await indexInsertedUsers(trx, this.dialect, [owner]);
      await trx
        .insertInto('user_credentials')
        .values({ user_id: owner.id, password_hash: passwordHash, temporary: 1, updated_at: at })
        .execute();
      await trx.updateTable('accounts').set({ owner_user_id: owner.id }).where('id', '=', account.id).execute();
      await seedRoleCatalog(trx, account.id, at);
      const created = { accountId: account.id, userId: owner.id, type: 'user.created' as const };
      await emitUserEvents(trx, this.dialect, [created], at);
      await this.audit.record(trx, {
        accountId: account.id,
        actor: null,
        action: 'account.create',
        target: { type: 'account', id: account.id, label: name },
        after: { name, slug, owner: username },
      });
      return { account, owner: { id: owner.id, username: owner.username }, oneTimePassword };
    });
  }
}
