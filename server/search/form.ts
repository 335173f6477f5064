// The form folded text takes in search documents and search terms alike, on both databases, and the text a term is
// looked for as: a term of two letters or digits matches the start of a word, a longer one (or one that holds a
// separator) anywhere.
import { isWordStartTerm, UNSPACED_LETTER } from '../../shared/search-text.js';

/** A separator: a character that is not a letter, a digit or a space. */
const SEPARATOR = /[^\p{L}\p{N} ]/u;
const SPACED = new RegExp(`${SEPARATOR.source}|${UNSPACED_LETTER.source}`, 'gu');

/**
 * The form folded text takes in search documents and search terms alike: every separator is followed by a space, so
 * that every word of a document starts after a space (its fields start with one too, see searchDocument), and every
 * letter of a script without spaces between words is written after one, a word of its own (see UNSPACED_LETTER).
 * Spaces written beside characters keep substrings: a term's form occurs in a document's exactly where the term
 * occurs in its fields (terms hold no spaces, so a match cannot start at an inserted one unless the term's own form
 * starts with it).
 */
export function searchForm(folded: string): string {
  return folded.replace(SPACED, (char) => (UNSPACED_LETTER.test(char) ? ` ${char}` : `${char} `));
}

/**
 * What a search document must hold for a folded term to match: two letters or digits after a space (the start of a
 * word: `jo` finds John and Jean-Joseph, not Major), any other term's form anywhere. Both are text the trigram indexes
 * look up as trigrams once it has three characters.
 */
export function termForm(folded: string): string {
  return isWordStartTerm(folded) ? ` ${folded}` : searchForm(folded);
}

/** Characters in a term's form (not UTF-16 units): the trigram indexes read terms of three or more. */
export function formLength(form: string): number {
  let n = 0;
  for (const _ of form) n++;
  return n;
}

/**
 * Whether PostgreSQL's pg_trgm takes a trigram from LIKE '%form%', which it does from the words (runs of letters and
 * digits) of the pattern: one of three characters, or one after a space or separator (` jo`: `  j` and ` jo`; ` 王`:
 * `  王`), or one of two before one. Otherwise it would read the whole index (`a. `, `. . `), and rows are tested
 * instead. (pg_trgm tells letters by the database's character type, which must be a UTF-8 one: see operations.)
 */
const TRIGRAM_READABLE = /[\p{L}\p{N}]{3}|[^\p{L}\p{N}][\p{L}\p{N}]|[\p{L}\p{N}]{2}[^\p{L}\p{N}]/u;
export function trigramReadable(form: string): boolean {
  return TRIGRAM_READABLE.test(form);
}
