// PostgreSQL's account samples: for each account of at least SAMPLE_MIN_USERS users, the search documents of about
// SAMPLE_DOCS of them, read again in the background once they are SAMPLE_AGE_MS old, for at most SAMPLED_ACCOUNTS
// accounts. A search counts its terms in them to estimate how many users it matches, which tells which plan suits
// it. The sample only chooses plans: every plan gives the same pages.
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema/index.js';
import { accountUserCount } from '../db/user-index.js';
import { termForm } from './form.js';

const SAMPLE_DOCS = 4000;
const SAMPLE_MIN_USERS = 20_000;
const SAMPLE_AGE_MS = 10 * 60 * 1000;
const SAMPLED_ACCOUNTS = 64;
/** Estimates an account's sample remembers (then it forgets them all and starts over). */
const SAMPLE_ESTIMATES = 1000;

/** What an account's sample says of a search (see AccountSamples.estimate). */
export interface SearchEstimate {
  /** Users estimated to match every term. */
  matches: number;
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
    const forms = foldedTerms.map(termForm);
    let matches = 0;
    for (const doc of sample.docs) if (forms.every((form) => doc.includes(form))) matches++;
    const estimate: SearchEstimate = {
      matches: (matches * sample.users) / Math.max(1, sample.docs.length),
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
