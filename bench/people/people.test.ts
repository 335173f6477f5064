// The benchmark's people look like a real directory: many locales, a long tail of rare surnames under a few very
// common ones, email domains of very different sizes, and queries that find the people they were drawn from.
import { describe, expect, it } from 'vitest';
import { generatePeople, type Person } from './generate.js';
import { localeNames } from './names.js';
import { letterRuns, matchesDocument, QUERY_KINDS, sampleQueries, searchDocument } from './queries.js';

const COUNT = 200_000;
const people: Person[] = [...generatePeople(COUNT, 7)];

const counts = <T>(values: T[]) => {
  const map = new Map<T, number>();
  for (const value of values) map.set(value, (map.get(value) ?? 0) + 1);
  return [...map.values()].sort((a, b) => b - a);
};

describe('generatePeople', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = [...generatePeople(2000, 3)];
    expect([...generatePeople(2000, 3)]).toEqual(a);
    expect([...generatePeople(2000, 4)].map((p) => p.email)).not.toEqual(a.map((p) => p.email));
  });

  it('draws from at least 10,000 surnames, a million people meeting more than 10,000 of them', () => {
    expect(new Set(people.map((p) => p.lastName)).size).toBeGreaterThan(10_000);
    // Expected distinct surnames among a million draws, from the ranked lists' probabilities.
    let expected = 0;
    for (const { share, pools } of localeNames())
      for (const { surnames } of pools) {
        let previous = 0;
        for (const c of surnames.cumulative) {
          expected += 1 - (1 - (share / pools.length) * (c - previous)) ** 1_000_000;
          previous = c;
        }
      }
    expect(expected).toBeGreaterThan(10_000);
    expect(new Set(people.map((p) => p.firstName)).size).toBeGreaterThan(8_000);
  });

  it('has a few very common surnames and a rare median one', () => {
    const bySurname = counts(people.map((p) => p.lastName));
    const top = (bySurname[0] as number) / COUNT;
    expect(top).toBeGreaterThan(0.005);
    expect(top).toBeLessThan(0.03);
    expect((bySurname[Math.floor(bySurname.length / 2)] as number) / COUNT).toBeLessThan(0.0001);
  });

  it('mixes at least 19 locales, one dominant, and their scripts', () => {
    const byLocale = counts(people.map((p) => p.locale));
    expect(byLocale.length).toBeGreaterThanOrEqual(19);
    expect((byLocale[0] as number) / COUNT).toBeGreaterThan(0.2);
    expect((byLocale[byLocale.length - 1] as number) / COUNT).toBeLessThan(0.01);
    const names = people.map((p) => `${p.firstName} ${p.lastName}`).join(' ');
    for (const letters of [
      /[ßäöü]/,
      /[øæå]/,
      /ł/,
      /đ/,
      /ı/,
      /\p{Script=Cyrillic}/u,
      /\p{Script=Han}/u,
      /\p{Script=Hangul}/u,
    ])
      expect(names).toMatch(letters);
  });

  it('gives a surname with a feminine form to women only (Иванова, Nováková)', () => {
    for (const tag of ['ru', 'cs']) {
      const pools = localeNames().find((l) => l.locale.tag === tag)?.pools ?? [];
      expect(pools.length).toBe(2);
      const sets = pools.map((p) => ({ first: new Set(p.firstNames.names), last: new Set(p.surnames.names) }));
      const mine = people.filter((p) => p.locale === tag);
      const paired = mine.filter((p) => sets.some((s) => s.first.has(p.firstName) && s.last.has(p.lastName ?? '')));
      expect(paired.length).toBe(mine.length);
      const [women, men] = sets as [(typeof sets)[0], (typeof sets)[0]];
      expect(mine.some((p) => women.last.has(p.lastName ?? '') && !men.last.has(p.lastName ?? ''))).toBe(true);
    }
  });

  it('puts addresses on one huge domain, a few mid-sized ones and many tiny ones', () => {
    const byDomain = counts(people.map((p) => p.email?.split('@')[1]));
    expect((byDomain[0] as number) / COUNT).toBeGreaterThan(0.4);
    expect(byDomain.filter((n) => n / COUNT > 0.02 && n / COUNT < 0.2).length).toBeGreaterThanOrEqual(2);
    expect(byDomain.filter((n) => n / COUNT < 0.01).length).toBeGreaterThanOrEqual(20);
  });

  it('gives every person a unique username and email, in several local-part formats', () => {
    expect(new Set(people.map((p) => p.username)).size).toBe(COUNT);
    expect(new Set(people.map((p) => p.email)).size).toBe(COUNT);
    const locals = people.map((p) => p.email?.split('@')[0] ?? '');
    expect(locals.some((l) => /^[a-z]+\.[a-z]+$/.test(l))).toBe(true);
    expect(locals.some((l) => /^[a-z]+_[a-z]+$/.test(l))).toBe(true);
    expect(locals.some((l) => /[a-z]2$/.test(l))).toBe(true);
  });

  it("writes phones in each country's formats", () => {
    const phones = people.map((p) => p.phone ?? '');
    for (const shape of [/^\+\d/, /\(\d+\)/, /\d-\d/, /\d \d/, /^\d{4,5}$/])
      expect(phones.some((p) => shape.test(p))).toBe(true);
  });
});

describe('sampleQueries', () => {
  const sample = people.slice(0, 20_000);
  const documents = sample.map(searchDocument);
  const queries = sampleQueries(sample, 25, 11);

  it('asks every kind, each text once', () => {
    for (const kind of QUERY_KINDS) expect(queries.filter((q) => q.kind === kind).length).toBe(25);
    expect(new Set(queries.map((q) => q.text)).size).toBe(queries.length);
  });

  it('finds someone for every query but the typos, which find nobody', () => {
    for (const query of queries) {
      const found = documents.some((d) => matchesDocument(d, query.text));
      expect({ ...query, found }).toEqual({ ...query, found: query.kind !== 'no match (a typo)' });
    }
  });

  it('draws typos from a sample that match nobody in the whole directory, given its letter runs', () => {
    const directory = people.slice(0, 50_000);
    const small = directory.slice(0, 2_000);
    const runs = new Set(directory.flatMap(letterRuns));
    const typos = sampleQueries(small, 100, 5, { letterRuns: runs }).filter((q) => q.kind === 'no match (a typo)');
    expect(typos.length).toBeGreaterThan(50);
    // A typo is one term of letters a-z: it matches someone iff it occurs in one of their documents.
    const everyone = directory.map(searchDocument).join('\n');
    for (const typo of typos) expect(everyone.includes(typo.text), typo.text).toBe(false);
  });

  it('types some names on a plain keyboard', () => {
    const lowered = sample.map((p) => `${p.firstName} ${p.lastName}`.toLowerCase());
    const plainOnly = queries.filter(
      (q) => /^[a-z ]+$/.test(q.text) && q.kind !== 'no match (a typo)' && !lowered.some((n) => n.includes(q.text)),
    );
    expect(plainOnly.length).toBeGreaterThan(0);
  });
});
