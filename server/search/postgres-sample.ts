// PostgreSQL's account samples: for each account of at least SAMPLE_MIN_USERS users, the search documents of about
// SAMPLE_DOCS of them, read again in the background once they are SAMPLE_AGE_MS old, for at most SAMPLED_ACCOUNTS
// accounts. A search counts its terms in them to estimate how many users it matches, which tells which plan suits
// it; the matching documents also say which trigrams a two-letter term most often starts (see likelyTrigramTests).
// The sample only chooses plans: every plan gives the same pages.
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../db/schema/index.js';
import { containsLike } from '../db/sql-helpers.js';
import { accountUserCount } from '../db/user-index.js';
import { searchForm, TWO_WORD_CHARS } from './form.js';

const SAMPLE_DOCS = 4000;
const SAMPLE_MIN_USERS = 20_000;
const SAMPLE_AGE_MS = 10 * 60 * 1000;
const SAMPLED_ACCOUNTS = 64;
/** Matching documents an estimate keeps, for the followers of a two-letter term (see likelyTrigramTests). */
const SAMPLE_MATCH_DOCUMENTS = 200;
/** Estimates an account's sample remembers (then it forgets them all and starts over). */
const SAMPLE_ESTIMATES = 1000;
/** How many of a two-letter term's commonest followers a proof of a total reads, and what share of them suffices. */
const LIKELY_FOLLOWERS = 4;
const LIKELY_SHARE = 0.8;

/** What an account's sample says of a search (see AccountSamples.estimate). */
export interface SearchEstimate {
  /** Users estimated to match every term. */
  matches: number;
  /** Users estimated to match the terms of three characters or more, when the search has two-letter terms too. */
  longer: number | null;
  /** The search documents of the sampled users that match (at most SAMPLE_MATCH_DOCUMENTS). */
  documents: string[];
  /** The account's users when the sample was read. */
  users: number;
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

export class AccountSamples {
  private readonly samples = new Map<number, AccountSample>();
  private readonly reading = new Map<number, Promise<void>>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly minUsers = SAMPLE_MIN_USERS,
  ) {}

  /**
   * How many users of the account a search likely matches, from the account's sample; null while there is none (a
   * small account, or one not sampled yet, whose sample this starts to read).
   */
  estimate(accountId: number, foldedTerms: string[]): SearchEstimate | null {
    const sample = this.samples.get(accountId);
    if (!sample || sample.readAt + SAMPLE_AGE_MS < Date.now()) void this.read(accountId);
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
      users: sample.users,
    };
    if (sample.estimates.size >= SAMPLE_ESTIMATES) sample.estimates.clear();
    sample.estimates.set(key, estimate);
    return estimate;
  }

  /**
   * Reads the account's sample, unless a read is under way: how many users it has (from its counts by facet), then,
   * when they are enough, the search documents of the users whose id hashes to a multiple of k (about every k-th,
   * whatever order they were created in), read in name order (the name index holds the documents).
   */
  read(accountId: number): Promise<void> {
    const running = this.reading.get(accountId);
    if (running) return running;
    const read = (async () => {
      const users = await accountUserCount(this.db, accountId);
      const every = Math.max(1, Math.floor(users / SAMPLE_DOCS));
      const rows =
        users < this.minUsers
          ? []
          : await this.db
              .selectFrom('users')
              .select('users.search_doc')
              .where('users.account_id', '=', accountId)
              .where(sql<boolean>`hashint4(users.id) % ${every} = 0`)
              .orderBy('users.name_key')
              .orderBy('users.id')
              .execute();
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
      .finally(() => this.reading.delete(accountId));
    this.reading.set(accountId, read);
    return read;
  }
}

/**
 * Tests that prove a search with two-letter terms has at least as many matches as they pass, in two stages: each
 * two-letter term with the letter or digit that most often follows it in `documents` (the page's matches and the
 * sample's), a trigram whose single posting list the index reads far faster than the dozens that hold a two-letter
 * term; then with its commonest followers (see likelyFollowers), for when one follower holds too few of the matches
 * (`ch`: Charles, Christopher, Michelle). Longer terms are tested as they are. Every row a stage passes matches, so
 * the index's candidates need no other test. `share`: the part of the `documents` holding the terms that the stage's
 * tests pass, which tells how many of the matches a stage may find; `documents`: how many it rests on. Empty without
 * a two-letter term, or when the documents show no such trigram.
 */
export function likelyTrigramTests(
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
