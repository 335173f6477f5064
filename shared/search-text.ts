// Search normalization and highlighting, shared by the server (index + match ranges) and the console.

/** Lower-case and strip accents: "José" -> "jose", "Müller" -> "muller". */
export function foldText(value: string): string {
  // Printable ASCII (most names, emails and phones) has nothing to decompose.
  if (!/[^\x20-\x7e]/.test(value)) return value.toLowerCase();
  return value.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/**
 * Folds a string and keeps, for every folded UTF-16 unit, the index in the original string
 * it came from, so ranges found in folded text map back onto what the user sees.
 */
function foldWithMap(value: string): { folded: string; origin: number[] } {
  let folded = '';
  const origin: number[] = [];
  let index = 0;
  for (const char of value) {
    const piece = foldText(char);
    for (let k = 0; k < piece.length; k++) origin.push(index);
    folded += piece;
    index += char.length;
  }
  origin.push(value.length);
  return { folded, origin };
}

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

/** Ranges (in the original string) where any of the folded terms occur, merged and sorted. */
export function matchRanges(value: string | null | undefined, terms: string[]): Range[] {
  if (!value || terms.length === 0) return [];
  const { folded, origin } = foldWithMap(value);
  const raw: Range[] = [];
  for (const term of terms) {
    let from = 0;
    for (;;) {
      const at = folded.indexOf(term, from);
      if (at < 0) break;
      raw.push([origin[at] as number, origin[at + term.length] as number]);
      from = at + 1;
    }
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
