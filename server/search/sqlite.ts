// SQLite's search adapter. An FTS5 trigram index holds every user's search document (rowid = account id × 2³² +
// user id, so a search reads only its account's part). One pass over it counts a search's candidates up to the cap
// and chooses the plan: few are fetched by id and sorted, many are dense enough that walking the sort index fills a
// page sooner. Accounts of at most 20,000 users are searched without it (see scanUsers).
import type { Database as SqliteDatabase, Statement as SqliteStatement } from 'better-sqlite3';
import { type Kysely, type RawBuilder, type SelectQueryBuilder, sql } from 'kysely';
import { COUNT_CAP } from '../../shared/constants.js';
import type { Database } from '../db/schema/index.js';
import { idIn } from '../db/sql-helpers.js';
import { ACCOUNT_SPAN } from '../db/user-index.js';
import type { UserRow } from '../services/user-presenter.js';
import type {
  Column,
  Fetched,
  Filtered,
  Order,
  PageReader,
  Scope,
  SearchAdapter,
  SearchRequest,
  SearchTuning,
  UsersQuery,
  Value,
} from './contract.js';
import { formLength, termForm } from './form.js';
import { nextWindowRows, walkWindow } from './order.js';

/**
 * Accounts searched by testing every user's document: SQLite tests one in about half a microsecond, so a whole
 * account of 20,000 in about 10 ms, while its full-text index holds every account's users and a common trigram's list
 * is read across all of them (a domain fragment took 270 ms in an account of 1,000 beside one of a million).
 */
const SCAN_USERS = 20_000;

/** A search's candidates in the FTS5 index. */
interface Candidates {
  /** Up to `cap + 1` ids of users that may match (every match is among them), in one pass over the index. */
  ids(cap: number): number[];
  /** Restricts a query to the candidates: the ids found, or (ids null) the index itself, read lazily. */
  restrict(q: UsersQuery, ids: number[] | null): UsersQuery;
  /** True when being a candidate already means matching every term. */
  exact: boolean;
  /**
   * Up to `count` candidate ids in name order after a (name_key, id) key, read from a small index of (id, name_key)
   * instead of the users' rows, so sorting many candidates (a surname fragment) stays cheap. `known`: the candidates,
   * when they were fetched already (then the FTS index is not read again).
   */
  idsInNameOrder(after: [string, number] | null, order: Order, count: number, known?: number[]): number[];
}

export class SqliteSearch implements SearchAdapter {
  readonly countCap = COUNT_CAP;
  readonly scanUsers: number;
  private readonly nameOrderStatements = new Map<string, SqliteStatement>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly sqlite: SqliteDatabase,
    private readonly tuning: SearchTuning,
  ) {
    this.scanUsers = tuning.scanUsers ?? SCAN_USERS;
  }

  termTests(terms: string[]): RawBuilder<boolean>[] {
    return terms.map((term) => sql<boolean>`instr(users.search_doc, ${termForm(term)}) > 0`);
  }

  /** A unary plus hides the column from its indexes. */
  inAccount(accountId: number, pinned: boolean): RawBuilder<boolean> {
    return pinned ? sql<boolean>`+users.account_id = ${accountId}` : sql<boolean>`users.account_id = ${accountId}`;
  }

  /** A unary plus hides the column from its indexes, so the candidate plans sort their few rows. */
  candidateSortKey(column: Column): RawBuilder<unknown> {
    return sql`+${sql.ref(`users.${column}`)}`;
  }

  idIn(ids: number[]): RawBuilder<boolean> {
    return idIn('sqlite', 'users.id', ids);
  }

  readSample(): Promise<void> {
    return Promise.resolve();
  }

  async search({ restriction, scanned }: SearchRequest): Promise<Scope> {
    const candidates = this.candidates(restriction.accountId, restriction.terms);
    // No index narrows a single letter: walk the sort index, testing each row.
    if (!candidates) return scanned;
    const { where, facets, sets } = restriction;
    // Few candidates are fetched by id and sorted; many are dense, so walking the sort index fills a page sooner (and
    // the window plan falls back to the candidates when they cluster). Enough ids to count up to the cap as well.
    const cap = this.countCap;
    const ids = candidates.ids(Math.max(this.tuning.selectiveCandidates, cap));
    const selective = ids.length <= this.tuning.selectiveCandidates;
    const inCandidates = (q: UsersQuery) =>
      candidates.restrict(where(q, { pinAccountIndex: true }), selective ? ids : null);
    // The index's count is the answer when it covers every term and no other filter narrows it.
    const indexCounts = candidates.exact && facets.length === 0 && sets.length === 0;
    const total = async () =>
      indexCounts ? restriction.upToCap(ids.length) : restriction.countUpTo(inCandidates(this.db.selectFrom('users')));
    return {
      where,
      filters: restriction.filters,
      plan: selective ? 'candidates' : 'window',
      candidates: inCandidates,
      total,
      idsInNameOrder: indexCounts
        ? (after, order, count) => candidates.idsInNameOrder(after, order, count, selective ? ids : undefined)
        : undefined,
    };
  }

  /**
   * A window of the sort index, a next one when its matches say that holds the rest of the page (see nextWindowRows),
   * then the candidates past them sorted (when the matches cluster further on).
   */
  async window(reader: PageReader, after: Value[] | null, n: number): Promise<Fetched> {
    const size = this.tuning.walkWindow;
    const first = await walkWindow(reader, after, size, n);
    if (!first.end || first.rows.length >= n) return { rows: first.rows, filled: true };
    let found = first.rows;
    let end = first.end;
    const more = this.tuning.nextWindows === false ? 0 : nextWindowRows(size, found.length, n);
    if (more > 0) {
      const next = await walkWindow(reader, end, more, n - found.length);
      found = [...found, ...next.rows];
      if (!next.end || found.length >= n) return { rows: found, filled: true };
      end = next.end;
    }
    const rest = await reader.candidates(end, n - found.length);
    return { rows: [...found, ...rest], filled: false };
  }

  /**
   * The rows of a sort index after a keyset position (a value and its tie-breaking id) as two ranges, the rows that
   * share the position's value and those past it, merged by one compound query: SQLite bounds an index range by a row
   * value's first column only, so a page deep among users who share a creation time (an import's or a sync's batch)
   * or a department read every tie before it (36 ms past 500,000 users created at once), where the two ranges take a
   * fraction of a millisecond.
   */
  pastCursor(reader: PageReader, where: (q: UsersQuery) => UsersQuery, after: Value[]) {
    const { db, columns, walk } = reader;
    if (columns.length !== 2)
      return reader.ordered(reader.from(where(db.selectFrom('users')), after)).selectAll('users');
    const [first, tie] = columns as [Column, Column];
    const [value, tieValue] = after;
    const past = walk === 'asc' ? '>' : '<';
    const sameValue = where(db.selectFrom('users'))
      .where(`users.${first}`, '=', value as never)
      .where(`users.${tie}`, past, tieValue as never)
      .selectAll('users');
    const pastValue = where(db.selectFrom('users'))
      .where(`users.${first}`, past, value as never)
      .selectAll('users');
    return sameValue
      .unionAll(pastValue)
      .orderBy(sql.ref(first), walk)
      .orderBy(sql.ref(tie), walk) as SelectQueryBuilder<Database, 'users', UserRow>;
  }

  /**
   * A plain list whose filters keep many of the account's users: the account's sort index, walked with the filters
   * tested on each row, finds a page in about n × users / kept rows, where SQLite's own plan reads and sorts every
   * kept user (a common department's 78,360 users of a million for a page of 25: 500 ms, where the walk takes 6 ms).
   * Kept users may cluster elsewhere in the sort order (pending users are the newest), so the walk reads no more rows
   * than the sort would, and null (the page not filled) sends the list to the sort.
   */
  async walkKept(
    filtered: Filtered,
    where: (q: UsersQuery) => UsersQuery,
    sorted: (where: (q: UsersQuery) => UsersQuery) => SelectQueryBuilder<Database, 'users', UserRow>,
    n: number,
  ): Promise<UserRow[] | null> {
    if (filtered.kept * filtered.kept < n * filtered.users) return null;
    const window = sorted((q) => q.where('users.account_id', '=', filtered.accountId)).limit(filtered.kept);
    // The rows come out in the window's order: SQLite filters the subquery's rows as it reads them (a co-routine).
    const rows = (await where(this.db.selectFrom(window.as('users')) as unknown as UsersQuery)
      .selectAll('users')
      .limit(n)
      .execute()) as UserRow[];
    return rows.length === n ? rows : null;
  }

  /**
   * The FTS5 index's candidates for the terms of a search, or null when it cannot narrow them (single letters): each
   * term's form (two letters are the trigram of a space and the letters, see termForm) as a phrase, which the trigram
   * index answers as a substring.
   */
  private candidates(accountId: number, foldedTerms: string[]): Candidates | null {
    const forms = foldedTerms.map(termForm);
    const indexed = forms.filter((form) => formLength(form) >= 3);
    if (indexed.length === 0) return null;
    const match = indexed.map(quote).join(' AND ');
    const low = accountId * ACCOUNT_SPAN;
    const high = low + ACCOUNT_SPAN - 1;
    const select = this.sqlite.prepare(
      'select rowid - ? from users_fts where users_fts match ? and rowid between ? and ? limit ?',
    );
    const subquery = sql`(select rowid - ${low} from users_fts where users_fts match ${match} and rowid between ${low} and ${high})`;
    return {
      ids: (cap) => select.pluck().all(low, match, low, high, cap + 1) as number[],
      idsInNameOrder: (after, order, count, known) => {
        const key = `${order}:${after ? 'after' : 'first'}:${known ? 'known' : 'index'}`;
        let statement = this.nameOrderStatements.get(key);
        if (!statement) {
          const past = after ? `and (u.name_key, u.id) ${order === 'asc' ? '>' : '<'} (@key, @id)` : '';
          const from = known
            ? 'users u indexed by users_id_name where u.id in (select value from json_each(@known))'
            : `users_fts f join users u indexed by users_id_name on u.id = f.rowid - @low
               where users_fts match @match and f.rowid between @low and @high`;
          statement = this.sqlite.prepare(
            `select u.id from ${from} ${past} order by u.name_key ${order}, u.id ${order} limit @count`,
          );
          this.nameOrderStatements.set(key, statement);
        }
        const params = known
          ? { known: JSON.stringify(known), count, ...(after ? { key: after[0], id: after[1] } : {}) }
          : { low, high, match, count, ...(after ? { key: after[0], id: after[1] } : {}) };
        return statement.pluck().all(params) as number[];
      },
      restrict: (q, ids) =>
        q.where(
          'users.id',
          'in',
          (ids ? sql`(select value from json_each(${JSON.stringify(ids)}))` : subquery) as never,
        ),
      exact: indexed.length === forms.length,
    };
  }
}

function quote(term: string): string {
  return `"${term.replaceAll('"', '""')}"`;
}
