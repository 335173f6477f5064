// Each locale's first names and surnames, ranked and weighted: real names first (the locale's most common surnames in
// their known order, then the rest of names.json), then, where the real list is shorter than the locale's share of a
// large directory needs, invented surnames in the locale's own spelling. Draws follow a Zipf-Mandelbrot law fitted
// so the most common surname holds the share it holds in that population.
import { readFileSync } from 'node:fs';
import { random } from '../data.js';
import { LOCALES, type Locale, PINYIN_GIVEN_NAMES } from './locales.js';

interface NameData {
  first: string[];
  last: string[];
  phone: string[];
  /** Where surnames take a gender's form: each gender's first names and surnames. */
  female?: { first: string[]; last: string[] };
  male?: { first: string[]; last: string[] };
}

const DATA = JSON.parse(readFileSync(new URL('./names.json', import.meta.url), 'utf8')) as Record<string, NameData>;

/** A list drawn by rank: `draw(u)` maps a uniform number in [0, 1) to an entry. */
export interface Ranked {
  names: string[];
  /** Cumulative probabilities, last = 1. */
  cumulative: Float64Array;
}

export function drawRanked(list: Ranked, u: number): string {
  const c = list.cumulative;
  let lo = 0;
  let hi = c.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((c[mid] as number) > u) hi = mid;
    else lo = mid + 1;
  }
  return list.names[lo] as string;
}

function zipfShare(n: number, q: number, s: number): number {
  let sum = 0;
  for (let r = 1; r <= n; r++) sum += (r + q) ** -s;
  return (1 + q) ** -s / sum;
}

/** Weights 1/(rank+q)^s with q (or, when even q = 0 is too flat, s) chosen so rank 1 holds `topShare`. */
export function zipfRanked(names: string[], topShare: number): Ranked {
  const n = names.length;
  let q = 0;
  let s = 1;
  if (zipfShare(n, 0, 1) > topShare) {
    let lo = 0;
    let hi = 1e6;
    for (let i = 0; i < 60; i++) {
      q = (lo + hi) / 2;
      if (zipfShare(n, q, 1) > topShare) lo = q;
      else hi = q;
    }
  } else {
    let lo = 1;
    let hi = 6;
    for (let i = 0; i < 60; i++) {
      s = (lo + hi) / 2;
      if (zipfShare(n, 0, s) < topShare) lo = s;
      else hi = s;
    }
  }
  const cumulative = new Float64Array(n);
  let sum = 0;
  for (let r = 0; r < n; r++) {
    sum += (r + 1 + q) ** -s;
    cumulative[r] = sum;
  }
  for (let r = 0; r < n; r++) cumulative[r] = (cumulative[r] as number) / sum;
  cumulative[n - 1] = 1;
  return { names, cumulative };
}

/**
 * Invents names that read like `real`: a character model of order 3 (falling back to 2 and 1) learnt from the real
 * names, each new name a walk from the start to the end of a name. Invented names that are real names, or shorter or
 * longer than the real ones, are thrown away.
 */
export function inventNames(real: string[], count: number, seed: number): string[] {
  const next = random(seed);
  const orders = [3, 2, 1];
  const models = orders.map(() => new Map<string, string[]>());
  const lengths: number[] = [];
  for (const name of real) {
    const chars = [...name];
    lengths.push(chars.length);
    const padded = ['^', '^', '^', ...chars, '$'];
    for (let i = 3; i < padded.length; i++)
      orders.forEach((order, k) => {
        const context = padded.slice(i - order, i).join('');
        const model = models[k] as Map<string, string[]>;
        const seen = model.get(context);
        if (seen) seen.push(padded[i] as string);
        else model.set(context, [padded[i] as string]);
      });
  }
  lengths.sort((a, b) => a - b);
  const minLength = Math.max(2, lengths[Math.floor(lengths.length * 0.05)] ?? 2);
  const maxLength = lengths[Math.floor(lengths.length * 0.95)] ?? 12;
  const known = new Set(real);
  const made: string[] = [];
  for (let attempt = 0; made.length < count && attempt < count * 60; attempt++) {
    // Mostly the longest context (reads most like the locale); sometimes a shorter one, for variety on short lists.
    const k = next() < 0.8 ? 0 : 1;
    const order = orders[k] as number;
    const chars = ['^', '^', '^'];
    for (;;) {
      const context = chars.slice(chars.length - order).join('');
      const options = (models[k] as Map<string, string[]>).get(context);
      if (!options) break;
      const char = options[Math.floor(next() * options.length)] as string;
      if (char === '$' || chars.length > maxLength + 3) break;
      chars.push(char);
    }
    const name = chars.slice(3).join('');
    const length = chars.length - 3;
    if (length < minLength || length > maxLength || known.has(name) || /^[\s'-]|[\s'-]$/.test(name)) continue;
    known.add(name);
    made.push(name);
  }
  return made;
}

/** Ranks real names by `common` (known order) then a fixed shuffle, so list order (alphabetical) carries no weight. */
function rankReal(real: string[], common: string[], seed: number): string[] {
  const next = random(seed);
  const rest = real.filter((name) => !common.includes(name));
  for (let i = rest.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [rest[i], rest[j]] = [rest[j] as string, rest[i] as string];
  }
  return [...common, ...rest];
}

/** First names and surnames that go together (one gender's, where surnames take a gender's form). */
export interface NamePool {
  firstNames: Ranked;
  surnames: Ranked;
  /** How many surnames are real (the rest are invented). */
  realSurnames: number;
}

export interface LocaleNames {
  locale: Locale;
  share: number;
  /** One pool, or a women's and a men's, drawn alike. */
  pools: NamePool[];
  phones: string[];
}

/** Surnames a locale needs: enough that a directory of a million keeps finding new rare ones in its share. */
const surnamesNeeded = (share: number) => Math.round(300 + 25_000 * share);

const TOP_FIRST_NAME_SHARE = 0.02;

let built: LocaleNames[] | undefined;

/** Every locale's ranked names (built once; deterministic, independent of any directory's seed). */
export function localeNames(): LocaleNames[] {
  if (built) return built;
  const total = LOCALES.reduce((sum, l) => sum + l.weight, 0);
  built = LOCALES.map((locale, index) => {
    const share = locale.weight / total;
    const data = DATA[locale.namesFrom ?? locale.tag];
    const genders =
      data?.female && data.male
        ? [
            { ...data.female, common: locale.commonSurnamesFemale ?? [] },
            { ...data.male, common: locale.commonSurnames },
          ]
        : [{ first: data?.first ?? [], last: data?.last ?? [], common: locale.commonSurnames }];
    const pools = genders.map((names, g): NamePool => {
      const seed = index * 10 + g;
      const realFirst = names.first.length ? names.first : PINYIN_GIVEN_NAMES;
      const first = locale.tag === 'zh-Latn' ? [...realFirst, ...inventNames(realFirst, 400, 900 + seed)] : realFirst;
      const realLast = rankReal(names.last, names.common, 100 + seed);
      const needed = surnamesNeeded(share / genders.length);
      const missing = locale.closedSurnames ? 0 : Math.max(0, needed - realLast.length);
      return {
        firstNames: zipfRanked(rankReal(first, [], 300 + seed), TOP_FIRST_NAME_SHARE),
        surnames: zipfRanked([...realLast, ...inventNames(realLast, missing, 500 + seed)], locale.topSurnameShare),
        realSurnames: realLast.length,
      };
    });
    return { locale, share, pools, phones: [...(locale.phones ?? []), ...(data?.phone ?? [])] };
  });
  return built;
}
