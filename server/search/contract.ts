// The contract between the user list (list.ts) and its search adapters, one per database (sqlite.ts, postgres.ts):
// the list turns a request (terms, filters, sort, cursor) into a restriction of the account's users; an adapter
// chooses how a search reads its page and counts its total; the list reads pages in the sort's keyset order.
import type { RawBuilder, SelectQueryBuilder } from 'kysely';
import { COUNT_CAP } from '../../shared/constants.js';
import type { Db } from '../db/index.js';
import type { Database } from '../db/schema/index.js';
import type { UserRow } from '../services/user-presenter.js';

export type Column = keyof Database['users'] & string;
export type Value = string | number;
export type Order = 'asc' | 'desc';
export type UsersQuery = SelectQueryBuilder<Database, 'users', object>;
/** A query of any of the schema's tables, whose rows a count counts. */
export type CountedQuery = SelectQueryBuilder<Database, keyof Database, object>;

/**
 * How a search's terms use the PostgreSQL trigram index. 'rows': not at all (rows read from a sort index are tested
 * with strpos). 'index': every term the index can read (a form of three characters or more) narrows its candidates.
 */
export type TermIndexing = 'rows' | 'index';

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
  /** PostgreSQL: accounts of this many users or more are sampled to estimate a search's matches (see AccountSamples). */
  sampleMinUsers?: number;
  /** PostgreSQL: only a search estimated to match at most this many users may sort its candidates at once. */
  sparseMatches?: number;
  /** Accounts of at most this many users are searched by testing every user (the default: the adapter's scanUsers). */
  scanUsers?: number;
  /** PostgreSQL: rows of the name index a search walks past its first window per candidate a sort would read. */
  walkedPerSorted?: number;
  /** SQLite: a next window is walked past a first one whose matches say it holds the page (on unless false). */
  nextWindows?: boolean;
  /** PostgreSQL: a total past the cap is proven from the departments' counts when they suffice (on unless false). */
  departmentTotals?: boolean;
  /** PostgreSQL: a search of one two-letter term reads its page and total from the word-start table (on unless false). */
  wordStartTable?: boolean;
}

export const DEFAULT_TUNING: SearchTuning = {
  selectiveCandidates: COUNT_CAP,
  walkWindow: 5000,
  setCountBudget: 5000,
  countProbe: 5000,
  denseCountBudget: 50_000,
  walkedPerSorted: 4,
};

/** A row filter of a list: a column of the users table that user_facets counts by, and the values it keeps. */
export interface FacetTest {
  column: 'department' | 'access_type' | 'status' | 'enabled' | 'source';
  op: '=' | 'in';
  value: string | number | string[];
}

/** A group or license filter: a set of users read from its own table. */
export interface MemberSet {
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

/** Options of a restriction: see Restriction.where. */
export interface WhereOptions {
  /** The account column pinned away from its indexes, so the planner starts from the search index's candidates. */
  pinAccountIndex?: boolean;
  /** How the terms use the search index (see TermIndexing; 'rows' unless the account index is pinned). */
  indexing?: TermIndexing;
  /** A member set left out (the query starts from its members). */
  except?: MemberSet;
}

/** What a list keeps of an account's users: its filters and search terms, as conditions on queries of users. */
export interface Restriction {
  accountId: number;
  /** The folded search terms (none for a plain list). */
  terms: string[];
  facets: FacetTest[];
  sets: MemberSet[];
  /** The account and the row filters. */
  filters(q: UsersQuery, options?: WhereOptions): UsersQuery;
  /** The group and license filters, each a row test. */
  inSets<Q extends UsersQuery>(q: Q, except?: MemberSet): Q;
  /** Every filter and every term. */
  where(q: UsersQuery, options?: WhereOptions): UsersQuery;
  /** The query's rows, counted no further than `limit`. */
  countAtMost(query: CountedQuery, limit: number): Promise<number>;
  /** The query's rows counted no further than the cap: past it, "at least" the cap. */
  countUpTo(query: CountedQuery): Promise<Total>;
  /** A count as a total: exact up to the cap, "at least" the cap past it. */
  upToCap(count: number): Total;
  /**
   * The users the row filters keep whose department alone holds every term, from the account's counts by facet: each
   * of them matches whatever else their document holds, so there are at least this many matches (without group or
   * license filters, which the counts do not know).
   */
  departmentMatches(): Promise<number>;
}

export interface Total {
  count: number;
  exact: boolean;
}

/** The matches among the first `rows` rows of the account in name order (with the list's filters): exactly `hits`. */
export interface Stretch {
  rows: number;
  hits: number;
}

/** What a plain list's row filters keep: `kept` of the account's `users`, testing these columns. */
export interface Filtered {
  accountId: number;
  kept: number;
  users: number;
  columns: Column[];
}

/** How a list answers: its plan, its restriction in the forms the plan's queries need, and how it counts. */
export interface Scope {
  /**
   * 'walk': the sort index walked, each row tested; 'candidates': the candidates fetched and sorted; 'window': a window
   * of the sort index walked, then the candidates past it sorted (see SearchAdapter.window).
   */
  plan: 'walk' | 'candidates' | 'window';
  /** Filters and search terms. */
  where: (q: UsersQuery) => UsersQuery;
  /** Filters only (the window's bound is found on the sort index without reading search documents). */
  filters: (q: UsersQuery) => UsersQuery;
  /** Filters, search terms, and the search index's candidates first. */
  candidates: (q: UsersQuery) => UsersQuery;
  /**
   * The total. `filled`: the page was found by walking a window of the sort index (the matches are dense there);
   * `known`: what the walk counted from the start of the name order.
   */
  total: (filled?: boolean, known?: Stretch) => Promise<Total>;
  /** Candidate ids in name order, when the index alone answers the search (SQLite, see SqliteSearch). */
  idsInNameOrder?: (after: [string, number] | null, order: Order, count: number) => number[];
  /** A list without search terms whose filters test columns of the row: see SearchAdapter.walkKept. */
  filtered?: Filtered;
}

/**
 * Rows a list fetched; `filled` tells whether a window walk found them (the matches are dense there), and what it
 * learned of the total: `counted` (exact), `atLeast`, or the `stretch` of the name order it walked from the start.
 */
export interface Fetched {
  rows: UserRow[];
  filled: boolean;
  counted?: number;
  atLeast?: number;
  stretch?: Stretch;
}

/** A window a walk read: its first matches, its last row (`end`, null when the order ended first), its matches. */
export interface Window {
  rows: UserRow[];
  end: Value[] | null;
  /** Every match in it, when the query counted them. */
  hits?: number;
}

/** The queries that read one page of a list in its sort's keyset order. */
export interface PageReader {
  scope: Scope;
  columns: Column[];
  walk: Order;
  db: Db;
  /** The query in the page's order; `sortCandidates` sorts by keys no index serves (SQLite: its few rows). */
  ordered<Q extends UsersQuery>(q: Q, sortCandidates?: boolean): Q;
  /** Rows past a keyset position. */
  from(q: UsersQuery, values: Value[] | null): UsersQuery;
  run(q: UsersQuery, count: number): Promise<UserRow[]>;
  /** The rows of these users, in the page's order. */
  rowsOf(ids: number[]): Promise<UserRow[]>;
  /** Up to `count` candidates past `values`, sorted. */
  candidates(values: Value[] | null, count: number): Promise<UserRow[]>;
}

/** What a search adapter is asked for a search's scope. */
export interface SearchRequest {
  restriction: Restriction;
  /** The scope that walks the sort index and tests every row (no index narrows the terms). */
  scanned: Scope;
}

/** One per database: how a search reads its page and counts its total. */
export interface SearchAdapter {
  /** Searches count exactly up to this many matches, then answer "at least". */
  readonly countCap: number;
  /** Accounts of at most this many users are searched by testing every user's document, without the search index. */
  readonly scanUsers: number;
  /** Row tests of the terms, in the form `indexing` asks for. */
  termTests(terms: string[], indexing: TermIndexing): RawBuilder<boolean>[];
  /**
   * The rows of an account: on its indexes, or (pinned) as a test that no index on the account column serves and the
   * search index does.
   */
  inAccount(accountId: number, pinned: boolean): RawBuilder<boolean>;
  /** A sort key for the candidate plans, which sort their few rows instead of walking an index. */
  candidateSortKey(column: Column): RawBuilder<unknown>;
  /** `users.id` is one of `ids`. */
  idIn(ids: number[]): RawBuilder<boolean>;
  /** The scope of a search (terms given), or 'none' when nothing can match. */
  search(request: SearchRequest): Promise<Scope | 'none'>;
  /** Rows of a 'window' scope: a window of the sort index walked, then the candidates past it. */
  window(reader: PageReader, after: Value[] | null, n: number): Promise<Fetched>;
  /** Rows of the sort index past a keyset position, with `where`, in the page's order. */
  pastCursor(
    reader: PageReader,
    where: (q: UsersQuery) => UsersQuery,
    after: Value[],
  ): SelectQueryBuilder<Database, 'users', UserRow>;
  /** A plain list whose filters keep many users, walked along the sort index; null when the database sorts instead. */
  walkKept(
    filtered: Filtered,
    where: (q: UsersQuery) => UsersQuery,
    sorted: (where: (q: UsersQuery) => UsersQuery) => SelectQueryBuilder<Database, 'users', UserRow>,
    n: number,
  ): Promise<UserRow[] | null>;
  /** Reads what the adapter keeps of the account to choose plans (PostgreSQL's sample), now. */
  readSample(accountId: number): Promise<void>;
}
