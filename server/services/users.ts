// The user directory: list and search (keyset pages over indexed sorts), create, edit, delete, export.
import {
  type Expression,
  type ExpressionBuilder,
  type SelectQueryBuilder,
  type SqlBool,
  sql,
  type Updateable,
} from 'kysely';
import { COUNT_CAP, type UserSort } from '../../shared/constants.js';
import type { UserCreate, UserFilter, UserListQuery, UserUpdate } from '../../shared/schemas.js';
import { searchTerms } from '../../shared/search-text.js';
import type { DatabaseHandle, Db } from '../db/index.js';
import type { Database } from '../db/schema/index.js';
import { UserSearch } from '../db/user-search.js';
import { AppError, conflict, forbidden, notFound, validationFailed } from '../errors.js';
import { type Actor, canOnAccount, canOnUser } from '../policy.js';
import { type AuditLog, diff } from './audit.js';
import { describeProblems, hashPassword, policyProblems } from './passwords.js';
import {
  auditSnapshot,
  derivedColumns,
  type Highlights,
  highlightsFor,
  presentUserFor,
  type UserRow,
} from './user-presenter.js';

type Column = keyof Database['users'] & string;

/** Keyset columns of each sort; the last one is unique within an account. */
const SORT_COLUMNS: Record<UserSort, Column[]> = {
  name: ['name_key', 'id'],
  lastName: ['name_key', 'id'],
  firstName: ['first_key', 'id'],
  username: ['username'],
  email: ['email', 'id'],
  phone: ['phone', 'id'],
  department: ['department', 'id'],
  accessType: ['access_type', 'id'],
  authMethod: ['auth_method', 'id'],
  status: ['status', 'id'],
  enabled: ['enabled', 'id'],
  createdAt: ['created_at', 'id'],
};

/**
 * Up to this many search candidates are fetched and sorted; above it, walking the sort index finds a page sooner
 * (the two cost the same near sqrt(25 x 1,000,000) = 5,000).
 */
const SELECTIVE_CANDIDATES = 5000;

const exactUpTo = (n: number) => (n > COUNT_CAP ? { count: COUNT_CAP, exact: false } : { count: n, exact: true });

interface Cursor {
  values: (string | number)[];
  direction: 'next' | 'prev';
}

export interface UserListPage {
  items: (ReturnType<typeof presentUserFor> & { highlights: Highlights })[];
  total: number;
  totalExact: boolean;
  nextCursor: string | null;
  prevCursor: string | null;
}

export interface RequestMeta {
  ip?: string | null;
}

type UsersQuery = SelectQueryBuilder<Database, 'users', object>;

export class UserDirectory {
  private readonly search: UserSearch;
  private readonly db: Db;

  constructor(
    handle: DatabaseHandle,
    private readonly audit: AuditLog,
    private readonly now: () => Date,
  ) {
    this.db = handle.db;
    this.search = new UserSearch(handle);
  }

  assertCanManage(actor: Actor): void {
    if (!canOnAccount(actor, 'users.manage', actor.accountId)) throw forbidden('Only admins manage users');
  }

  async list(actor: Actor, query: UserListQuery): Promise<UserListPage> {
    this.assertCanManage(actor);
    const sort = query.sort ?? 'name';
    const order = query.order ?? 'asc';
    const limit = query.limit ?? 25;
    const columns = SORT_COLUMNS[sort];
    const cursor = query.cursor ? decodeCursor(query.cursor, columns.length) : null;
    const terms = searchTerms(query.q);

    const scope = await this.scope(actor.accountId, query, terms);
    if (scope === 'none') return { items: [], total: 0, totalExact: true, nextCursor: null, prevCursor: null };

    // Walking backwards (previous page, last page) reads the index in reverse and flips the rows back.
    const backwards = cursor?.direction === 'prev' || (!cursor && query.last === true);
    const walk = backwards ? flip(order) : order;
    let q = scope.where(this.db.selectFrom('users')).selectAll('users');
    if (cursor) q = q.where(keysetAfter(columns, cursor.values, walk));
    for (const column of columns) q = q.orderBy(column, walk);
    const rows = (await q.limit(limit + 1).execute()) as UserRow[];
    const more = rows.length > limit;
    const page = rows.slice(0, limit);
    if (backwards) page.reverse();

    const first = page[0];
    const last = page[page.length - 1];
    const atStart = backwards ? !more : !cursor;
    const atEnd = backwards ? !cursor || query.last === true : !more;
    const total = await scope.total();
    return {
      items: page.map((row) => {
        const user = presentUserFor(actor, row);
        return { ...user, highlights: highlightsFor(user, terms) };
      }),
      total: total.count,
      totalExact: total.exact,
      nextCursor: !atEnd && last ? encodeCursor(columns, last, 'next') : null,
      prevCursor: !atStart && first ? encodeCursor(columns, first, 'prev') : null,
    };
  }

  /** Every user matching the filters, in the list's order, read page by page so memory stays flat. */
  async *all(
    actor: Actor,
    query: Omit<UserListQuery, 'cursor' | 'limit' | 'last'>,
  ): AsyncGenerator<UserListPage['items'][number]> {
    let cursor: string | undefined;
    for (;;) {
      const page = await this.list(actor, { ...query, limit: 500, cursor });
      yield* page.items;
      if (!page.nextCursor) return;
      cursor = page.nextCursor;
    }
  }

  /** The filter + search restriction of a list, and how to count it. */
  private async scope(accountId: number, filter: UserFilter, terms: string[]) {
    const where = (q: UsersQuery, options: { pinAccountIndex?: boolean } = {}) => {
      // Unary + keeps SQLite off the account's sort indexes, so it starts from the search candidates instead.
      const account = options.pinAccountIndex ? sql<number>`+users.account_id` : sql.ref<number>('users.account_id');
      let out = q.where(account, '=', accountId);
      if (filter.accessType) out = out.where('users.access_type', '=', filter.accessType);
      if (filter.status) out = out.where('users.status', '=', filter.status);
      if (filter.enabled !== undefined) out = out.where('users.enabled', '=', filter.enabled ? 1 : 0);
      if (filter.department !== undefined) out = out.where('users.department', '=', filter.department);
      if (filter.source) out = out.where('users.source', '=', filter.source);
      for (const term of terms) out = out.where(this.search.termMatches(term));
      return out;
    };
    if (terms.length === 0) {
      return { where, total: async () => ({ count: await this.facetCount(accountId, filter), exact: true }) };
    }
    const candidates = this.search.candidates(accountId, terms);
    if (candidates === 'none') return 'none' as const;
    const capped = async (q: (query: UsersQuery) => UsersQuery) => {
      const inner = q(this.db.selectFrom('users'))
        .select(sql.lit(1).as('one'))
        .limit(COUNT_CAP + 1);
      const row = await this.db
        .selectFrom(inner.as('matches'))
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return exactUpTo(Number(row.n));
    };
    if (!candidates) return { where, total: () => capped(where) };

    const found = await candidates.count(COUNT_CAP);
    // The index count is the answer when it covers every term and no other filter narrows it.
    const indexCounts = terms.every((term) => term.length >= 2) && !hasFacetFilter(filter);
    const inCandidates = (q: UsersQuery) =>
      where(q, { pinAccountIndex: true }).where('users.id', 'in', candidates.ids as never);
    const total = async (fallback: (query: UsersQuery) => UsersQuery) =>
      indexCounts ? exactUpTo(found) : capped(fallback);
    if (found <= SELECTIVE_CANDIDATES) {
      // Selective: fetch the few candidates by id and sort them.
      return { where: inCandidates, total: () => total(inCandidates) };
    }
    // Broad: walk the sort index and test each row; matches are dense, so a page fills quickly.
    return { where, total: () => total(inCandidates) };
  }

  private async facetCount(accountId: number, filter: UserFilter): Promise<number> {
    let q = this.db
      .selectFrom('user_facets')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('n'), sql.lit(0)).as('n'))
      .where('account_id', '=', accountId);
    if (filter.accessType) q = q.where('access_type', '=', filter.accessType);
    if (filter.status) q = q.where('status', '=', filter.status);
    if (filter.enabled !== undefined) q = q.where('enabled', '=', filter.enabled ? 1 : 0);
    if (filter.department !== undefined) q = q.where('department', '=', filter.department);
    if (filter.source) q = q.where('source', '=', filter.source);
    const row = await q.executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async facets(actor: Actor) {
    this.assertCanManage(actor);
    const rows = await this.db
      .selectFrom('user_facets')
      .select(['department', 'source', 'n'])
      .where('account_id', '=', actor.accountId)
      .where('n', '>', 0)
      .execute();
    const departments = [...new Set(rows.map((r) => r.department).filter((d) => d !== ''))].sort();
    const sources = [...new Set(rows.map((r) => r.source))].sort();
    return { departments, sources, total: rows.reduce((sum, r) => sum + Number(r.n), 0) };
  }

  async get(actor: Actor, id: number) {
    const row = await this.findRow(actor.accountId, id);
    if (!row || !canOnUser(actor, 'user.read', subject(row))) throw notFound('User');
    return presentUserFor(actor, row);
  }

  private async findRow(accountId: number, id: number): Promise<UserRow | undefined> {
    return (await this.db
      .selectFrom('users')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .executeTakeFirst()) as UserRow | undefined;
  }

  async create(actor: Actor, input: UserCreate, meta: RequestMeta = {}) {
    this.assertCanManage(actor);
    const authMethod = input.authMethod ?? 'password';
    if (input.password && authMethod === 'sso') {
      throw validationFailed([{ path: 'password', message: 'Single sign-on users have no Roster password' }]);
    }
    if (input.password) assertPolicy(input.password, input.username, 'password');
    const passwordHash = input.password ? await hashPassword(input.password) : null;
    const at = this.now().toISOString();
    const values = {
      account_id: actor.accountId,
      username: input.username,
      email: input.email ?? '',
      email_verified: input.emailVerified ? 1 : 0,
      first_name: input.firstName,
      last_name: input.lastName ?? '',
      phone: input.phone ?? '',
      department: input.department ?? '',
      access_type: input.accessType ?? 'standard',
      auth_method: authMethod,
      enabled: input.enabled === false ? 0 : 1,
      time_zone: input.timeZone ?? '',
      language: input.language ?? '',
      valid_from: input.validFrom ?? null,
      expires_at: input.expiresAt ?? null,
      nicknames: JSON.stringify(input.nicknames ?? []),
      required_actions: JSON.stringify(input.password && input.temporaryPassword ? ['update_password'] : []),
      created_at: at,
      updated_at: at,
    };
    const row = await this.db.transaction().execute(async (trx) => {
      const taken = await trx
        .selectFrom('users')
        .select('id')
        .where('account_id', '=', actor.accountId)
        .where('username', '=', input.username)
        .executeTakeFirst();
      if (taken) throw usernameTaken(input.username);
      const created = (await trx
        .insertInto('users')
        .values({ ...values, ...derivedColumns(values) })
        .returningAll()
        .executeTakeFirstOrThrow()
        .catch((error: unknown) => {
          throw isUniqueViolation(error) ? usernameTaken(input.username) : error;
        })) as UserRow;
      if (passwordHash) {
        await trx
          .insertInto('user_credentials')
          .values({
            user_id: created.id,
            password_hash: passwordHash,
            temporary: input.temporaryPassword ? 1 : 0,
            updated_at: at,
          })
          .execute();
      }
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'user.create',
        target: { type: 'user', id: created.id, label: created.username },
        after: auditSnapshot(created),
        ip: meta.ip,
      });
      return created;
    });
    return presentUserFor(actor, row);
  }

  async update(actor: Actor, id: number, input: UserUpdate, meta: RequestMeta = {}) {
    this.assertCanManage(actor);
    const before = await this.findRow(actor.accountId, id);
    if (!before) throw notFound('User');
    if (!canOnUser(actor, 'user.update', subject(before))) throw forbidden('Only the owner can edit the owner');
    if (before.is_owner === 1) {
      if (input.enabled === false)
        throw conflict('OwnerProtected', 'The owner cannot be disabled', [
          { path: 'enabled', message: 'The owner cannot be disabled' },
        ]);
      if (input.accessType && input.accessType !== 'admin') {
        throw conflict('OwnerProtected', 'The owner stays an admin', [
          { path: 'accessType', message: 'The owner stays an admin' },
        ]);
      }
    }
    const changes: Updateable<Database['users']> = {};
    const set = <K extends keyof UserUpdate>(
      key: K,
      column: Column,
      map: (value: NonNullable<UserUpdate[K]>) => string | number,
    ) => {
      const value = input[key];
      if (value !== undefined && value !== null) {
        (changes as Record<string, unknown>)[column] = map(value as NonNullable<UserUpdate[K]>);
      }
    };
    const text = (value: string) => value;
    set('email', 'email', text);
    set('firstName', 'first_name', text);
    set('lastName', 'last_name', text);
    set('phone', 'phone', text);
    set('department', 'department', text);
    set('accessType', 'access_type', text);
    set('authMethod', 'auth_method', text);
    set('enabled', 'enabled', (value) => (value ? 1 : 0));
    set('emailVerified', 'email_verified', (value) => (value ? 1 : 0));
    set('timeZone', 'time_zone', text);
    set('language', 'language', text);
    set('nicknames', 'nicknames', (value) => JSON.stringify(value));
    if (input.validFrom !== undefined) changes.valid_from = input.validFrom;
    if (input.expiresAt !== undefined) changes.expires_at = input.expiresAt;
    if (changes.email !== undefined && changes.email !== before.email && input.emailVerified === undefined) {
      changes.email_verified = 0;
    }
    const validFrom = changes.valid_from !== undefined ? changes.valid_from : before.valid_from;
    const expiresAt = changes.expires_at !== undefined ? changes.expires_at : before.expires_at;
    if (validFrom && expiresAt && String(validFrom) >= String(expiresAt)) {
      throw validationFailed([{ path: 'expiresAt', message: 'Expiration must be after Valid from' }]);
    }
    const merged = { ...before, ...changes } as UserRow;
    const row = await this.db.transaction().execute(async (trx) => {
      const updated = (await trx
        .updateTable('users')
        .set({ ...changes, ...derivedColumns(merged), updated_at: this.now().toISOString() })
        .where('account_id', '=', actor.accountId)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow()) as UserRow;
      const change = diff(auditSnapshot(before), auditSnapshot(updated));
      if (change.changed) {
        await this.audit.record(trx, {
          accountId: actor.accountId,
          actor,
          action: 'user.update',
          target: { type: 'user', id, label: updated.username },
          before: change.before,
          after: change.after,
          ip: meta.ip,
        });
      }
      return updated;
    });
    return presentUserFor(actor, row);
  }

  async remove(actor: Actor, id: number, meta: RequestMeta = {}): Promise<void> {
    this.assertCanManage(actor);
    const row = await this.findRow(actor.accountId, id);
    if (!row) throw notFound('User');
    if (row.is_owner === 1) throw conflict('OwnerProtected', 'The owner cannot be deleted');
    if (row.id === actor.userId) throw conflict('CannotDeleteSelf', 'You cannot delete yourself');
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('users').where('account_id', '=', actor.accountId).where('id', '=', id).execute();
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'user.delete',
        target: { type: 'user', id, label: row.username },
        before: auditSnapshot(row),
        ip: meta.ip,
      });
    });
  }
}

function subject(row: UserRow) {
  return { id: row.id, accountId: row.account_id, isOwner: row.is_owner === 1 };
}

function hasFacetFilter(filter: UserFilter): boolean {
  return [filter.accessType, filter.status, filter.enabled, filter.department, filter.source].some(
    (v) => v !== undefined,
  );
}

export function assertPolicy(password: string, username: string, field: string): void {
  const problems = policyProblems(password, username);
  if (problems.length > 0) {
    const message = describeProblems(problems);
    throw new AppError(400, 'PasswordPolicy', message, [{ path: field, message }]);
  }
}

const usernameTaken = (username: string) =>
  conflict('UsernameTaken', `The username ${username} is already taken`, [
    { path: 'username', message: 'This username is already taken' },
  ]);

export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

const flip = (order: 'asc' | 'desc') => (order === 'asc' ? 'desc' : 'asc');

/** Rows strictly after `values` in the walking order: (c1, c2, ...) > (v1, v2, ...). */
function keysetAfter(columns: Column[], values: (string | number)[], walk: 'asc' | 'desc') {
  return (eb: ExpressionBuilder<Database, 'users'>): Expression<SqlBool> => {
    const left = eb.refTuple(...(columns.map((c) => `users.${c}`) as [never, never]));
    const right = eb.tuple(...(values as [never, never]));
    return columns.length === 1
      ? eb(`users.${columns[0] as Column}`, walk === 'asc' ? '>' : '<', values[0] as never)
      : eb(left, walk === 'asc' ? '>' : '<', right);
  };
}

function encodeCursor(columns: Column[], row: UserRow, direction: 'next' | 'prev'): string {
  return encodeCursorValues(
    columns.map((c) => row[c] as string | number),
    direction,
  );
}

/** A page cursor from the sort key values of the row it starts after (or before, for 'prev'). */
export function encodeCursorValues(values: (string | number)[], direction: 'next' | 'prev'): string {
  const cursor: Cursor = { values, direction };
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(raw: string, length: number): Cursor {
  const invalid = () => validationFailed([{ path: 'cursor', message: 'Invalid cursor for this sort' }]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const cursor = parsed as Cursor;
  if (
    !cursor ||
    !Array.isArray(cursor.values) ||
    cursor.values.length !== length ||
    !cursor.values.every((v) => typeof v === 'string' || typeof v === 'number') ||
    (cursor.direction !== 'next' && cursor.direction !== 'prev')
  ) {
    throw invalid();
  }
  return cursor;
}
