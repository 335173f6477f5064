// The search index behind the user list: the one place where SQLite (FTS5 trigram) and PostgreSQL (pg_trgm)
// differ. Both answer the same question: which users of an account may match these folded terms.

import type { Statement as SqliteStatement } from 'better-sqlite3';
import { type Expression, type Kysely, type RawBuilder, type SelectQueryBuilder, sql, type Transaction } from 'kysely';
import { COUNT_CAP, POSTGRES_COUNT_CAP } from '../../shared/constants.js';
import type { DatabaseHandle } from './index.js';
import type { Database } from './schema/index.js';
import { containsLike } from './sql-helpers.js';
import { ACCOUNT_SPAN, accountUserCount } from './user-index.js';

type UsersQuery = SelectQueryBuilder<Database, 'users', object>;

/** Characters the search document holds as they are; every other one is written after a space (see searchForm). */
const PLAIN = /^[a-z0-9\n .@_+()/'-]*$/;
/**
 * What can follow two characters in a search document: one of PLAIN's characters (a space before any other one, a
 * newline at a field's end). So a document holds two letters exactly where it holds one of their 47 trigrams.
 */
export const FOLLOWERS = "abcdefghijklmnopqrstuvwxyz0123456789\n .@_+()/'-";
const TWO_WORD_CHARS = /^[a-z0-9]{2}$/;
/** How many of a two-letter term's commonest followers a proof of a total reads, and what share of them suffices. */
const LIKELY_FOLLOWERS = 4;
const LIKELY_SHARE = 0.8;

/**
 * PostgreSQL keeps, for each account of at least SAMPLE_MIN_USERS users, the search documents of about SAMPLE_DOCS
 * of them, read again in the background once they are SAMPLE_AGE_MS old, for at most
 * SAMPLED_ACCOUNTS accounts: a search counts its terms in them to estimate how many users it matches, which tells
 * which plan suits it (see estimate). The sample only chooses plans; every plan gives the same pages.
 */
const SAMPLE_DOCS = 4000;
const SAMPLE_MIN_USERS = 20_000;
const SAMPLE_AGE_MS = 10 * 60 * 1000;
const SAMPLED_ACCOUNTS = 64;
/** SQLite: accounts searched by testing every user (see UserSearch.scanUsers). */
const SQLITE_SCAN_USERS = 20_000;
/** Matching documents an estimate keeps, for the followers of a two-letter term (see likelyTrigramTests). */
const SAMPLE_MATCH_DOCUMENTS = 200;
/** Estimates an account's sample remembers (then it forgets them all and starts over). */
const SAMPLE_ESTIMATES = 1000;

/** What an account's sample says of a search (see UserSearch.estimate). */
export interface SearchEstimate {
  /** Users estimated to match every term. */
  matches: number;
  /** Users estimated to match the terms of three characters or more, when the search has two-letter terms too. */
  longer: number | null;
  /** The search documents of the sampled users that match (at most SAMPLE_MATCH_DOCUMENTS). */
  documents: string[];
}

interface AccountSample {
  /**
   * Search documents of about every k-th user (none for an account too small to need them), and how many users the
   * account had when they were read.
   */
  docs: string[];
  users: number;
  readAt: number;
  /** Estimates made from it, by search (searches as one types and pages repeat theirs). */
  estimates: Map<string, SearchEstimate>;
}

/**
 * The form folded text takes in search documents and search terms alike: characters other than letters a-z,
 * digits and common separators follow a space. Then two letters occur in a document exactly where it holds a
 * trigram of the two letters and a letter or digit, or the two letters at the end of a word, which PostgreSQL's
 * pg_trgm index can look up (it cannot look up two letters alone).
 */
export function searchForm(folded: string): string {
  if (PLAIN.test(folded)) return folded;
  let out = '';
  for (const char of folded) out += PLAIN.test(char) ? char : ` ${char}`;
  return out;
}
type Executor = Kysely<Database> | Transaction<Database>;

/**
 * How a search's terms use the PostgreSQL trigram index. 'rows': not at all (rows read from a sort index are tested
 * with strpos). 'every': every term narrows the index's candidates, for a query that reads all of them (sorting them
 * or listing their ids): a two-letter term's trigrams intersected with a longer term's leave far fewer rows to read
 * (but two longer terms already leave few, and then a two-letter term's many posting lists cost more than they save).
 * 'longer': two-letter terms only when no longer term can drive the index, for a count that stops at the cap: the
 * index reads all posting lists of a term before the first row, and a common two-letter term's are long.
 */
export type TermIndexing = 'rows' | 'every' | 'longer';

export interface SearchCandidates {
  /** Up to `cap + 1` ids of users that may match (every match is among them), in one pass over the index. */
  ids(cap: number): Promise<number[]>;
  /** Restricts a query to the candidates: the ids found, or (ids null) the index itself, read lazily. */
  restrict(q: UsersQuery, ids: number[] | null): UsersQuery;
  /** True when being a candidate already means matching every term. */
  exact: boolean;
  /**
   * SQLite: up to `count` candidate ids in name order after a (name_key, id) key, read from a small index of
   * (id, name_key) instead of the users' rows, so sorting many candidates (a surname fragment) stays cheap.
   */
  idsInNameOrder?: (
    after: [string, number] | null,
    order: 'asc' | 'desc',
    count: number,
    /** The candidates, when they were fetched already (then the FTS index is not read again). */
    known?: number[],
  ) => number[];
}

/** The plans a search steers PostgreSQL's planner to (see candidatePlan and walkPlan). */
type PlanKind = 'candidates' | 'walk';

/** Runs queries under one of the two plans. */
export interface PlanSteering {
  candidatePlan<T>(fn: (db: Executor) => Promise<T>): Promise<T>;
  walkPlan<T>(fn: (db: Executor) => Promise<T>): Promise<T>;
}

/** The planner settings of each plan, for the rest of a transaction. */
const PLAN_SETTINGS: Record<PlanKind, Record<string, 'on' | 'off'>> = {
  candidates: { enable_indexscan: 'off', enable_indexonlyscan: 'off', enable_seqscan: 'off', enable_bitmapscan: 'on' },
  walk: { enable_indexscan: 'on', enable_indexonlyscan: 'on', enable_seqscan: 'off', enable_bitmapscan: 'off' },
};

/**
 * The statements that set a plan's settings for the rest of a transaction, and open it first when `opening`: the
 * settings are constants, so the statements go without parameters, in one round trip.
 */
function steering(kind: PlanKind, opening: boolean): RawBuilder<unknown> {
  const settings = Object.entries(PLAN_SETTINGS[kind]).map(([name, value]) => `set local ${name} = ${value}`);
  return sql.raw([...(opening ? ['begin read only'] : []), ...settings].join('; '));
}

/**
 * Runs `fn` on one connection, inside a read-only transaction that the first `steer` opens (with its settings, in the
 * same round trip) and that ends when `fn` does.
 */
async function steeredTransaction<T>(
  db: Kysely<Database>,
  fn: (steer: (kind: PlanKind) => Promise<void>, conn: Kysely<Database>) => Promise<T>,
): Promise<T> {
  return db.connection().execute(async (conn) => {
    let open = false;
    const steer = async (kind: PlanKind) => {
      await steering(kind, !open).execute(conn);
      open = true;
    };
    try {
      const result = await fn(steer, conn);
      if (open) await sql.raw('commit').execute(conn);
      return result;
    } catch (error) {
      if (open) await sql.raw('rollback').execute(conn);
      throw error;
    }
  });
}

export class UserSearch implements PlanSteering {
  private readonly nameOrderStatements = new Map<string, SqliteStatement>();

  /** Searches count exactly up to this many matches, then answer "at least". */
  readonly countCap: number;
  /** Whether the index can count candidates cheaply (SQLite's FTS5 can; a GIN index reads whole posting lists). */
  readonly countsCheaply: boolean;
  /**
   * Accounts of at most this many users are searched without the search index, by testing every user's document
   * (see UserList.scope). SQLite tests a document in about half a microsecond, so a whole account of 20,000 in about
   * 10 ms, while its full-text index holds every account's users, and a common trigram's list is read across all of
   * them (a domain fragment took 270 ms in an account of 1,000 beside one of a million). PostgreSQL: none, since its
   * first window of the name index (which holds the documents) already tests a small account whole, in one query.
   */
  readonly scanUsers: number;
  /**
   * Whether a plain list whose filters keep many users walks the sort index itself (see UserList.walkKept). SQLite's
   * planner reads and sorts every kept user instead (a department's 78,360 of a million: 500 ms for a page of 25, the
   * walk 6 ms); PostgreSQL's, which keeps statistics per value, already walks the index (page 1 p95 9.3 ms).
   */
  readonly walksFilteredLists: boolean;
  /**
   * Whether the database bounds an index range by a whole row value, `(value, id) > (v, i)`. SQLite bounds it by the
   * first column only, so a walk past a cursor is two ranges there (see UserList.pastTies); PostgreSQL does, and merges
   * such a compound query by sorting both ranges whole (a deep list page took 521 ms at the median, 4.9 ms as one range).
   */
  readonly boundsRowValues: boolean;

  private readonly samples = new Map<number, AccountSample>();
  private readonly sampling = new Map<number, Promise<void>>();
  private readonly sampleMinUsers: number;

  constructor(
    private readonly handle: DatabaseHandle,
    options: { sampleMinUsers?: number; scanUsers?: number } = {},
  ) {
    this.countsCheaply = handle.dialect === 'sqlite';
    this.walksFilteredLists = handle.dialect === 'sqlite';
    this.boundsRowValues = handle.dialect === 'postgres';
    this.scanUsers = options.scanUsers ?? (handle.dialect === 'sqlite' ? SQLITE_SCAN_USERS : 0);
    this.countCap = handle.dialect === 'sqlite' ? COUNT_CAP : POSTGRES_COUNT_CAP;
    this.sampleMinUsers = options.sampleMinUsers ?? SAMPLE_MIN_USERS;
  }

  /**
   * PostgreSQL: how many users of the account a search likely matches, from the account's sample (see SAMPLE_DOCS);
   * null while there is none (a small account, or one not sampled yet, whose sample this starts to read).
   */
  estimate(accountId: number, foldedTerms: string[]): SearchEstimate | null {
    if (this.handle.dialect !== 'postgres') return null;
    const sample = this.samples.get(accountId);
    if (!sample || sample.readAt + SAMPLE_AGE_MS < Date.now()) void this.readSample(accountId);
    if (!sample || sample.docs.length === 0) return null;
    const key = foldedTerms.join(' ');
    const known = sample.estimates.get(key);
    if (known) return known;
    const forms = foldedTerms.map(searchForm);
    const longer = forms.filter((term) => term.length >= 3);
    let matches = 0;
    let longerMatches = 0;
    const documents: string[] = [];
    for (const doc of sample.docs) {
      if (!longer.every((term) => doc.includes(term))) continue;
      longerMatches++;
      if (!forms.every((term) => doc.includes(term))) continue;
      matches++;
      if (documents.length < SAMPLE_MATCH_DOCUMENTS) documents.push(doc);
    }
    const scale = sample.users / Math.max(1, sample.docs.length);
    const estimate: SearchEstimate = {
      matches: matches * scale,
      longer: longer.length > 0 && longer.length < forms.length ? longerMatches * scale : null,
      documents,
    };
    if (sample.estimates.size >= SAMPLE_ESTIMATES) sample.estimates.clear();
    sample.estimates.set(key, estimate);
    return estimate;
  }

  /**
   * Reads the account's sample (PostgreSQL), unless a read is under way: how many users it has (from its counts by
   * facet), then, when they are enough, the search documents of the users whose id hashes to a multiple of k (about
   * every k-th, whatever order they were created in), read from the name index alone (which holds the documents).
   */
  readSample(accountId: number): Promise<void> {
    const running = this.sampling.get(accountId);
    if (running) return running;
    const read = (async () => {
      const users = await accountUserCount(this.handle.db, accountId);
      const every = Math.max(1, Math.floor(users / SAMPLE_DOCS));
      const rows =
        users < this.sampleMinUsers
          ? []
          : await this.walkPlan((db) =>
              db
                .selectFrom('users')
                .select('users.search_doc')
                .where('users.account_id', '=', accountId)
                .where(sql<boolean>`hashint4(users.id) % ${every} = 0`)
                .orderBy('users.name_key')
                .orderBy('users.id')
                .execute(),
            );
      // Most recently read last, so the oldest go first past SAMPLED_ACCOUNTS.
      this.samples.delete(accountId);
      this.samples.set(accountId, {
        docs: rows.map((row) => row.search_doc),
        users,
        readAt: Date.now(),
        estimates: new Map(),
      });
      for (const oldest of this.samples.keys()) {
        if (this.samples.size <= SAMPLED_ACCOUNTS) break;
        this.samples.delete(oldest);
      }
    })()
      // A read that fails leaves the sample as it was (or none): searches choose their plans without it meanwhile.
      .catch(() => undefined)
      .finally(() => this.sampling.delete(accountId));
    this.sampling.set(accountId, read);
    return read;
  }

  /**
   * Row-level test that a folded term occurs in a user's search document. `indexed` asks for the form the
   * PostgreSQL trigram index serves; rows read from a sort index are tested with a plain (far cheaper) strpos.
   */
  termMatches(folded: string, indexed = false): RawBuilder<boolean> {
    const term = searchForm(folded);
    if (this.handle.dialect === 'sqlite') return sql<boolean>`instr(users.search_doc, ${term}) > 0`;
    if (!indexed) return sql<boolean>`strpos(users.search_doc, ${term}) > 0`;
    // What the pg_trgm GIN index serves: LIKE '%term%', and two letters followed by a letter, a digit or a separator
    // (one character class, which the index reads as one condition over the trigrams that start with the letters).
    if (term.length >= 3) return containsLike(sql.ref('users.search_doc'), term);
    if (TWO_WORD_CHARS.test(term)) return sql<boolean>`users.search_doc ~ ${`${term}[a-z0-9\n .@_+()/'-]`}`;
    return sql<boolean>`strpos(users.search_doc, ${term}) > 0`;
  }

  /**
   * Test that a folded term occurs in a row a walk has already read (in a select list, or over a subquery's rows),
   * where no index can serve it: on PostgreSQL a LIKE, which tests a search document faster than strpos.
   */
  termInRow(folded: string): RawBuilder<boolean> {
    if (this.handle.dialect === 'sqlite') return this.termMatches(folded);
    return containsLike(sql.ref('users.search_doc'), searchForm(folded));
  }

  /**
   * Tests that prove a search with two-letter terms has at least as many matches as they pass (PostgreSQL), in two
   * stages: each two-letter term with the letter or digit that most often follows it in `documents` (the page's
   * matches), a trigram whose single posting list the index reads far faster than the dozens that hold a two-letter
   * term; then with its commonest followers (see likelyFollowers), for when one follower holds too few of the matches
   * (`ch`: Charles, Christopher, Michelle). Longer terms are tested as they are. Every row a stage passes matches, so
   * the index's candidates need no other test. `share`: the part of the `documents` holding the terms that the
   * stage's tests pass, which tells how many of the matches a stage may find; `documents`: how many it rests on.
   * Empty without a two-letter term, or when the documents show no such trigram.
   */
  likelyTrigramTests(
    foldedTerms: string[],
    documents: string[],
  ): { tests: RawBuilder<boolean>[]; share: number; documents: number }[] {
    const forms = foldedTerms.map(searchForm);
    if (!forms.some((term) => TWO_WORD_CHARS.test(term))) return [];
    const stages = [
      { tests: [] as RawBuilder<boolean>[], share: 1, documents: documents.length },
      { tests: [] as RawBuilder<boolean>[], share: 1, documents: documents.length },
    ];
    for (const term of forms) {
      if (term.length >= 3) {
        for (const stage of stages) stage.tests.push(containsLike(sql.ref('users.search_doc'), term));
        continue;
      }
      if (!TWO_WORD_CHARS.test(term)) return [];
      const followers = new Map<string, number>();
      for (const document of documents) {
        for (let at = document.indexOf(term); at >= 0; at = document.indexOf(term, at + 1)) {
          const next = document[at + 2] ?? '';
          if (/^[a-z0-9]$/.test(next)) followers.set(next, (followers.get(next) ?? 0) + 1);
        }
      }
      const ranked = [...followers].sort((x, y) => y[1] - x[1]);
      const all = ranked.reduce((sum, [, n]) => sum + n, 0);
      if (all === 0) return [];
      const holding = documents.filter((document) => document.includes(term));
      stages.forEach((stage, at) => {
        const chars = ranked.slice(0, at === 0 ? 1 : likelyFollowers(ranked, all)).map(([char]) => char);
        // The share of the documents holding the term that hold it before one of these followers: of the matches,
        // about the part a count of the stage finds.
        const held = holding.filter((document) => chars.some((char) => document.includes(term + char))).length;
        stage.share *= held / holding.length;
        stage.documents = Math.min(stage.documents, holding.length);
        stage.tests.push(
          chars.length === 1
            ? containsLike(sql.ref('users.search_doc'), term + chars[0])
            : sql<boolean>`users.search_doc ~ ${`${term}[${chars.join('')}]`}`,
        );
      });
    }
    return stages[1] && stages[1].share > (stages[0]?.share ?? 1) ? stages : stages.slice(0, 1);
  }

  /**
   * Row-level tests for every term of a search, in the form `indexing` asks for (see TermIndexing).
   */
  termTests(foldedTerms: string[], indexing: TermIndexing): RawBuilder<boolean>[] {
    if (indexing === 'rows') return foldedTerms.map((term) => this.termMatches(term));
    const longer = foldedTerms.filter((term) => searchForm(term).length >= 3).length;
    const twoLetters = indexing === 'every' ? longer <= 1 : longer === 0;
    return foldedTerms.map((term) => this.termMatches(term, twoLetters || searchForm(term).length >= 3));
  }

  /**
   * The account column, or (pinned) an expression of it that no index serves, so the planner starts from the
   * search candidates instead of walking a whole sort index of the account.
   */
  accountColumn(pinned: boolean): Expression<number> {
    if (!pinned) return sql.ref<number>('users.account_id');
    return this.handle.dialect === 'sqlite' ? sql<number>`+users.account_id` : sql<number>`(users.account_id + 0)`;
  }

  /** A sort key that no index serves (SQLite): candidate plans sort their few rows instead of walking an index. */
  candidateSortKey(column: string): RawBuilder<unknown> {
    return this.handle.dialect === 'sqlite' ? sql`+${sql.ref(`users.${column}`)}` : sql.ref(`users.${column}`);
  }

  /**
   * Runs a candidate-first query. PostgreSQL estimates LIKE '%...%' poorly and may walk a sort index through a
   * million rows; with plain and index-only scans off, it takes the trigram index (bitmap) and sorts.
   */
  candidatePlan<T>(fn: (db: Executor) => Promise<T>): Promise<T> {
    return this.steered('candidates', fn);
  }

  /** Runs a walk of a sort index: on PostgreSQL, with bitmap and plain scans off so a common term is not read from the trigram index. */
  walkPlan<T>(fn: (db: Executor) => Promise<T>): Promise<T> {
    return this.steered('walk', fn);
  }

  /**
   * Runs the queries of one search. On PostgreSQL a search's queries share one read-only transaction, whose
   * settings change only when a query asks for the other plan: one round trip (the first also opens the transaction)
   * instead of a transaction each.
   */
  session<T>(fn: (plans: PlanSteering) => Promise<T>): Promise<T> {
    if (this.handle.dialect === 'sqlite') return fn(this);
    return steeredTransaction(this.handle.db, (steer, conn) => {
      let current: PlanKind | null = null;
      const run = async <R>(kind: PlanKind, query: (db: Executor) => Promise<R>) => {
        if (current !== kind) {
          await steer(kind);
          current = kind;
        }
        return query(conn);
      };
      return fn({
        candidatePlan: (query) => run('candidates', query),
        walkPlan: (query) => run('walk', query),
      });
    });
  }

  private steered<T>(kind: PlanKind, fn: (db: Executor) => Promise<T>): Promise<T> {
    if (this.handle.dialect === 'sqlite') return fn(this.handle.db);
    return steeredTransaction(this.handle.db, async (steer, conn) => {
      await steer(kind);
      return fn(conn);
    });
  }

  /**
   * Index-backed candidates for the terms of a search, or null when no index can narrow it (single letters,
   * and two letters on PostgreSQL, whose trigram index has no prefix lookup). 'none' when nothing can match.
   */
  candidates(accountId: number, foldedTerms: string[]): SearchCandidates | 'none' | null {
    if (this.handle.dialect === 'postgres') return this.postgresCandidates(accountId, foldedTerms);
    const terms = foldedTerms.map(searchForm);
    const sqlite = this.handle.sqlite;
    if (!sqlite) return null;
    const groups: string[] = [];
    for (const term of terms) {
      if (term.length >= 3) groups.push(quote(term));
      else if (term.length === 2) {
        // A two-letter term occurs exactly where one of its trigrams does; the index skips those it does not hold.
        groups.push(`(${[...FOLLOWERS].map((next) => quote(term + next)).join(' OR ')})`);
      }
    }
    if (groups.length === 0) return null;
    const match = groups.join(' AND ');
    const low = accountId * ACCOUNT_SPAN;
    const high = low + ACCOUNT_SPAN - 1;
    const select = sqlite.prepare(
      'select rowid - ? from users_fts where users_fts match ? and rowid between ? and ? limit ?',
    );
    const subquery = sql`(select rowid - ${low} from users_fts where users_fts match ${match} and rowid between ${low} and ${high})`;
    const nameOrder = (after: [string, number] | null, order: 'asc' | 'desc', count: number, known?: number[]) => {
      const key = `${order}:${after ? 'after' : 'first'}:${known ? 'known' : 'index'}`;
      let statement = this.nameOrderStatements.get(key);
      if (!statement) {
        const past = after ? `and (u.name_key, u.id) ${order === 'asc' ? '>' : '<'} (@key, @id)` : '';
        const from = known
          ? 'users u indexed by users_id_name where u.id in (select value from json_each(@known))'
          : `users_fts f join users u indexed by users_id_name on u.id = f.rowid - @low
             where users_fts match @match and f.rowid between @low and @high`;
        statement = sqlite.prepare(
          `select u.id from ${from} ${past} order by u.name_key ${order}, u.id ${order} limit @count`,
        );
        this.nameOrderStatements.set(key, statement);
      }
      const params = known
        ? { known: JSON.stringify(known), count, ...(after ? { key: after[0], id: after[1] } : {}) }
        : { low, high, match, count, ...(after ? { key: after[0], id: after[1] } : {}) };
      return statement.pluck().all(params) as number[];
    };
    return {
      ids: async (cap) => select.pluck().all(low, match, low, high, cap + 1) as number[],
      idsInNameOrder: nameOrder,
      restrict: (q, ids) =>
        q.where(
          'users.id',
          'in',
          (ids ? sql`(select value from json_each(${JSON.stringify(ids)}))` : subquery) as never,
        ),
      exact: terms.every((term) => term.length >= 2),
    };
  }

  private postgresCandidates(accountId: number, terms: string[]): SearchCandidates | null {
    const indexed = (term: string) => term.length >= 3 || TWO_WORD_CHARS.test(term);
    if (!terms.map(searchForm).some(indexed)) return null;
    return {
      // The candidate query applies every term, so its ids are exact matches.
      ids: (cap) =>
        this.candidatePlan(async (db) => {
          let q = db.selectFrom('users').select('users.id').where(this.accountColumn(true), '=', accountId);
          for (const test of this.termTests(terms, 'every')) q = q.where(test);
          return (await q.limit(cap + 1).execute()).map((row) => row.id);
        }),
      // Without ids the query's own term tests reach the trigram index under candidatePlan.
      restrict: (q, ids) => (ids ? q.where(sql<boolean>`users.id = any(${ids}::int[])`) : q),
      exact: true,
    };
  }
}

/**
 * How many of a two-letter term's followers (`ranked`, commonest first, `all` occurrences in all) a widened proof
 * reads: the commonest ones until they account for LIKELY_SHARE of the occurrences, at most LIKELY_FOLLOWERS, since
 * each one more is a posting list more to read.
 */
function likelyFollowers(ranked: [string, number][], all: number): number {
  let taken = 0;
  let share = 0;
  while (taken < Math.min(LIKELY_FOLLOWERS, ranked.length) && share < LIKELY_SHARE * all) {
    share += ranked[taken]?.[1] ?? 0;
    taken++;
  }
  return taken;
}

function quote(term: string): string {
  return `"${term.replaceAll('"', '""')}"`;
}
