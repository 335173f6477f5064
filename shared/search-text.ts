// Search normalization and highlighting, shared by the server (index + match ranges) and the console.

/**
 * Lower-case and strip accents: "José" -> "jose", "Müller" -> "muller". Group names are told apart this way (a
 * group's name key); searches fold further (foldText).
 */
export function foldAccents(value: string): string {
  // Printable ASCII (most names, emails and phones) has nothing to decompose.
  if (!/[^\x20-\x7e]/.test(value)) return value.toLowerCase();
  return value.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** Letters Unicode does not decompose, as people type them on a keyboard without them (after lower-casing). */
const PLAIN_LETTERS: Record<string, string> = {
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ø: 'o',
  ł: 'l',
  đ: 'd',
  ð: 'd',
  ı: 'i',
  þ: 'th',
  ħ: 'h',
  ŧ: 't',
};
const UNDECOMPOSED = new RegExp(`[${Object.keys(PLAIN_LETTERS).join('')}]`, 'gu');
const HAS_UNDECOMPOSED = new RegExp(UNDECOMPOSED.source, 'u');

/**
 * What searches compare: lower case without accents, and the letters Unicode does not decompose as they are typed
 * without them: "Straße" -> "strasse", "Ødegård" -> "odegard", "Żółć" -> "zolc", "Yılmaz" -> "yilmaz".
 */
export function foldText(value: string): string {
  const folded = foldAccents(value);
  // "ẞ" lower-cases to "ß"; "İ" decomposes to "i" and a dot.
  return HAS_UNDECOMPOSED.test(folded)
    ? folded.replace(UNDECOMPOSED, (letter) => PLAIN_LETTERS[letter] as string)
    : folded;
}

/**
 * Folds a string and keeps, for every folded UTF-16 unit, where the character it came from starts and ends in the
 * original string, so ranges found in folded text map back onto what the user sees. `keep` may drop what a match
 * skips (the separators of a phone number).
 */
function foldWithMap(
  value: string,
  keep: (folded: string) => string = (folded) => folded,
): { folded: string; starts: number[]; ends: number[] } {
  let folded = '';
  const starts: number[] = [];
  const ends: number[] = [];
  let index = 0;
  for (const char of value) {
    const piece = keep(foldText(char));
    for (let k = 0; k < piece.length; k++) {
      starts.push(index);
      ends.push(index + char.length);
    }
    folded += piece;
    index += char.length;
  }
  return { folded, starts, ends };
}

const digitsOnly = (folded: string) => folded.replace(/\D/g, '');

/** Splits a search box entry into folded terms; duplicates and terms contained in others are kept. */
export function searchTerms(query: string | undefined | null): string[] {
  if (!query) return [];
  return foldText(query)
    .split(/\s+/u)
    .map((term) => term.trim())
    .filter((term) => term.length > 0)
    .slice(0, 8);
}

export type Range = [start: number, end: number];

const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
const TWO_LETTERS_OR_DIGITS = /^[\p{L}\p{N}]{2}$/u;

/**
 * Letters (and digits) of scripts written without spaces between words (Chinese, Japanese, Thai...) and Korean's
 * (names run together, and folding splits each syllable into its jamo): each is a word of its own to the search, so
 * any two of them match anywhere (`小明` finds 王小明). Their punctuation and signs are separators like any other.
 */
export const UNSPACED_LETTER =
  /(?=[\p{L}\p{N}])[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Bopomofo}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}\p{Script=Yi}]/u;

/**
 * A term of two letters or digits matches only at the start of a word (after anything but a letter or a digit): `jo`
 * finds John and Jean-Joseph, not Major. Longer terms, terms holding a separator, and letters of scripts without
 * spaces between words (UNSPACED_LETTER) match anywhere.
 */
export function isWordStartTerm(term: string): boolean {
  return term.length <= 4 && TWO_LETTERS_OR_DIGITS.test(term) && !UNSPACED_LETTER.test(term);
}

/** Whether folded `text` holds the folded term where the search matches it (see isWordStartTerm). */
export function termOccursAt(text: string, term: string, at: number): boolean {
  if (!isWordStartTerm(term) || at === 0) return true;
  // The character before, which may take two UTF-16 units.
  const unit = text.charCodeAt(at - 1);
  const before = unit >= 0xdc00 && unit <= 0xdfff && at >= 2 ? text.slice(at - 2, at) : text.slice(at - 1, at);
  return !LETTER_OR_DIGIT.test(before);
}

/** Ranges (in the original string) where any of the folded terms occur, merged and sorted. */
export function matchRanges(value: string | null | undefined, terms: string[]): Range[] {
  if (!value || terms.length === 0) return [];
  const text = foldWithMap(value);
  // Digits typed without separators ("5550199") also match a number written with them ("(212) 555-0199").
  const digits = terms.some((term) => /^\d+$/.test(term)) ? foldWithMap(value, digitsOnly) : null;
  const raw: Range[] = [];
  const find = ({ folded, starts, ends }: ReturnType<typeof foldWithMap>, term: string) => {
    let from = 0;
    for (;;) {
      const at = folded.indexOf(term, from);
      if (at < 0) break;
      from = at + 1;
      if (!termOccursAt(folded, term, at)) continue;
      // To the end of the last character the term reached into ("stras" in "Straße" takes the whole ß).
      raw.push([starts[at] as number, ends[at + term.length - 1] as number]);
    }
  };
  for (const term of terms) {
    find(text, term);
    if (digits && /^\d+$/.test(term)) find(digits, term);
  }
  raw.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: Range[] = [];
  for (const range of raw) {
    const last = merged[merged.length - 1];
    if (last && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push([range[0], range[1]]);
  }
  return merged;
}

/** Splits a string into plain and highlighted parts for display. */
export function highlightParts(value: string, ranges: Range[]): { text: string; hit: boolean }[] {
  const parts: { text: string; hit: boolean }[] = [];
  let at = 0;
  for (const [start, end] of ranges) {
    if (start > at) parts.push({ text: value.slice(at, start), hit: false });
    parts.push({ text: value.slice(start, end), hit: true });
    at = end;
  }
  if (at < value.length) parts.push({ text: value.slice(at), hit: false });
  return parts;
}
