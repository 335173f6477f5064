// PostgreSQL's search adapter. A pg_trgm GIN index holds the search documents, and the name sort's index carries them
// too (INCLUDE search_doc), so a walk in name order tests rows from the index alone. Reading the trigram index costs as
// much as its posting lists for the terms are long, whatever the page, so a search first walks a window of the name
// index, walks on past it when its account's sample estimates where the page ends, and sorts the index's candidates
// only past that; a search the sample says is sparse sorts them at once. A search of one two-letter term reads its
// page in name order, and its total, from the word-start table instead. Totals are exact up to a cap of 1,000.
import { type Kysely, type RawBuilder, sql } from 'kysely';
import { POSTGRES_COUNT_CAP } from '../../shared/constants.js';
import { isWordStartTerm } from '../../shared/search-text.js';
import type { Database } from '../db/schema/index.js';
import { containsLike, idIn } from '../db/sql-helpers.js';
import { trigramPart } from '../db/user-index.js';
import type { UserRow } from '../services/user-presenter.js';
import {
  type Column,
  DEFAULT_TUNING,
  type Fetched,
  type PageReader,
  type Scope,
  type SearchAdapter,
  type SearchRequest,
  type SearchTuning,
  type Stretch,
  type TermIndexing,
  type UsersQuery,
  type Value,
  type Window,
} from './contract.js';
import { termForm, trigramReadable } from './form.js';
import { nextWindowRows, walkWindow } from './order.js';
import { AccountSamples } from './postgres-sample.js';

/**
 * A dense search's count first tests `countProbe` rows of the account in name order, then walks on, as far as their
 * density says the count passes the cap (with this margin), only if that is no more than `denseCountBudget` rows;
 * else it reads the trigram index. Walking tests a row in about half a microsecond.
 */
const DENSE_MARGIN = 1.2;

/** What a search's scope tells its window plan. */
interface PostgresScope extends Scope {
  /**
   * Without group or license filters: the terms as one row test, so a window of the name index is walked and its
   * matches counted by one query.
   */
  hitTest?: RawBuilder<boolean>;
  /**
   * The share of the account's users the sample says the search matches, when its candidates may be sorted at once:
   * they are when a first window would likely not hold the page.
   */
  sparseShare?: number;
  /** How many users the sample says the search matches (without row filters, whose columns the name index lacks). */
  estimated?: number;
  /** The account and the search's one term, when the word-start table answers it in name order (see wordStartPage). */
  wordStart?: { accountId: number; start: string };
}

/**
 * Whether the word-start table (migration 0028) holds every match of a search of this one folded term: two letters at
 * the start of a word, the first of them not an ASCII digit (the table leaves those out).
 */
export function inWordStartTable(folded: string): boolean {
  return isWordStartTerm(folded) && !/^[0-9]/.test(folded);
}

export class PostgresSearch implements SearchAdapter {
  readonly countCap = POSTGRES_COUNT_CAP;
  /** None by default: the first window of the name index (which holds the documents) tests a small account whole. */
  readonly scanUsers: number;
  readonly samples: AccountSamples;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly tuning: SearchTuning,
  ) {
    this.scanUsers = tuning.scanUsers ?? 0;
    this.samples = new AccountSamples(db, tuning.sampleMinUsers);
  }

  readSample(accountId: number): Promise<void> {
    return this.samples.read(accountId);
  }

  /**
   * Row-level test that a folded term occurs in a user's search document (its form, see termForm). `indexed` asks for
   * the form the trigram index serves, LIKE '%form%' (for a form pg_trgm takes a trigram from, see trigramReadable:
   * two letters are a space and the letters). Rows read from a sort index are tested with a plain (far cheaper) strpos.
   */
  private termMatches(folded: string, indexed: boolean): RawBuilder<boolean> {
    const form = termForm(folded);
    if (indexed && trigramReadable(form)) return containsLike(sql.ref('users.search_doc'), form);
    return sql<boolean>`strpos(users.search_doc, ${form}) > 0`;
  }

  /**
   * Test that a folded term occurs in a row a walk has already read (in a select list, or over a subquery's rows),
   * where no index can serve it: a LIKE. (Alone, strpos tests a document of the name index in half the time, but
   * the searches were no faster with it: see docs/architecture.md.)
   */
  private termInRow(folded: string): RawBuilder<boolean> {
    return containsLike(sql.ref('users.search_doc'), termForm(folded));
  }

  termTests(foldedTerms: string[], indexing: TermIndexing): RawBuilder<boolean>[] {
    return foldedTerms.map((term) => this.termMatches(term, indexing === 'index'));
  }

  /**
   * Pinned: the account as an expression no index on the column serves, and the part of the trigram index that holds
   * the account's users (see trigramPart).
   */
  inAccount(accountId: number, pinned: boolean): RawBuilder<boolean> {
    if (!pinned) return sql<boolean>`users.account_id = ${accountId}`;
    return sql<boolean>`((users.account_id + 0) = ${accountId} and ${trigramPart(accountId)})`;
  }

  candidateSortKey(column: Column): RawBuilder<unknown> {
    return sql.ref(`users.${column}`);
  }

  idIn(ids: number[]): RawBuilder<boolean> {
    return idIn('postgres', 'users.id', ids);
  }

  /** PostgreSQL bounds an index range by the whole row value, `(name_key, id) > (v, i)`: a walk is one range. */
  pastCursor(reader: PageReader, where: (q: UsersQuery) => UsersQuery, after: Value[]) {
    return reader.ordered(reader.from(where(reader.db.selectFrom('users')), after)).selectAll('users');
  }

  /** PostgreSQL's planner keeps statistics per value and already walks the sort index for a common filter. */
  walkKept(): Promise<null> {
    return Promise.resolve(null);
  }

  async search({ restriction, scanned }: SearchRequest): Promise<PostgresScope> {
    const { accountId, terms, facets, sets, where, filters, inSets, countAtMost, countUpTo, departmentMatches } =
      restriction;
    // No term the index can read (a single letter, `a.`): walk the sort index, testing each row.
    if (!terms.some((term) => trigramReadable(termForm(term)))) return scanned;
    const cap = this.countCap;
    /**
     * Matches among a stretch of the account in name order (rows `skip` to `skip + take`), counted no further than
     * `upTo`, read from the name index, which holds the search document.
     */
    const db = this.db;
    const inStretch = (skip: number, take: number, upTo: number) => {
      const stretch = filters(db.selectFrom('users'))
        .select(['users.id', 'users.search_doc'])
        .orderBy('users.name_key')
        .orderBy('users.id')
        .offset(skip)
        .limit(take);
      const matches = inSets(db.selectFrom(stretch.as('users')) as unknown as UsersQuery).where((eb) =>
        eb.and(terms.map((t) => this.termInRow(t))),
      );
      return countAtMost(matches, upTo);
    };
    // From the account's sample: a search whose first window would likely not hold a page (its estimated share of the
    // account's users times the window's rows is less than the page) sorts its candidates at once (see window).
    const estimate = this.samples.estimate(accountId, terms);
    const sparseShare =
      estimate !== null && estimate.matches <= (this.tuning.sparseMatches ?? Number.POSITIVE_INFINITY)
        ? estimate.matches / Math.max(1, estimate.users)
        : undefined;
    const inCandidates = (q: UsersQuery) => where(q, { pinAccountIndex: true, indexing: 'index' });
    // Dense where the page was found: walking the name index finds more matches than the cap sooner than the trigram
    // index, whose posting lists are read whole before the first row. A first stretch tells how dense they are (the
    // page's windows counted it, or a probe does); the walk goes on only as far as that density says the cap will be
    // passed, within a budget.
    const walkedBeyondCap = async (known?: Stretch) => {
      const probe = this.tuning.countProbe ?? DEFAULT_TUNING.countProbe ?? 0;
      const { rows, hits } = known ?? { rows: probe, hits: await inStretch(0, probe, cap + 1) };
      if (hits > cap) return true;
      const needed = hits > 0 ? Math.ceil((rows * (cap + 1) * DENSE_MARGIN) / hits) : Infinity;
      if (needed > (this.tuning.denseCountBudget ?? DEFAULT_TUNING.denseCountBudget ?? 0)) return false;
      return hits + (await inStretch(rows, needed - rows, cap + 1 - hits)) > cap;
    };
    // Users whose department alone holds every term (a department searched by name: `chat`, `escalations`) match
    // whatever else they hold: when the account's counts by department say they are more than the cap, the total is
    // "at least" the cap without reading users. Else the walk counts, and past it the trigram index's candidates are
    // counted up to the cap.
    const total = async (filled?: boolean, known?: Stretch) => {
      if (this.tuning.departmentTotals !== false && (await departmentMatches()) > cap)
        return { count: cap, exact: false };
      if (filled && (await walkedBeyondCap(known))) return { count: cap, exact: false };
      return countUpTo(inCandidates(db.selectFrom('users')));
    };
    const scope: PostgresScope = {
      where,
      filters,
      plan: 'window',
      candidates: inCandidates,
      total,
      hitTest:
        sets.length === 0
          ? sql<boolean>`(${sql.join(
              terms.map((term) => this.termInRow(term)),
              sql` and `,
            )})`
          : undefined,
      sparseShare,
      // The estimate counts matches among all of the account's users: with row filters, whose columns the name index
      // does not hold, a walk would read rows from the table, so it walks on as without an estimate.
      estimated: facets.length === 0 ? estimate?.matches : undefined,
    };
    // One two-letter term and no filters: its matches are exactly the users with that word start, so the table gives
    // the name order's page (see window) and, whatever the sort, the total (exact up to the cap).
    const [only] = terms;
    if (
      this.tuning.wordStartTable === false ||
      terms.length !== 1 ||
      only === undefined ||
      !inWordStartTable(only) ||
      facets.length > 0 ||
      sets.length > 0
    )
      return scope;
    const wordStart = { accountId, start: only };
    return {
      ...scope,
      wordStart,
      total: () => restriction.countUpTo(this.wordStarts(wordStart)),
    };
  }

  /** The users with a word start, in the word-start table's primary key order (account, start, name key, id). */
  private wordStarts({ accountId, start }: { accountId: number; start: string }) {
    return this.db
      .selectFrom('user_word_starts')
      .where('user_word_starts.account_id', '=', accountId)
      .where('user_word_starts.start', '=', start);
  }

  /**
   * The page of a search the word-start table answers, in name order: the first `n` of its users past `after`, read
   * from one range of the table's primary key (their rows joined to the few ids).
   */
  private async wordStartPage(
    { walk }: PageReader,
    wordStart: { accountId: number; start: string },
    after: Value[] | null,
    n: number,
  ): Promise<UserRow[]> {
    let users = this.wordStarts(wordStart);
    if (after) {
      users = users.where((eb) =>
        eb(
          eb.refTuple('user_word_starts.name_key', 'user_word_starts.user_id'),
          walk === 'asc' ? '>' : '<',
          eb.tuple(after[0] as string, after[1] as number),
        ),
      );
    }
    return (await users
      .innerJoin('users', 'users.id', 'user_word_starts.user_id')
      .where('users.account_id', '=', wordStart.accountId)
      .selectAll('users')
      .orderBy('user_word_starts.name_key', walk)
      .orderBy('user_word_starts.user_id', walk)
      .limit(n)
      .execute()) as UserRow[];
  }

  /**
   * A window of the sort index (in name order, one query that also counts its matches), then, when it held some of
   * the matches but not a page, a walk on past it, and the candidates past the walk sorted (and on a first page counted
   * by the same query). A sparse search sorts its candidates at once.
   */
  async window(reader: PageReader, after: Value[] | null, n: number): Promise<Fetched> {
    const { scope, columns, walk } = reader;
    const { hitTest: test, sparseShare, estimated, wordStart } = scope as PostgresScope;
    if (wordStart && columns[0] === 'name_key') {
      return { rows: await this.wordStartPage(reader, wordStart, after, n), filled: false };
    }
    const firstWindow = this.tuning.walkWindow;
    if (sparseShare !== undefined && sparseShare * firstWindow < n) {
      const sorted = await this.sortedCandidates(reader, after, n);
      return { rows: sorted.rows, filled: false, counted: after === null ? sorted.matches : undefined };
    }
    const hitTest = columns[0] === 'name_key' ? test : undefined;
    const first: Window = await this.walkStretch(reader, hitTest, after, firstWindow, n);
    // What the windows tell of the whole search on a first page: how many matches they hold (all of them when they
    // reach the end); walking from the start of the name order, that is the density a count goes on from (a walk
    // from the end, for the last page, tells only of the last rows).
    let walked: Stretch | undefined =
      first.hits !== undefined && after === null ? { rows: firstWindow + 1, hits: first.hits } : undefined;
    const fromStart = () => (walk === 'asc' ? walked : undefined);
    if (!first.end) return { rows: first.rows, filled: true, counted: walked?.hits };
    if (first.rows.length >= n) return { rows: first.rows, filled: true, stretch: fromStart() };
    let found = first.rows;
    let end = first.end;
    // Every candidate a sort reads past the window is a row read from the table, while a walked row of the name index,
    // which holds the search document, costs a fraction of one. A search the account's sample estimates walks on, when
    // its window held some of its matches, over at most walkedPerSorted rows per estimated match, and stops at the
    // page; when that does not fill it, the candidates past the walk are sorted, at most about twice what the sort
    // alone costs. (A window without any says nothing of where they start: `nguy` under N.) Without an estimate, the
    // next stretch is walked when the window's matches say it likely holds the page.
    const past = end;
    const perSorted = this.tuning.walkedPerSorted ?? DEFAULT_TUNING.walkedPerSorted ?? 0;
    const budget = Math.ceil((estimated ?? 0) * perSorted);
    const nextWindow = nextWindowRows(firstWindow, found.length, n);
    let next: (Window & { walked?: number }) | undefined;
    if (hitTest && estimated !== undefined) {
      if (budget > 0 && found.length > 0) {
        next = await this.walkOn(reader, hitTest, past, budget, n - found.length);
      }
    } else if (nextWindow > 0) {
      next = await this.walkStretch(reader, hitTest, past, nextWindow, n - found.length);
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
    if (after === null) {
      // Sorting the candidates past the window reads every one of them, so the same query counts them: with the
      // window's matches that is the whole search's exact total, without reading the trigram index twice.
      const rest = await this.sortedCandidates(reader, end, n - found.length);
      return { rows: [...found, ...rest.rows], filled: false, counted: found.length + rest.matches };
    }
    const rest = await reader.candidates(end, n - found.length);
    return { rows: [...found, ...rest], filled: false };
  }

  /**
   * Candidates past `bound`, in the walking order: only their sort keys are kept while they are sorted and counted by
   * the same query (not the whole rows, whose documents are long); the page's rows are joined to the few keys that
   * remain. `matches` counts every candidate past the bound.
   */
  private async sortedCandidates(
    { db, scope, columns, walk, ordered, from }: PageReader,
    bound: Value[] | null,
    count: number,
  ) {
    const keys = ordered(from(scope.candidates(db.selectFrom('users')), bound), true)
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
  }

  /** The name order from `start` on (`size` rows), each row's position in it and whether it matches `test`. */
  private numbered(
    { db, scope, walk, from }: PageReader,
    test: RawBuilder<boolean>,
    start: Value[] | null,
    size: number,
  ) {
    return from(scope.filters(db.selectFrom('users')), start)
      .select(['users.id', 'users.name_key', test.as('hit')])
      .select(
        sql<number>`row_number() over (order by users.name_key ${sql.raw(walk)}, users.id ${sql.raw(walk)})`.as('pos'),
      )
      .orderBy('users.name_key', walk)
      .orderBy('users.id', walk)
      .limit(size);
  }

  /**
   * A window of `size` rows from `start`. In name order (`hitTest` given) one query walks the name index, which holds
   * the search document: it returns the window's first matches, counts them all and finds its end. Otherwise the
   * window's bound is found first and its matches are read by id, so that the walk reads the index alone.
   */
  private async walkStretch(
    reader: PageReader,
    hitTest: RawBuilder<boolean> | undefined,
    start: Value[] | null,
    size: number,
    count: number,
  ): Promise<Window> {
    const { db } = reader;
    if (!hitTest) {
      return walkWindow(reader, start, size, count, async (q, limit) =>
        reader.rowsOf((await q.select('users.id').limit(limit).execute()).map((row) => row.id)),
      );
    }
    const stretch = this.numbered(reader, hitTest, start, size + 1);
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
    };
  }

  /**
   * The name index walked on from `start` over at most `budget` rows, stopping at its `count`-th match so that it
   * reads no further than the page needs. One statement returns the matches and, when the walk does not fill the page,
   * the budget's last row, so both come from one snapshot. `walked` is how far it went: to its last match when it
   * filled (`end` is that match), else the whole budget (`end` its last row, or null when the name order ended first).
   */
  private async walkOn(
    reader: PageReader,
    test: RawBuilder<boolean>,
    start: Value[],
    budget: number,
    count: number,
  ): Promise<Window & { walked: number }> {
    const { db, walk } = reader;
    const stretch = this.numbered(reader, test, start, budget);
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
    const rows = await reader.rowsOf(hits.map((row) => row.id));
    const lastHit = hits.at(-1);
    if (lastHit && hits.length >= count) {
      return { rows, end: [lastHit.name_key, lastHit.id], hits: hits.length, walked: Number(lastHit.pos) };
    }
    const last = marked.find((row) => Number(row.pos) === budget);
    return { rows, end: last ? [last.name_key, last.id] : null, hits: hits.length, walked: budget };
  }
}
