// The search index behind the user list, the one place where SQLite (FTS5 trigram) and PostgreSQL (pg_trgm) differ.
import { type RawBuilder, sql } from 'kysely';
import type { DatabaseHandle } from './index.js';
import { containsLike } from './sql-helpers.js';

const ACCOUNT_SPAN = 4294967296; // 2^32: FTS rowid = account_id * 2^32 + user id

export interface SearchCandidates {
  /** A subquery of user ids that contains every match (and only matches, for the terms it covers). */
  ids: RawBuilder<unknown>;
  /** How many candidates there are, counting no further than `cap + 1`. */
  count(cap: number): Promise<number>;
}

export class UserSearch {
  constructor(private readonly handle: DatabaseHandle) {}

  /** Row-level test that a folded term occurs in a user's search document. */
  termMatches(term: string): RawBuilder<boolean> {
    if (this.handle.dialect === 'sqlite') return sql<boolean>`instr(users.search_doc, ${term}) > 0`;
    // LIKE '%term%' is what the pg_trgm GIN index serves.
    return containsLike(sql.ref('users.search_doc'), term);
  }

  /**
   * Index-backed candidates for the terms of a search, or null when no index can narrow it
   * (PostgreSQL plans the GIN index itself; single letters are too common to index).
   * Returns 'none' when the index proves nothing can match.
   */
  candidates(accountId: number, terms: string[]): SearchCandidates | 'none' | null {
    const sqlite = this.handle.sqlite;
    if (this.handle.dialect !== 'sqlite' || !sqlite) return null;
    const groups: string[] = [];
    for (const term of terms) {
      if (term.length >= 3) groups.push(quote(term));
      else if (term.length === 2) {
        // A two-letter term occurs exactly where some trigram starts with it (every field ends with a newline).
        const trigrams = sqlite
          .prepare('select term from users_fts_vocab where term >= ? and term < ?')
          .pluck()
          .all(term, nextString(term)) as string[];
        if (trigrams.length === 0) return 'none';
        groups.push(`(${trigrams.map(quote).join(' OR ')})`);
      }
    }
    if (groups.length === 0) return null;
    const match = groups.join(' AND ');
    const low = accountId * ACCOUNT_SPAN;
    const high = low + ACCOUNT_SPAN - 1;
    const ids = sql`(select rowid - ${low} from users_fts where users_fts match ${match} and rowid between ${low} and ${high})`;
    return {
      ids,
      count: async (cap: number) => {
        const row = sqlite
          .prepare(
            'select count(*) as n from (select 1 from users_fts where users_fts match ? and rowid between ? and ? limit ?)',
          )
          .get(match, low, high, cap + 1) as { n: number };
        return row.n;
      },
    };
  }
}

function quote(term: string): string {
  return `"${term.replaceAll('"', '""')}"`;
}

/** The smallest string greater than every string that starts with `prefix`. */
function nextString(prefix: string): string {
  const last = prefix.codePointAt(prefix.length - 1) ?? 0;
  return prefix.slice(0, -1) + String.fromCodePoint(last + 1);
}
