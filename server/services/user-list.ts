// The user list: keyset pages over indexed sorts, searches with highlights and totals, filters by facets, groups and
// licenses, and the ids a bulk action or an export selects. Plans are steered per database by the search adapter
// (server/db/user-search.ts).
import {
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type RawBuilder,
  type SelectQueryBuilder,
  type SqlBool,
  sql,
} from 'kysely';
import { COUNT_CAP, type UserSort } from '../../shared/constants.js';
import { MAX_ID } from '../../shared/ids.js';
import type { UserFilter, UserListQuery } from '../../shared/schemas.js';
import { searchTerms } from '../../shared/search-text.js';
import type { Dialect } from '../db/dialect.js';
import type { DatabaseHandle, Db } from '../db/index.js';
import type { Database } from '../db/schema/index.js';
import { idIn } from '../db/sql-helpers.js';
import { accountUserCount } from '../db/user-index.js';
import { type PlanSteering, type SearchCandidates, type TermIndexing, UserSearch } from '../db/user-search.js';
import { forbidden, validationFailed } from '../errors.js';
import { type Actor, authorize, userScope } from '../policy.js';
import { type Highlights, highlightsFor, presentUserFor, type UserRow } from './user-presenter.js';

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

export interface SearchTuning {
  /** Up to this many search candidates are fetched by id and sorted (about 1 microsecond each on SQLite). */
  selectiveCandidates: number;
  /** How many rows of a sort index a broad search walks before it sorts the candidates past them instead. */
  walkWindow: number;
  /** Members of a large group or license a total tests against the other filters before it answers "at least". */
  setCountBudget?: number;
  /** Rows in name order a dense search's count tests first, to tell how far walking would count (PostgreSQL). */
  countProbe?: number;
  /** Rows in name order a dense search's count walks at most before it reads the trigram index (PostgreSQL). */
  denseCountBudget?: number;
  /** PostgreSQL: accounts of this many users or more are sampled to estimate a search's matches (see UserSearch). */
  sampleMinUsers?: number;
  /** PostgreSQL: a search estimated to match at most this many users sorts its candidates at once. */
  sparseMatches?: number;
  /** Accounts of at most this many users are searched by testing every user (the default: UserSearch.scanUsers). */
  scanUsers?: number;
  /** PostgreSQL: rows of the name index a search walks past its first window per candidate a sort would read. */
  walkedPerSorted?: number;
}

export const DEFAULT_TUNING: SearchTuning = {
  selectiveCandidates: COUNT_CAP,
  walkWindow: 5000,
  setCountBudget: 5000,
  countProbe: 5000,
  denseCountBudget: 50_000,
  walkedPerSorted: 4,
};

type Value = string | number;
type Order = 'asc' | 'desc';

interface Scope {
  plan: 'walk' | 'candidates' | 'window';
  /** Filters and search terms. */
  where: (q: UsersQuery) => UsersQuery;
  /** Filters only (the window's bound is found on the sort index without reading search documents). */
  filters: (q: UsersQuery) => UsersQuery;
  /** Filters, search terms, and the search index's candidates first. */
  candidates: (q: UsersQuery) => UsersQuery;
  /** Whether the page was found by walking a window of the sort index (the matches are dense there). */
  total: (
    plans: PlanSteering,
    filled?: boolean,
    known?: Stretch,
    page?: UserRow[],
  ) => Promise<{ count: number; exact: boolean }>;
  /** A search (plan steering applies) rather than a plain filtered list. */
  searching: boolean;
  /** Candidate ids in name order, when the index alone answers the search (see SearchCandidates). */
  idsInNameOrder?: SearchCandidates['idsInNameOrder'];
  /**
   * PostgreSQL, a search without group or license filters: the terms as one row test, so a window of the name
   * index is walked and its matches counted by one query (see fetchRows).
   */
  hitTest?: RawBuilder<boolean>;
  /**
   * PostgreSQL: the account's sample says the search matches few users (at most SPARSE_MATCHES), so its candidates
   * are sorted at once: a window would most likely hold none of them.
   */
  sparse?: boolean;
  /** PostgreSQL: how many users the account's sample says the search matches (see UserSearch.estimate). */
  estimated?: number;
  /** A list without search terms whose filters test columns of the row: see fetchRows' bounded walk. */
  filtered?: Filtered;
}

/** What a plain list's row filters keep: `kept` of the account's `users`, testing these columns. */
interface Filtered {
  accountId: number;
  kept: number;
  users: number;
  columns: Column[];
}

/**
 * Rows a list fetched; `filled` tells whether a window walk found them (the matches are dense there), and what it
 * learned of the total: `counted` (exact), `atLeast`, or the `stretch` of the name order it walked from the start.
 */
interface Fetched {
  rows: UserRow[];
  filled: boolean;
  counted?: number;
  atLeast?: number;
  stretch?: Stretch;
}

/** The matches among the first `rows` rows of the account in name order (with the list's filters): exactly `hits`. */
interface Stretch {
  rows: number;
  hits: number;
}

/**
 * A dense search's count (PostgreSQL) first tests `countProbe` rows of the account in name order, then walks on, as
 * far as their density says the count passes the cap (with this margin), only if that is no more than
 * `denseCountBudget` rows; else it reads the trigram index. Walking tests a row in about half a microsecond.
 */
const DENSE_MARGIN = 1.2;

/**
 * PostgreSQL, from the account's sample (see UserSearch.estimate): a search estimated to match at most
 * SPARSE_MATCHES users sorts its candidates at once (each a row read, a few microseconds), unless the index would
 * intersect a two-letter term's dozens of posting lists with more than SPARSE_LONGER users of its longer terms (about
 * half a microsecond each). One whose two-letter terms leave more than LONGER_SHARE of the users its longer terms
 * match reads only the longer terms' posting lists, since the two-letter ones cost more than the rows they spare.
 */
const SPARSE_MATCHES = 5000;
const SPARSE_LONGER = 25_000;
const LONGER_SHARE = 0.7;

/**
 * How far past the cap the sample must say a proof's narrower stage reaches for it to be counted, its share of the
 * matches taken this many standard errors low (see total).
 */
const PROOF_MARGIN = 1.5;
const PROOF_DEVIATIONS = 1.65;

/**
 * PostgreSQL, a search the account's sample does not estimate (or with row filters): a window that found some matches
 * but not a page is followed by one this many times as long, when the density of its matches (with a margin) says
 * that stretch holds the rest of the page. An estimated search walks on instead (see walkedPerSorted).
 */
const NEXT_WINDOW_FACTOR = 3;
const NEXT_WINDOW_MARGIN = 1.5;

interface Cursor {
  values: Value[];
  direction: 'next' | 'prev';
}

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

type UsersQuery = SelectQueryBuilder<Database, 'users', object>;

export class UserList {
  private readonly search: UserSearch;
  /** Steers each query of a list on its own (lists that are not searches). */
  private readonly standalone = <T>(fn: (plans: PlanSteering) => Promise<T>): Promise<T> => fn(this.search);
  private readonly db: Db;
  private readonly dialect: Dialect;

  constructor(
    handle: DatabaseHandle,
    private readonly now: () => Date,
    private readonly tuning: SearchTuning = DEFAULT_TUNING,
  ) {
    this.db = handle.db;
    this.dialect = handle.dialect;
    this.search = new UserSearch(handle, { sampleMinUsers: tuning.sampleMinUsers, scanUsers: tuning.scanUsers });
  }

  /** Reads the account's search sample now (PostgreSQL; searches otherwise read it in the background, see UserSearch). */
  readSearchSample(accountId: number): Promise<void> {
    return this.search.readSample(accountId);
  }

  private assertCanManage(actor: Actor): void {
    assertCanManageUsers(actor);
  }

  async list(actor: Actor, query: UserListQuery): Promise<UserListPage> {
    this.assertCanManage(actor);
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
    // A search's queries share one transaction (PostgreSQL); other lists steer each query on its own.
    const { rows, total } = await (scope.searching ? this.search.session.bind(this.search) : this.standalone)(
      async (plans) => {
        const fetched = await this.fetchRows(scope, columns, cursor?.values ?? null, walk, limit + 1, plans);
        const cap = this.search.countCap;
        const total =
          fetched.counted !== undefined
            ? { count: fetched.counted, exact: true }
            : (fetched.atLeast ?? 0) > cap
              ? { count: cap, exact: false }
              : await scope.total(plans, fetched.filled, fetched.stretch, fetched.rows);
        return { rows: fetched.rows, total };
      },
    );
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

  /**
   * Up to `n` rows after `after` in the walking order, by the scope's plan; `filled` tells whether a window walk
   * found them (the matches are dense there).
   */
  private async fetchRows(
    scope: Scope,
    columns: Column[],
    after: Value[] | null,
    walk: Order,
    n: number,
    plans: PlanSteering,
  ): Promise<Fetched> {
    const ordered = <Q extends UsersQuery>(q: Q, sortCandidates = false) => {
      let out = q;
      for (const column of columns) {
        out = (
          sortCandidates ? out.orderBy(this.search.candidateSortKey(column), walk) : out.orderBy(column, walk)
        ) as Q;
      }
      return out;
    };
    const from = (q: UsersQuery, values: Value[] | null) =>
      values ? q.where(keyset(columns, values, walk, 'after')) : q;
    const run = async (q: UsersQuery, count: number) =>
      (await q.selectAll('users').limit(count).execute()) as UserRow[];
    // The rows of these users, in the list's order.
    const rowsOf = async (db: Kysely<Database>, ids: number[]) =>
      ids.length === 0
        ? []
        : ((await ordered(db.selectFrom('users').where('users.id', 'in', ids))
            .selectAll('users')
            .execute()) as UserRow[]);
    // On PostgreSQL the name sort's index carries the search document: a walk that selects ids only is read from
    // the index alone, and only the page's rows are read from the table.
    const runById = async (db: Kysely<Database>, q: UsersQuery, count: number) => {
      if (this.dialect !== 'postgres') return run(q, count);
      return rowsOf(
        db,
        (await q.select('users.id').limit(count).execute()).map((row) => row.id),
      );
    };
    const runCandidates = async (values: Value[] | null, count: number) => {
      if (scope.idsInNameOrder && columns[0] === 'name_key') {
        return rowsOf(this.db, scope.idsInNameOrder(values as [string, number] | null, walk, count));
      }
      return plans.candidatePlan((db) =>
        run(ordered(from(scope.candidates(db.selectFrom('users')), values), true), count),
      );
    };
    // Searches walk sort indexes only (PostgreSQL would otherwise sometimes bitmap-scan a common term).
    const walking = <T>(fn: (db: Kysely<Database>) => Promise<T>) =>
      scope.searching ? plans.walkPlan(fn) : fn(this.db);

    if (scope.plan === 'candidates') return { rows: await runCandidates(after, n), filled: false };
    if (scope.plan === 'walk') {
      const sorted = (db: Kysely<Database>, where: (q: UsersQuery) => UsersQuery) =>
        after && columns.length === 2 && !this.search.boundsRowValues
          ? this.pastTies(db, where, columns as [Column, Column], after, walk)
          : ordered(from(where(db.selectFrom('users')), after)).selectAll('users');
      if (scope.filtered && !scope.filtered.columns.includes(columns[0] as Column)) {
        const rows = await this.walkKept(scope.filtered, scope.where, (where) => sorted(this.db, where), n);
        if (rows) return { rows, filled: true };
      }
      const rows = await walking((db) => sorted(db, scope.where).limit(n).execute() as Promise<UserRow[]>);
      return { rows, filled: true };
    }

    // Candidates past `bound` (and `narrow`), in the walking order: only their sort keys are kept while they are
    // sorted and counted by the same query (not the whole rows, whose documents are long); the page's rows are joined
    // to the few keys that remain. `matches` counts every candidate past the bound.
    const sortedCandidates = (bound: Value[] | null, count: number, narrow?: RawBuilder<boolean>) =>
      plans.candidatePlan(async (db) => {
        let past = from(scope.candidates(db.selectFrom('users')), bound);
        if (narrow) past = past.where(narrow);
        const keys = ordered(past, true)
          .select([...new Set([...columns, 'id' as const])].map((c) => `users.${c}` as const))
          .select(sql<number>`count(*) over ()`.as('matches_past'))
          .limit(count);
        let page = db
          .selectFrom(keys.as('past'))
          .innerJoin('users', 'users.id', 'past.id')
          .selectAll('users')
          .select('past.matches_past');
        for (const column of columns) page = page.orderBy(`users.${column}`, walk);
        const rows = await page.execute();
        return {
          rows: rows.map(({ matches_past: _, ...row }) => row as UserRow),
          matches: Number(rows[0]?.matches_past ?? 0),
        };
      });
    // PostgreSQL, a search the account's sample says matches few users: its candidates are sorted at once (and, on a
    // first page, counted exactly by the same query).
    if (scope.sparse) {
      const sorted = await sortedCandidates(after, n);
      return { rows: sorted.rows, filled: false, counted: after === null ? sorted.matches : undefined };
    }

    // Window: walk at most `walkWindow` rows of the sort index; if that does not fill the page the matches are
    // clustered further on (a surname fragment under "name" order): on PostgreSQL the walk may go on (see windows),
    // then the candidates past it are sorted.
    // A window ends at its last row (`end`); `hits` counts every match in it, when the query counted them.
    type Window = { rows: UserRow[]; end: Value[] | null; hits?: number };
    const walkWindow = async (db: Kysely<Database>, start: Value[] | null, size: number, count: number) => {
      const bound = await ordered(from(scope.filters(db.selectFrom('users')), start))
        .select(columns.map((c) => `users.${c}` as const))
        .offset(size)
        .limit(1)
        .executeTakeFirst();
      const end = bound ? columns.map((c) => (bound as Record<string, Value>)[c] as Value) : null;
      let q = from(scope.where(db.selectFrom('users')), start);
      if (end) q = q.where(keyset(columns, end, walk, 'upTo'));
      return { end, rows: await runById(db, ordered(q), count) };
    };
    // PostgreSQL in name order: the name index holds the search document, so one query walks the window, returns
    // its first matches, counts them all and finds its end.
    const hitTest = columns[0] === 'name_key' ? scope.hitTest : undefined;
    // The name order from `start` on (`size` rows), each row's position in it and whether it matches `test`.
    const numbered = (db: Kysely<Database>, test: RawBuilder<boolean>, start: Value[] | null, size: number) =>
      from(scope.filters(db.selectFrom('users')), start)
        .select(['users.id', 'users.name_key', test.as('hit')])
        .select(
          sql<number>`row_number() over (order by users.name_key ${sql.raw(walk)}, users.id ${sql.raw(walk)})`.as(
            'pos',
          ),
        )
        .orderBy('users.name_key', walk)
        .orderBy('users.id', walk)
        .limit(size);
    const walkStretch = async (db: Kysely<Database>, start: Value[] | null, size: number, count: number) => {
      if (!hitTest) return walkWindow(db, start, size, count);
      const stretch = numbered(db, hitTest, start, size + 1);
      // The window's matches and its last row, which is listed first so that the limit keeps it.
      const marked = db
        .selectFrom(stretch.as('s'))
        .select(['s.id', 's.name_key', 's.hit', 's.pos', sql<number>`count(*) filter (where s.hit) over ()`.as('hits')])
        .where((eb) => eb.or([eb('s.hit', '=', true), eb('s.pos', '=', size + 1)]))
        .orderBy(sql`s.pos = ${size + 1}`, 'desc')
        .orderBy('s.pos')
        .limit(count + 1);
      const found = await db
        .selectFrom(marked.as('m'))
        .leftJoin('users', (join) => join.onRef('users.id', '=', 'm.id').on('m.hit', '=', true))
        .selectAll('users')
        .select(['m.id as window_id', 'm.name_key as window_key', 'm.hit', 'm.pos', 'm.hits'])
        .orderBy('m.pos')
        .execute();
      const last = found.find((row) => Number(row.pos) === size + 1);
      return {
        rows: found
          .filter((row) => row.hit)
          .slice(0, count)
          .map(({ window_id: _, window_key: __, hit: ___, pos: ____, hits: _____, ...row }) => row as UserRow),
        end: last ? [last.window_key, last.window_id] : null,
        hits: Number(found[0]?.hits ?? 0),
      } satisfies Window;
    };
    // PostgreSQL in name order: the name index walked on from `start` over at most `budget` rows, stopping at its
    // `count`-th match so that it reads no further than the page needs. One statement returns the matches and, when
    // the walk does not fill the page, the budget's last row, so both come from one snapshot. `walked` is how far it
    // went: to its last match when it filled (`end` is that match), else the whole budget (`end` its last row, or
    // null when the name order ended first).
    const walkOn = async (
      db: Kysely<Database>,
      test: RawBuilder<boolean>,
      start: Value[],
      budget: number,
      count: number,
    ): Promise<Window & { walked: number }> => {
      const stretch = numbered(db, test, start, budget);
      // Read in the stretch's order, so the limit stops the walk at the match after the page's last one.
      const marked = await db
        .selectFrom(stretch.as('s'))
        .select(['s.id', 's.name_key', 's.hit', 's.pos'])
        .where((eb) => eb.or([eb('s.hit', '=', true), eb('s.pos', '=', budget)]))
        .orderBy('s.name_key', walk)
        .orderBy('s.id', walk)
        .limit(count + 1)
        .execute();
      const hits = marked.filter((row) => row.hit).slice(0, count);
      const rows = await rowsOf(
        db,
        hits.map((row) => row.id),
      );
      const lastHit = hits.at(-1);
      if (lastHit && hits.length >= count) {
        return { rows, end: [lastHit.name_key, lastHit.id], hits: hits.length, walked: Number(lastHit.pos) };
      }
      const last = marked.find((row) => Number(row.pos) === budget);
      return { rows, end: last ? [last.name_key, last.id] : null, hits: hits.length, walked: budget };
    };
    const firstWindow = this.tuning.walkWindow;
    // What the windows found, and where they ended.
    const windows = async (): Promise<Fetched | { found: UserRow[]; end: Value[] }> => {
      const first: Window = await walking((db) => walkStretch(db, after, firstWindow, n));
      // What the windows tell of the whole search on a first page: how many matches they hold (all of them when they
      // reach the end); walking from the start of the name order, that is the density a count goes on from (a walk
      // from the end, for the last page, tells only of the last rows).
      let walked = first.hits !== undefined && after === null ? { rows: firstWindow + 1, hits: first.hits } : undefined;
      const fromStart = () => (walk === 'asc' ? walked : undefined);
      if (!first.end) return { rows: first.rows, filled: true, counted: walked?.hits };
      if (first.rows.length >= n) return { rows: first.rows, filled: true, stretch: fromStart() };
      let found = first.rows;
      let end = first.end;
      // On PostgreSQL every candidate a sort reads past the window is a row read from the table, while a walked row of
      // the name index, which holds the search document, costs a fraction of one. A search the account's sample
      // estimates walks on, when its window held some of its matches, over at most walkedPerSorted rows per estimated
      // match, and stops at the page; when that does not fill it, the candidates past the walk are sorted, at most about
      // twice what the sort alone costs. (A window without any says nothing of where they start: `nguy` under N.)
      // Without an estimate, the next stretch is walked when the window's matches say it likely holds the page.
      const past = end;
      const perSorted = this.tuning.walkedPerSorted ?? DEFAULT_TUNING.walkedPerSorted ?? 0;
      const budget = Math.ceil((scope.estimated ?? 0) * perSorted);
      const nextWindow = firstWindow * NEXT_WINDOW_FACTOR;
      const expected = found.length > 0 ? ((n - found.length) * firstWindow) / found.length : Infinity;
      let next: (Window & { walked?: number }) | undefined;
      if (this.dialect === 'postgres' && hitTest && scope.estimated !== undefined) {
        if (budget > 0 && found.length > 0) {
          next = await walking((db) => walkOn(db, hitTest, past, budget, n - found.length));
        }
      } else if (this.dialect === 'postgres' && expected * NEXT_WINDOW_MARGIN <= nextWindow) {
        next = await walking((db) => walkStretch(db, past, nextWindow, n - found.length));
      }
      if (next) {
        found = [...found, ...next.rows];
        const { hits, walked: rows } = next;
        walked =
          walked && hits !== undefined
            ? { rows: walked.rows + (rows ?? nextWindow + 1), hits: walked.hits + hits }
            : undefined;
        if (!next.end) return { rows: found, filled: true, counted: walked?.hits };
        if (found.length >= n) return { rows: found, filled: true, stretch: fromStart() };
        end = next.end;
      }
      return { found, end };
    };
    const walkedWindows = await windows();
    if ('rows' in walkedWindows) return walkedWindows;
    const { found, end } = walkedWindows;
    const boundValues = end;
    if (this.dialect === 'postgres' && after === null) {
      // Sorting the candidates past the window reads every one of them, so the same query counts them: with the
      // window's matches that is the whole search's exact total, without reading the trigram index twice.
      const rest = await sortedCandidates(boundValues, n - found.length);
      return { rows: [...found, ...rest.rows], filled: false, counted: found.length + rest.matches };
    }
    const rest = await runCandidates(boundValues, n - found.length);
    return { rows: [...found, ...rest], filled: false };
  }

  /**
   * A plain list whose filters keep many of the account's users: the account's sort index, walked with the filters
   * tested on each row, finds a page in about n × users / kept rows, where the database's own plan would read and sort
   * every kept user (SQLite sorts a common department's 78,360 users of a million for a page of 25: 500 ms, where the
   * walk takes 6 ms). Kept users may cluster elsewhere in the sort order (pending users are the newest), so the walk
   * reads no more rows than the sort would, and null (the page not filled) sends the list to the sort.
   */
  private async walkKept(
    filtered: Filtered,
    where: (q: UsersQuery) => UsersQuery,
    sorted: (where: (q: UsersQuery) => UsersQuery) => SelectQueryBuilder<Database, 'users', UserRow>,
    n: number,
  ): Promise<UserRow[] | null> {
    if (!this.search.walksFilteredLists || filtered.kept * filtered.kept < n * filtered.users) return null;
    const window = sorted((q) => q.where('users.account_id', '=', filtered.accountId)).limit(filtered.kept);
    // The rows come out in the window's order: SQLite filters the subquery's rows as it reads them (a co-routine).
    const rows = (await where(this.db.selectFrom(window.as('users')) as unknown as UsersQuery)
      .selectAll('users')
      .limit(n)
      .execute()) as UserRow[];
    return rows.length === n ? rows : null;
  }

  /**
   * The rows of a sort index after the keyset position `after` (a value and its tie-breaking id), in the walking
   * order: the rows that share the position's value and those past it are two ranges of the index, merged by one
   * compound query. SQLite bounds an index range by a row value's first column only, so a page deep among users who
   * share a creation time (an import's or a sync's batch) or a department read every tie before it (36 ms past
   * 500,000 users created at once) where the two ranges take a fraction of a millisecond. PostgreSQL bounds a range by
   * the whole row value (UserSearch.boundsRowValues) and walks one.
   */
  private pastTies(
    db: Kysely<Database>,
    where: (q: UsersQuery) => UsersQuery,
    [first, tie]: [Column, Column],
    [value, tieValue]: Value[],
    walk: Order,
  ) {
    const past = walk === 'asc' ? '>' : '<';
    const sameValue = where(db.selectFrom('users'))
      .where(`users.${first}`, '=', value as never)
      .where(`users.${tie}`, past, tieValue as never)
      .selectAll('users');
    const pastValue = where(db.selectFrom('users'))
      .where(`users.${first}`, past, value as never)
      .selectAll('users');
    return sameValue.unionAll(pastValue).orderBy(sql.ref(first), walk).orderBy(sql.ref(tie), walk);
  }

  /**
   * Refuses a filter naming a group that is not one of the account's: a streamed download checks it before its first
   * byte, since a later error could no longer change the response's status.
   */
  async assertFilter(actor: Actor, filter: UserFilter): Promise<void> {
    this.assertCanManage(actor);
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
    this.assertCanManage(actor);
    const scope = await this.scope(actor.accountId, filter, searchTerms(filter.q), scopedDepartments(actor), field);
    if (scope === 'none') return [];
    // The index's candidates when a search has them, else the filters and term tests row by row.
    const restrict = scope.plan === 'walk' ? scope.where : scope.candidates;
    const rows = await restrict(this.db.selectFrom('users')).select('users.id').orderBy('users.id').execute();
    return rows.map((row) => row.id);
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
    const filters = (q: UsersQuery, options: { pinAccountIndex?: boolean } = {}) =>
      facets.reduce(
        (out, { column, op, value }) => out.where(`users.${column}`, op, value as never),
        q.where(this.search.accountColumn(options.pinAccountIndex === true), '=', accountId),
      );
    // Group and license filters are tested per row; the window's bound (filters only) is found without them.
    const inSets = <Q extends UsersQuery>(q: Q, except?: MemberSet) =>
      members.sets.reduce((out, set) => (set === except ? out : (out.where(set.test) as Q)), q);
    const where = (
      q: UsersQuery,
      options: { pinAccountIndex?: boolean; indexing?: TermIndexing; except?: MemberSet } = {},
    ) => {
      let out = inSets(filters(q, options), options.except);
      // Candidate plans (the account index pinned away) reach the search index through the term tests.
      const indexing = options.indexing ?? (options.pinAccountIndex ? 'every' : 'rows');
      for (const test of this.search.termTests(terms, indexing)) out = out.where(test);
      return out;
    };
    const unused = (q: UsersQuery) => q;
    const cap = this.search.countCap;
    const exactUpTo = (n: number) => (n > cap ? { count: cap, exact: false } : { count: n, exact: true });
    /** Rows of a query of users, counted no further than the cap. */
    /** The query's rows, counted no further than `limit`. */
    const countAtMost = async (query: UsersQuery, db: Kysely<Database>, limit: number) => {
      const inner = query.select(sql.lit(1).as('one')).limit(limit);
      const row = await db
        .selectFrom(inner.as('matches'))
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    };
    const countUpTo = async (query: UsersQuery, db: Kysely<Database> = this.db) =>
      exactUpTo(await countAtMost(query, db, cap + 1));

    if (members.driver) {
      // A small group or license: its members are fetched and sorted (with or without a search, whose terms are
      // then tested on their rows), so the account's sort index is never walked looking for them.
      const driver = members.driver;
      const candidates = (q: UsersQuery) =>
        where(q, { pinAccountIndex: true, indexing: 'rows' }).where(idIn(this.dialect, 'users.id', driver));
      // Exact: there are no more candidates than the cap.
      const total = async () => {
        const row = await candidates(this.db.selectFrom('users'))
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow();
        return { count: Number(row.n), exact: true };
      };
      return { plan: 'candidates', searching: false, where, filters, candidates, total };
    }
    if (terms.length === 0 && members.sets.length > 0) {
      // Large groups or licenses: a window of the sort index usually holds enough of them; when they cluster
      // elsewhere, the members past the window are sorted instead.
      const first = members.sets[0] as MemberSet;
      const candidates = (q: UsersQuery) => where(q, { pinAccountIndex: true }).where(first.inSet);
      const alone = members.sets.length === 1 && facets.length === 0;
      const total = async () => {
        // Alone, a set's size is the total, counted in its own table.
        if (alone) return first.counted > cap ? exactUpTo(first.counted) : exactUpTo(await first.size(cap + 1));
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
      return { plan: 'window', searching: false, where, filters, candidates, total };
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
      return { plan: 'walk', searching: false, where, filters, candidates: unused, total, filtered };
    }
    /** Matches, counted no further than the cap. */
    const capped = (q: (query: UsersQuery) => UsersQuery, db: Kysely<Database>) =>
      countUpTo(q(db.selectFrom('users')), db);
    const searching = { searching: true, where, filters } as const;
    const scanned = {
      ...searching,
      plan: 'walk',
      candidates: unused,
      total: (plans: PlanSteering) => plans.walkPlan((db) => capped(where, db)),
    } as const;
    // A small account: every user's document is tested (the sort index walked for the page, all of them for the
    // total), since the search index's lists hold every account's users.
    if (this.search.scanUsers > 0 && (await accountUserCount(this.db, accountId)) <= this.search.scanUsers) {
      return scanned;
    }
    const candidates = this.search.candidates(accountId, terms);
    if (candidates === 'none') return 'none';
    /**
     * Matches among a stretch of the account in name order (rows `skip` to `skip + take`), counted no further than
     * `upTo`. PostgreSQL reads the stretch from the name index, which holds the search document.
     */
    const inStretch = (db: Kysely<Database>, skip: number, take: number, upTo: number) => {
      const stretch = filters(db.selectFrom('users'))
        .select(['users.id', 'users.search_doc'])
        .orderBy('users.name_key')
        .orderBy('users.id')
        .offset(skip)
        .limit(take);
      const matches = inSets(db.selectFrom(stretch.as('users')) as unknown as UsersQuery).where((eb) =>
        eb.and(terms.map((t) => this.search.termInRow(t))),
      );
      return countAtMost(matches, db, upTo);
    };
    // No index narrows single letters (nor two on PostgreSQL): walk the sort index, testing each row.
    if (!candidates) return scanned;

    if (this.search.countsCheaply) {
      // SQLite, one pass over the FTS index: few candidates are fetched by id and sorted; many are dense, so walking
      // the sort index fills a page sooner (and the window plan falls back to the candidates when they cluster).
      // Enough ids to count up to the cap as well as to choose the plan.
      const ids = await candidates.ids(Math.max(this.tuning.selectiveCandidates, cap));
      const selective = ids.length <= this.tuning.selectiveCandidates;
      const inCandidates = (q: UsersQuery) =>
        candidates.restrict(where(q, { pinAccountIndex: true }), selective ? ids : null);
      // The index's count is the answer when it covers every term and no other filter narrows it.
      const indexCounts = candidates.exact && facets.length === 0 && members.sets.length === 0;
      const total = (plans: PlanSteering) =>
        indexCounts ? Promise.resolve(exactUpTo(ids.length)) : plans.candidatePlan((db) => capped(inCandidates, db));
      return {
        ...searching,
        plan: selective ? 'candidates' : 'window',
        candidates: inCandidates,
        total,
        idsInNameOrder:
          indexCounts && candidates.idsInNameOrder
            ? (after, order, count) =>
                candidates.idsInNameOrder?.(after, order, count, selective ? ids : undefined) ?? []
            : undefined,
      };
    }

    // PostgreSQL: reading the trigram index costs as much as its lists for the terms are long, so a search first
    // walks a window of the sort index; the index is read only when the window does not fill the page.
    const estimate = this.search.estimate(accountId, terms);
    const longer = estimate?.longer ?? null;
    const indexing: TermIndexing =
      estimate && longer !== null && estimate.matches >= longer * LONGER_SHARE ? 'longer' : 'every';
    const sparse =
      estimate !== null &&
      estimate.matches <= (this.tuning.sparseMatches ?? SPARSE_MATCHES) &&
      (indexing === 'longer' || longer === null || longer <= SPARSE_LONGER);
    const inCandidates = (q: UsersQuery) => candidates.restrict(where(q, { pinAccountIndex: true, indexing }), null);
    const countable = (q: UsersQuery) =>
      candidates.restrict(where(q, { pinAccountIndex: true, indexing: 'longer' }), null);
    const total = async (plans: PlanSteering, filled?: boolean, known?: Stretch, page: UserRow[] = []) => {
      if (filled) {
        // Dense where the page was found: walking the name index finds more matches than the cap sooner than the
        // trigram index, whose posting lists are read whole before the first row. A first stretch tells how dense
        // they are (the page's windows counted it, or a probe does); the walk goes on only as far as that density
        // says the cap will be passed, within a budget.
        const beyondCap = await plans.walkPlan(async (db) => {
          const probe = this.tuning.countProbe ?? DEFAULT_TUNING.countProbe ?? 0;
          const { rows, hits } = known ?? { rows: probe, hits: await inStretch(db, 0, probe, cap + 1) };
          if (hits > cap) return true;
          const needed = hits > 0 ? Math.ceil((rows * (cap + 1) * DENSE_MARGIN) / hits) : Infinity;
          if (needed > (this.tuning.denseCountBudget ?? DEFAULT_TUNING.denseCountBudget ?? 0)) return false;
          return hits + (await inStretch(db, rows, needed - rows, cap + 1 - hits)) > cap;
        });
        if (beyondCap) return { count: cap, exact: false };
      }
      // Two-letter terms: more matches than the cap among rows holding the trigrams each most often starts in the
      // page and in the sample's matches (and the longer terms) prove the total is past it, reading one posting list a
      // two-letter term (or a few) instead of dozens, and only rows that match. The wider stage runs when the first
      // fell short by less than its followers' larger share says it would make up. A stage whose share of the
      // sample's estimate (taken low) stays under the cap, with a margin unless it is the last, is not worth its count.
      const documents = [...page.map((row) => row.search_doc), ...(estimate?.documents ?? [])];
      const stages = page.length > 0 ? this.search.likelyTrigramTests(terms, documents) : [];
      let before: { proven: number; share: number } | undefined;
      for (const [at, { tests, share, documents: basis }] of stages.entries()) {
        if (before && (before.proven * share) / before.share <= cap) break;
        // What the stage likely counts: the estimate times the share, taken low by its sampling error.
        const low = share - PROOF_DEVIATIONS * Math.sqrt((share * (1 - share)) / Math.max(1, basis));
        const likely = estimate ? estimate.matches * low : Infinity;
        if (likely < cap * (at === stages.length - 1 ? 1 : PROOF_MARGIN)) continue;
        const proven = await plans.candidatePlan((db) =>
          countAtMost(
            tests.reduce(
              (q, test) => q.where(test),
              inSets(filters(db.selectFrom('users'), { pinAccountIndex: true })),
            ),
            db,
            cap + 1,
          ),
        );
        if (proven > cap) return { count: cap, exact: false };
        before = { proven, share };
      }
      return plans.candidatePlan((db) => capped(countable, db));
    };
    // Without group or license filters, a window's rows are tested by the terms alone (see fetchRows).
    const hitTest =
      members.sets.length === 0
        ? sql<boolean>`(${sql.join(
            terms.map((term) => this.search.termInRow(term)),
            sql` and `,
          )})`
        : undefined;
    return {
      ...searching,
      plan: 'window',
      candidates: inCandidates,
      total,
      hitTest,
      sparse,
      // The estimate counts matches among all of the account's users: with row filters, whose columns the name index
      // does not hold, a walk would read rows from the table, so it walks on as without an estimate.
      estimated: facets.length === 0 ? estimate?.matches : undefined,
    };
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
    test: RawBuilder<boolean>,
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

  private async countRows(q: SelectQueryBuilder<Database, keyof Database, object>): Promise<number> {
    const row = await this.db
      .selectFrom(q.as('rows'))
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** The account's users the row filters keep, from its counts by facet. */
  private async facetCount(accountId: number, facets: FacetTest[]): Promise<number> {
    const row = await facets
      .reduce(
        (q, { column, op, value }) => q.where(column, op, value as never),
        this.db
          .selectFrom('user_facets')
          .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('n'), sql.lit(0)).as('n'))
          .where('account_id', '=', accountId),
      )
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async facets(actor: Actor) {
    this.assertCanManage(actor);
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

/** A group or license filter: a set of users read from its own table. */
interface MemberSet {
  /** Its size as counted when the plan was chosen (no further than the candidates a list may fetch, plus one). */
  counted: number;
  /** Row test: the user is in the set (a lookup in the set table's primary key). */
  test: RawBuilder<boolean>;
  /** The set as a subquery of user ids, to start a query from its members. */
  inSet: RawBuilder<boolean>;
  /** The first `limit` users of the set in its table's order, as a subquery. */
  inFirst(limit: number): RawBuilder<boolean>;
  /** Up to `limit` of its user ids. */
  ids(limit: number): Promise<number[]>;
  /** Its size, counted no further than `limit`. */
  size(limit: number): Promise<number>;
}

/** A row filter of a list: a column of the users table that user_facets counts by, and the values it keeps. */
interface FacetTest {
  column: 'department' | 'access_type' | 'status' | 'enabled' | 'source';
  op: '=' | 'in';
  value: string | number | string[];
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

const flip = (order: Order): Order => (order === 'asc' ? 'desc' : 'asc');

/** Rows strictly after `values` in the walking order, or up to and including them: (c1, c2, ...) > (v1, v2, ...). */
function keyset(columns: Column[], values: Value[], walk: Order, side: 'after' | 'upTo') {
  const op = side === 'after' ? (walk === 'asc' ? '>' : '<') : walk === 'asc' ? '<=' : '>=';
  return (eb: ExpressionBuilder<Database, 'users'>): Expression<SqlBool> => {
    if (columns.length === 1) return eb(`users.${columns[0] as Column}`, op, values[0] as never);
    const left = eb.refTuple(...(columns.map((c) => `users.${c}`) as [never, never]));
    return eb(left, op, eb.tuple(...(values as [never, never])));
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

function decodeCursor(raw: string, columns: Column[]): Cursor {
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
    cursor.values.length !== columns.length ||
    !cursor.values.every((value, i) => cursorValueFits(columns[i] as Column, value)) ||
    (cursor.direction !== 'next' && cursor.direction !== 'prev')
  ) {
    throw invalid();
  }
  return cursor;
}

/** Integer columns of the sorts and the largest value each holds; every other sort column is text or a timestamp. */
const INTEGER_COLUMNS: ReadonlyMap<Column, number> = new Map<Column, number>([
  ['id', MAX_ID],
  ['enabled', 1],
]);
const ISO_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

/**
 * Whether a cursor's value could be the column's. A cursor is the client's text, and a value the column cannot hold
 * (1.5 for an id, "x" for a time, a NUL in text) would fail inside PostgreSQL instead of as a 400. Other control
 * characters are allowed: sort keys hold U+0001 between last and first name.
 */
export function cursorValueFits(column: Column, value: unknown): boolean {
  const largest = INTEGER_COLUMNS.get(column);
  if (largest !== undefined)
    return Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= largest;
  if (typeof value !== 'string' || value.length > 4000 || value.includes('\u0000')) return false;
  if (column !== 'created_at') return true;
  const parts = ISO_TIMESTAMP.exec(value);
  if (!parts) return false;
  const [year, month, day] = parts.slice(1, 4).map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return year >= 1 && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
