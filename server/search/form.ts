// The form folded text takes in search documents and search terms alike, on both databases.

/** Characters the search document holds as they are; every other one is written after a space (see searchForm). */
const PLAIN = /^[a-z0-9\n .@_+()/'-]*$/;
/**
 * What can follow two characters in a search document: one of PLAIN's characters (a space before any other one, a
 * newline at a field's end). So a document holds two letters exactly where it holds one of their 47 trigrams.
 */
export const FOLLOWERS = "abcdefghijklmnopqrstuvwxyz0123456789\n .@_+()/'-";
/** Two letters or digits: a term the trigram indexes answer as the trigrams it starts. */
export const TWO_WORD_CHARS = /^[a-z0-9]{2}$/;

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
