// The user list: keyset pages over indexed sorts, searches with highlights and totals, filters by facets, groups and
// licenses, and the ids a bulk action or an export selects. One contract (terms, filters, sort, cursor -> page,
// highlights, total); how a search reads its page and counts its total is its database's adapter's (sqlite.ts,
// postgres.ts, see contract.ts).
import { type SelectQueryBuilder, sql } from 'kysely';
import type { UserFilter, UserListQuery } from '../../shared/schemas.js';
import { searchTerms } from '../../shared/search-text.js';
import type { DatabaseHandle, Db } from '../db/index.js';
import type { Database } from '../db/schema/index.js';
import { accountUserCount } from '../db/user-index.js';
import { forbidden, validationFailed } from '../errors.js';
import { type Actor, authorize, userScope } from '../policy.js';
import {
  type Highlights,
  highlightsFor,
  presentUserFor,
  searchField,
  type UserRow,
} from '../services/user-presenter.js';
import {
  type Column,
  type CountedQuery,
  DEFAULT_TUNING,
  type FacetTest,
  type Fetched,
  type MemberSet,
  type Order,
  type Restriction,
  type Scope,
  type SearchAdapter,
  type SearchTuning,
  type UsersQuery,
  type Value,
  type WhereOptions,
} from './contract.js';
import { termForm } from './form.js';
import { decodeCursor, encodeCursor, flip, pageReader, SORT_COLUMNS } from './order.js';
import { PostgresSearch } from './postgres.js';
import { SqliteSearch } from './sqlite.js';

export { DEFAULT_TUNING, type SearchTuning } from './contract.js';

export interface UserListPage {
  items: (ReturnType<typeof presentUserFor> & { highlights: Highlights })[];
  total: number;
  totalExact: boolean;
  nextCursor: string | null;
  prevCursor: string | null;
}

/** A user filter's group must be one of the account's (refused as `field` otherwise, whether it exists or not). */
export async function assertGroupOfAccount(db: Db, accountId: number, groupId: number, field: string): Promise<void> {
  const group = await db
    .selectFrom('groups')
    .select('id')
    .where('id', '=', groupId)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  if (!group) throw validationFailed([{ path: field, message: 'No such group in your account' }]);
}

/** The caller may list and manage the account's users (the policy table's `users.manage`). */
export function assertCanManageUsers(actor: Actor): void {
  authorize(actor, 'users.manage', 'account', { accountId: actor.accountId }, () =>
    forbidden(actor.accessType === 'admin' ? 'Your profile does not allow managing users' : 'Only admins manage users'),
  );
}

/** The departments a profile-limited admin manages, or null when every user is in reach. */
export function scopedDepartments(actor: Actor): string[] | null {
  const scope = userScope(actor);
  return typeof scope === 'object' ? scope.departments : null;
}

/** The search adapter of the handle's database. */
export function searchAdapter(handle: DatabaseHandle, tuning: SearchTuning = DEFAULT_TUNING): SearchAdapter {
  if (handle.dialect === 'postgres') return new PostgresSearch(handle.db, tuning);
  if (!handle.sqlite) throw new Error('A SQLite handle without its connection');
  return new SqliteSearch(handle.db, handle.sqlite, tuning);
}

export class UserList {
  readonly search: SearchAdapter;
  private readonly db: Db;

  constructor(
    handle: DatabaseHandle,
    private readonly now: () => Date,
    private readonly tuning: SearchTuning = DEFAULT_TUNING,
  ) {
    this.db = handle.db;
    this.search = searchAdapter(handle, tuning);
  }

  /** Reads the account's search sample now (PostgreSQL; searches otherwise read it in the background). */
  readSearchSample(accountId: number): Promise<void> {
    return this.search.readSample(accountId);
  }

  async list(actor: Actor, query: UserListQuery): Promise<UserListPage> {
    assertCanManageUsers(actor);
    const sort = query.sort ?? 'name';
    const order = query.order ?? 'asc';
    const limit = query.limit ?? 25;
    const columns = SORT_COLUMNS[sort];
    const cursor = query.cursor ? decodeCursor(query.cursor, columns) : null;
    const terms = searchTerms(query.q);

    const scope = await this.scope(actor.accountId, query, terms, scopedDepartments(actor));
    if (scope === 'none') return { items: [], total: 0, totalExact: true, nextCursor: null, prevCursor: null };

    // Walking backwards (previous page, last page) reads the index in reverse and flips the rows back.
    const backwards = cursor?.direction === 'prev' || (!cursor && query.last === true);
    const walk = backwards ? flip(order) : order;
    const fetched = await this.fetchRows(scope, columns, cursor?.values ?? null, walk, limit + 1);
    const cap = this.search.countCap;
    const rows = fetched.rows;
    const total =
      fetched.counted !== undefined
        ? { count: fetched.counted, exact: true }
        : (fetched.atLeast ?? 0) > cap
          ? { count: cap, exact: false }
          : await scope.total(fetched.filled, fetched.stretch);
    const more = rows.length > limit;
    const page = rows.slice(0, limit);
    if (backwards) page.reverse();

    const first = page[0];
    const last = page[page.length - 1];
    const atStart = backwards ? !more : !cursor;
    const atEnd = backwards ? !cursor || query.last === true : !more;
    return {
      items: page.map((row) => {
        const user = presentUserFor(actor, row, this.now());
        return { ...user, highlights: highlightsFor(user, terms) };
      }),
      total: total.count,
      totalExact: total.exact,
      nextCursor: !atEnd && last ? encodeCursor(columns, last, 'next') : null,
      prevCursor: !atStart && first ? encodeCursor(columns, first, 'prev') : null,
    };
  }

  /** Up to `n` rows after `after` in the walking order, by the scope's plan. */
  private async fetchRows(
    scope: Scope,
    columns: Column[],
    after: Value[] | null,
    walk: Order,
    n: number,
  ): Promise<Fetched> {
    const reader = pageReader(this.search, this.db, scope, columns, walk);
    if (scope.plan === 'candidates') return { rows: await reader.candidates(after, n), filled: false };
    if (scope.plan === 'window') return this.search.window(reader, after, n);
    const sorted = (where: (q: UsersQuery) => UsersQuery) =>
      after
        ? this.search.pastCursor(reader, where, after)
        : reader.ordered(where(this.db.selectFrom('users'))).selectAll('users');
    if (scope.filtered && !scope.filtered.columns.includes(columns[0] as Column)) {
      const rows = await this.search.walkKept(scope.filtered, scope.where, sorted, n);
      if (rows) return { rows, filled: true };
    }
    const rows = (await sorted(scope.where).limit(n).execute()) as UserRow[];
    return { rows, filled: true };
  }

  /**
   * Refuses a filter naming a group that is not one of the account's: a streamed download checks it before its first
   * byte, since a later error could no longer change the response's status.
   */
  async assertFilter(actor: Actor, filter: UserFilter): Promise<void> {
    assertCanManageUsers(actor);
    if (filter.groupId !== undefined) await assertGroupOfAccount(this.db, actor.accountId, filter.groupId, 'groupId');
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

  /**
   * Ids of every user the list's filters and search match (all pages, within the actor's reach), in id order: the
   * selection of a bulk action "on everything this filter matches". `field` is where the request holds the filter,
   * for the path an error names.
   */
  async matchingIds(actor: Actor, filter: UserFilter, field = 'selection.filter.'): Promise<number[]> {
    assertCanManageUsers(actor);
    const scope = await this.scope(actor.accountId, filter, searchTerms(filter.q), scopedDepartments(actor), field);
    if (scope === 'none') return [];
    // The index's candidates when a search has them, else the filters and term tests row by row.
    const restrict = scope.plan === 'walk' ? scope.where : scope.candidates;
    const rows = await restrict(this.db.selectFrom('users')).select('users.id').orderBy('users.id').execute();
    return rows.map((row) => row.id);
  }

  /** What the list's filters and terms keep of the account's users, as conditions on queries of users. */
  private restriction(accountId: number, terms: string[], facets: FacetTest[], sets: MemberSet[]): Restriction {
    const filters = (q: UsersQuery, options: WhereOptions = {}) =>
      facets.reduce(
        (out, { column, op, value }) => out.where(`users.${column}`, op, value as never),
        q.where(this.search.inAccount(accountId, options.pinAccountIndex === true)),
      );
    const inSets = <Q extends UsersQuery>(q: Q, except?: MemberSet) =>
      sets.reduce((out, set) => (set === except ? out : (out.where(set.test) as Q)), q);
    const cap = this.search.countCap;
    const countAtMost = (query: CountedQuery, limit: number) =>
      this.countRows(query.select(sql.lit(1).as('one')).limit(limit));
    const upToCap = (count: number) => (count > cap ? { count: cap, exact: false } : { count, exact: true });
    return {
      accountId,
      terms,
      facets,
      sets,
      filters,
      inSets,
      // Candidate plans (the account index pinned away) reach the search index through the term tests.
      where: (q, options = {}) => {
        let out = inSets(filters(q, options), options.except);
        const indexing = options.indexing ?? (options.pinAccountIndex ? 'index' : 'rows');
        for (const test of this.search.termTests(terms, indexing)) out = out.where(test);
        return out;
      },
      countAtMost,
      countUpTo: async (query) => upToCap(await countAtMost(query, cap + 1)),
      upToCap,
      departmentMatches: async () => {
        if (sets.length > 0 || terms.length === 0) return 0;
        const forms = terms.map(termForm);
        const rows = await this.keptFacets(accountId, facets)
          .select('department')
          .select((eb) => eb.fn.sum<number>('n').as('n'))
          .where('department', '<>', '')
          .groupBy('department')
          .execute();
        let held = 0;
        for (const row of rows) {
          const field = searchField(row.department);
          if (forms.every((form) => field.includes(form))) held += Number(row.n);
        }
        return held;
      },
    };
  }

  /** The filter + search restriction of a list, and how to count it. */
  private async scope(
    accountId: number,
    filter: UserFilter,
    terms: string[],
    departments: string[] | null,
    field = '',
  ): Promise<Scope | 'none'> {
    const members = await this.memberSets(accountId, filter, field);
    if (members === 'none') return 'none';
    const facets = facetTests(filter, departments);
    const restriction = this.restriction(accountId, terms, facets, members.sets);
    const { where, filters, countUpTo, upToCap } = restriction;
    const unused = (q: UsersQuery) => q;

    if (members.driver) {
      // A small group or license: its members are fetched and sorted (with or without a search, whose terms are
      // then tested on their rows), so the account's sort index is never walked looking for them.
      const inDriver = this.search.idIn(members.driver);
      const candidates = (q: UsersQuery) => where(q, { pinAccountIndex: true, indexing: 'rows' }).where(inDriver);
      // Exact: there are no more candidates than the cap.
      const total = async () => {
        const row = await candidates(this.db.selectFrom('users'))
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow();
        return { count: Number(row.n), exact: true };
      };
      return { plan: 'candidates', where, filters, candidates, total };
    }
    if (terms.length === 0 && members.sets.length > 0) {
      // Large groups or licenses: a window of the sort index usually holds enough of them; when they cluster
      // elsewhere, the members past the window are sorted instead.
      const first = members.sets[0] as MemberSet;
      const candidates = (q: UsersQuery) => where(q, { pinAccountIndex: true }).where(first.inSet);
      const alone = members.sets.length === 1 && facets.length === 0;
      const cap = this.search.countCap;
      const total = async () => {
        // Alone, a set's size is the total, counted in its own table.
        if (alone) return upToCap(first.counted > cap ? first.counted : await first.size(cap + 1));
        // Either side is read no further than a budget: the users the other filters leave, when they are few (the
        // planner starts from their index), else the set's first members; past them the count means "at least".
        const budget = this.tuning.setCountBudget ?? DEFAULT_TUNING.setCountBudget ?? 0;
        const users = this.db.selectFrom('users');
        if ((await this.facetCount(accountId, facets)) <= budget) return countUpTo(where(users));
        const counted = await countUpTo(
          where(users, { pinAccountIndex: true, except: first }).where(first.inFirst(budget)),
        );
        if (!counted.exact || (await first.size(budget + 1)) <= budget) return counted;
        return { count: counted.count, exact: false };
      };
      return { plan: 'window', where, filters, candidates, total };
    }
    if (terms.length === 0) {
      const kept = await this.facetCount(accountId, facets);
      const total = async () => ({ count: kept, exact: true });
      const filtered =
        facets.length > 0
          ? {
              accountId,
              kept,
              users: await accountUserCount(this.db, accountId),
              columns: facets.map((test) => test.column),
            }
          : undefined;
      return { plan: 'walk', where, filters, candidates: unused, total, filtered };
    }
    // Every user's document tested: the sort index walked for the page, all of them for the total.
    const scanned: Scope = {
      where,
      filters,
      plan: 'walk',
      candidates: unused,
      total: () => countUpTo(where(this.db.selectFrom('users'))),
    };
    // A small account is searched that way, since the search index's lists hold every account's users.
    const scanUsers = this.search.scanUsers;
    if (scanUsers > 0 && (await accountUserCount(this.db, accountId)) <= scanUsers) return scanned;
    return this.search.search({ restriction, scanned });
  }

  /**
   * The group and license filters as sets of user ids, each read from its own table (an unknown group, or one of
   * another account, is refused as `field` + groupId). `driver`: the ids of the first set (the group, then the
   * license) that holds no more users than a list may fetch and sort; then the query starts from them.
   */
  private async memberSets(
    accountId: number,
    filter: UserFilter,
    field: string,
  ): Promise<{ sets: MemberSet[]; driver: number[] | null } | 'none'> {
    const sets: MemberSet[] = [];
    if (filter.groupId !== undefined) {
      const groupId = filter.groupId;
      await assertGroupOfAccount(this.db, accountId, groupId, `${field}groupId`);
      sets.push(
        this.memberSet(
          () => this.db.selectFrom('group_members').select('user_id').where('group_id', '=', groupId),
          sql<boolean>`exists (select 1 from group_members m where m.group_id = ${groupId} and m.user_id = users.id)`,
        ),
      );
    }
    if (filter.license !== undefined) {
      const app = filter.license;
      sets.push(
        this.memberSet(
          () =>
            this.db
              .selectFrom('user_licenses')
              .select('user_id')
              .where('account_id', '=', accountId)
              .where('app', '=', app),
          sql<boolean>`exists (select 1 from user_licenses l where l.user_id = users.id and l.app = ${app})`,
        ),
      );
    }
    // Groups are usually the smaller set, so they are read first and a large license is then never read.
    const fetchable = Math.min(this.tuning.selectiveCandidates, this.search.countCap);
    for (const set of sets) {
      set.counted = await set.size(fetchable + 1);
      if (set.counted === 0) return 'none';
      if (set.counted <= fetchable) return { sets, driver: await set.ids(fetchable) };
    }
    return { sets, driver: null };
  }

  /** A set of users read from its own table (`members` selects their ids); `test` checks one row against it. */
  private memberSet(
    members: () => SelectQueryBuilder<Database, 'group_members' | 'user_licenses', { user_id: number }>,
    test: ReturnType<typeof sql<boolean>>,
  ): MemberSet {
    return {
      counted: 0,
      test,
      inSet: sql<boolean>`users.id in ${members()}`,
      inFirst: (limit) => sql<boolean>`users.id in ${members().limit(limit)}`,
      ids: async (limit) => (await members().limit(limit).execute()).map((row) => row.user_id),
      size: (limit) => this.countRows(members().limit(limit)),
    };
  }

  private async countRows(q: CountedQuery): Promise<number> {
    const row = await this.db
      .selectFrom(q.as('rows'))
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** The account's users the row filters keep, from its counts by facet. */
  private async facetCount(accountId: number, facets: FacetTest[]): Promise<number> {
    const row = await this.keptFacets(accountId, facets)
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('n'), sql.lit(0)).as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** The account's counts by facet that the row filters keep. */
  private keptFacets(accountId: number, facets: FacetTest[]) {
    return facets.reduce(
      (q, { column, op, value }) => q.where(column, op, value as never),
      this.db.selectFrom('user_facets').where('account_id', '=', accountId),
    );
  }

  async facets(actor: Actor) {
    assertCanManageUsers(actor);
    const inScope = scopedDepartments(actor);
    let query = this.db
      .selectFrom('user_facets')
      .select(['department', 'source', 'n'])
      .where('account_id', '=', actor.accountId)
      .where('n', '>', 0);
    if (inScope) query = query.where('department', 'in', inScope);
    const rows = await query.execute();
    const departments = [...new Set(rows.map((r) => r.department).filter((d) => d !== ''))].sort();
    const sources = [...new Set(rows.map((r) => r.source))].sort();
    return { departments, sources, total: rows.reduce((sum, r) => sum + Number(r.n), 0) };
  }
}

/** The row filters of a list, with the departments an admin's profile limits Users to (see scopedDepartments). */
function facetTests(filter: UserFilter, departments: string[] | null): FacetTest[] {
  const tests: FacetTest[] = [];
  if (departments) tests.push({ column: 'department', op: 'in', value: departments });
  if (filter.accessType) tests.push({ column: 'access_type', op: '=', value: filter.accessType });
  if (filter.status) tests.push({ column: 'status', op: '=', value: filter.status });
  if (filter.enabled !== undefined) tests.push({ column: 'enabled', op: '=', value: filter.enabled ? 1 : 0 });
  if (filter.department !== undefined) tests.push({ column: 'department', op: '=', value: filter.department });
  if (filter.source) tests.push({ column: 'source', op: '=', value: filter.source });
  return tests;
}
