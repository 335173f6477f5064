// Search queries as a person types them when looking up someone they know, drawn from the directory's own people:
// part of a surname or first name, a bit of an email, phone digits without separators, a department, a few terms at
// once, and typos that match nobody. A share is typed on a plain keyboard ("muller" for Müller, "odegard" for Ødegård).
import type { BulkUser } from '../../server/services/user-bulk-insert.js';
import { isWordStartTerm } from '../../shared/search-text.js';
import { random } from '../data.js';
import { searchFold } from './fold.js';

export const QUERY_KINDS = [
  'surname prefix (3-6 letters)',
  'first-name prefix (3-5 letters)',
  '4 letters from inside a surname',
  'email local part or domain fragment',
  'first + last name prefixes ("jo smi")',
  'two letters of a surname',
  'phone digits without separators',
  'department',
  'three terms',
  'no match (a typo)',
] as const;
export type QueryKind = (typeof QUERY_KINDS)[number];

export interface Query {
  kind: QueryKind;
  text: string;
}

export interface QueryOptions {
  /** Share of queries typed without accents or special letters where the name is in Latin script. */
  plainShare?: number;
  /**
   * Every run of letters a-z in the whole directory's search documents (see letterRuns), when `people` is a sample of
   * it: a typo must match nobody in the directory, not only nobody in the sample.
   */
  letterRuns?: ReadonlySet<string>;
}

/** The runs of letters a-z of a user's search document: a typo (letters only) matches the user iff it is in one. */
export function letterRuns(user: BulkUser): string[] {
  return searchDocument(user).match(/[a-z]+/g) ?? [];
}

const LATIN = /^[\p{Script=Latin}\s'’.-]+$/u;

/** The words of a field as the person types them: lower case, and on a plain keyboard when `plain`. */
function typedWords(value: string | undefined, plain: boolean): string[] {
  if (!value) return [];
  const typed = plain && LATIN.test(value) ? searchFold(value) : value.toLowerCase();
  return typed.split(/[\s'’.-]+/u).filter((word) => word.length > 0);
}

const chars = (word: string) => [...word];

/** Everything a search box looks in, folded, with the phone's digits also written without separators. */
export function searchDocument(user: BulkUser): string {
  const fields = [user.firstName, user.lastName, user.username, user.email, user.phone, user.department];
  return `${searchFold(fields.filter(Boolean).join(' '))} ${(user.phone ?? '').replace(/\D/g, '')}`;
}

/**
 * Whether every term of `text` occurs in the user's folded fields (what the directory search promises): two letters
 * or digits at the start of a word (but in scripts without word spaces, see isWordStartTerm), longer terms anywhere.
 */
export function matchesDocument(document: string, text: string): boolean {
  return searchFold(text)
    .split(/\s+/)
    .filter(Boolean)
    .every((term) =>
      isWordStartTerm(term) ? new RegExp(`(^|[^\\p{L}\\p{N}])${term}`, 'u').test(document) : document.includes(term),
    );
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** `perKind` queries of every kind (fewer when the people offer too few), each text once. */
export function sampleQueries(people: BulkUser[], perKind: number, seed = 1, options: QueryOptions = {}): Query[] {
  const next = random(seed);
  const plainShare = options.plainShare ?? 0.5;
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(list: T[]): T | undefined => list[Math.floor(next() * list.length)];
  const documents = people.map(searchDocument);
  const runs = options.letterRuns ? [...options.letterRuns] : null;
  const word = (value: string | undefined, plain: boolean, minLength: number) =>
    pick(typedWords(value, plain).filter((w) => chars(w).length >= minLength));
  const prefix = (w: string, min: number, max: number) =>
    chars(w)
      .slice(0, int(min, Math.min(max, chars(w).length)))
      .join('');

  const draw: Record<QueryKind, (user: BulkUser, plain: boolean) => string | undefined> = {
    'surname prefix (3-6 letters)': (u, plain) => {
      const w = word(u.lastName, plain, 3);
      return w && prefix(w, 3, 6);
    },
    'first-name prefix (3-5 letters)': (u, plain) => {
      const w = word(u.firstName, plain, 3);
      return w && prefix(w, 3, 5);
    },
    '4 letters from inside a surname': (u, plain) => {
      const w = word(u.lastName, plain, 6);
      if (!w) return undefined;
      const start = int(1, chars(w).length - 4);
      return chars(w)
        .slice(start, start + 4)
        .join('');
    },
    'email local part or domain fragment': (u) => {
      const [local, domain] = (u.email ?? '').split('@') as [string, string | undefined];
      if (!domain) return undefined;
      if (next() < 0.5) {
        const length = Math.min(local.length, int(4, 7));
        const start = next() < 0.5 ? 0 : int(0, local.length - length);
        return local.slice(start, start + length);
      }
      const name = domain.split(/[.-]/)[0] as string;
      return `${next() < 0.5 ? '@' : ''}${name.slice(0, int(3, Math.max(3, name.length)))}`;
    },
    'first + last name prefixes ("jo smi")': (u, plain) => {
      const first = word(u.firstName, plain, 2);
      const last = word(u.lastName, plain, 3);
      return first && last && `${prefix(first, 2, 3)} ${prefix(last, 3, 4)}`;
    },
    'two letters of a surname': (u, plain) => {
      const w = word(u.lastName, plain, 2);
      return w && chars(w).slice(0, 2).join('');
    },
    'phone digits without separators': (u) => {
      const digits = (u.phone ?? '').replace(/\D/g, '');
      if (digits.length < 4) return undefined;
      if (digits.length <= 6) return digits;
      const length = Math.min(digits.length, int(4, 8));
      // Mostly the end of the number (people leave out the country and area codes).
      const start = next() < 0.7 ? digits.length - length : int(0, digits.length - length);
      return digits.slice(start, start + length);
    },
    department: (u) => {
      const w = word(u.department, true, 3);
      return w && (next() < 0.5 ? w : prefix(w, 3, w.length));
    },
    'three terms': (u, plain) => {
      const first = word(u.firstName, plain, 2);
      const last = word(u.lastName, plain, 2);
      const department = word(u.department, true, 3);
      return first && last && department && `${prefix(first, 2, 3)} ${prefix(last, 2, 3)} ${prefix(department, 3, 4)}`;
    },
    'no match (a typo)': (u) => {
      const w = word(u.lastName, true, 5);
      if (!w || !/^[a-z]+$/.test(w)) return undefined;
      const at = int(0, w.length - 1);
      const letter = LETTERS[int(0, 25)] as string;
      const edit = int(0, 3);
      const typo =
        edit === 0
          ? `${w.slice(0, at)}${letter}${w.slice(at + 1)}`
          : edit === 1
            ? `${w.slice(0, at)}${w.slice(at + 1)}`
            : edit === 2
              ? `${w.slice(0, at)}${letter}${w.slice(at)}`
              : `${w.slice(0, at)}${w[at + 1] ?? ''}${w[at]}${w.slice(at + 2)}`;
      if (typo === w) return undefined;
      const matches = runs ? runs.some((run) => run.includes(typo)) : documents.some((d) => d.includes(typo));
      return matches ? undefined : typo;
    },
  };

  const queries: Query[] = [];
  const asked = new Set<string>();
  for (const kind of QUERY_KINDS) {
    let made = 0;
    for (let attempt = 0; made < perKind && attempt < perKind * 50; attempt++) {
      const user = pick(people);
      const text = user && draw[kind](user, next() < plainShare);
      if (!text || asked.has(text)) continue;
      asked.add(text);
      queries.push({ kind, text });
      made++;
    }
  }
  return queries;
}
