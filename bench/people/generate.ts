// A directory as a multinational contact center has it: people from many locales in skewed shares, surnames and
// first names drawn by their real frequency, addresses on one huge corporate domain and many small ones in each
// domain's own local-part format, phones as each country writes them, departments of very different sizes.
import type { BulkUser } from '../../server/services/user-bulk-insert.js';
import { random } from '../data.js';
import { plainAscii } from './fold.js';
import { drawRanked, type LocaleNames, localeNames, type NamePool, type Ranked, zipfRanked } from './names.js';

/** Contact-center departments, largest first. */
export const DEPARTMENTS_BY_SIZE = [
  ...['Customer Support', 'Inbound Calls', 'Technical Support', 'Sales', 'Billing', 'Chat Support'],
  ...['Outbound Calls', 'Retention', 'Collections', 'Quality Assurance', 'Back Office', 'Escalations'],
  ...['Email Support', 'Operations', 'Training', 'Workforce Management', 'Claims', 'Onboarding', 'Social Media'],
  ...['IT Service Desk', 'Engineering', 'Finance', 'Human Resources', 'Marketing', 'Field Service', 'Logistics'],
  ...['Compliance', 'Legal', 'Procurement', 'Partnerships', 'Research', 'Facilities'],
];

export type LocalPartFormat = 'first.last' | 'flast' | 'firstl' | 'first_last' | 'firstlast' | 'last.first';
const FORMATS: LocalPartFormat[] = ['first.last', 'flast', 'firstl', 'first_last', 'firstlast', 'last.first'];

export interface EmailDomain {
  name: string;
  format: LocalPartFormat;
}

const WORDS = [
  ...['blue', 'north', 'peak', 'clear', 'river', 'signal', 'bright', 'core', 'nova', 'harbor', 'summit', 'metro'],
  ...['alpen', 'nord', 'sol', 'lumen', 'kobalt', 'atlas', 'vela', 'orbit', 'cedar', 'delta', 'terra', 'vista'],
];
const SUFFIXES = ['desk', 'line', 'call', 'works', 'hub', 'voice', 'talk', 'link', 'point', 'care', 'connect'];
const TLDS = ['.com', '.com', '.net', '.io', '.de', '.fr', '.co.uk', '.es', '.nl', '.com.br', '.pl', '.se', '.it'];

/** The company's own domain, then regional and acquired ones, then contractors' and agencies' (fixed for all seeds). */
export function emailDomains(count = 48): EmailDomain[] {
  const next = random(4242);
  const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)] as T;
  const domains: EmailDomain[] = [{ name: 'northwind-cx.com', format: 'first.last' }];
  const seen = new Set(domains.map((d) => d.name));
  while (domains.length < count) {
    const name = `${pick(WORDS)}${next() < 0.3 ? '-' : ''}${pick(SUFFIXES)}${pick(TLDS)}`;
    if (seen.has(name)) continue;
    seen.add(name);
    domains.push({ name, format: pick(FORMATS) });
  }
  return domains;
}

/** Share of people on the company's own domain; the rest fall off steeply over the others. */
const MAIN_DOMAIN_SHARE = 0.55;
const TOP_DEPARTMENT_SHARE = 0.2;

export interface PeopleOptions {
  /** Number of email domains (the first is the company's own). */
  domains?: number;
}

export interface Person extends BulkUser {
  locale: string;
}

function localPart(format: LocalPartFormat, first: string, last: string): string {
  switch (format) {
    case 'first.last':
      return `${first}.${last}`;
    case 'flast':
      return `${first[0]}${last}`;
    case 'firstl':
      return `${first}${last[0]}`;
    case 'first_last':
      return `${first}_${last}`;
    case 'firstlast':
      return `${first}${last}`;
    case 'last.first':
      return `${last}.${first}`;
  }
}

function phoneFrom(format: string, next: () => number): string {
  let out = '';
  for (const char of format) {
    if (char === '#') out += Math.floor(next() * 10);
    else if (char === '!') out += 2 + Math.floor(next() * 8);
    else out += char;
  }
  return out;
}

const cumulativeOf = (weights: number[]) => {
  const total = weights.reduce((a, b) => a + b, 0);
  let sum = 0;
  return weights.map((w) => (sum += w / total));
};

/**
 * `count` people, deterministic for `seed`. Usernames are the email addresses, unique in the directory: a second
 * Anna Schmidt on a first.last domain becomes anna.schmidt2, as mail systems do. Memory grows only with the set of
 * addresses handed out.
 */
export function* generatePeople(count: number, seed = 1, options: PeopleOptions = {}): Generator<Person> {
  const next = random(seed);
  const locales = localeNames();
  const localeAt = cumulativeOf(locales.map((l) => l.share));
  const domains = emailDomains(options.domains);
  const domainRank: Ranked = zipfRanked(
    domains.map((d) => d.name),
    MAIN_DOMAIN_SHARE,
  );
  const domainByName = new Map(domains.map((d) => [d.name, d]));
  const departments = zipfRanked(DEPARTMENTS_BY_SIZE, TOP_DEPARTMENT_SHARE);
  const taken = new Map<string, number>();
  for (let i = 1; i <= count; i++) {
    const u = next();
    let index = 0;
    while (index < localeAt.length - 1 && (localeAt[index] as number) <= u) index++;
    const names = locales[index] as LocaleNames;
    const { locale } = names;
    const pool = (
      names.pools.length > 1 ? names.pools[Math.floor(next() * names.pools.length)] : names.pools[0]
    ) as NamePool;
    const firstName = drawRanked(pool.firstNames, next());
    let lastName = drawRanked(pool.surnames, next());
    if (locale.doubleSurname && next() < locale.doubleSurname)
      lastName = `${lastName} ${drawRanked(pool.surnames, next())}`;
    const domain = domainByName.get(drawRanked(domainRank, next())) as EmailDomain;
    const umlauts = locale.umlauts === true && next() < 0.6;
    const first = plainAscii(firstName, umlauts);
    const last = plainAscii(lastName, umlauts);
    // Names in scripts without a transliteration here get an employee-number address, as many companies give.
    const base = first && last ? localPart(domain.format, first, last) : `e${String(100_000 + i)}`;
    const key = `${base}@${domain.name}`;
    const seen = taken.get(key) ?? 0;
    taken.set(key, seen + 1);
    const email = seen === 0 ? key : `${base}${seen + 1}@${domain.name}`;
    const roll = next();
    const phoneRoll = next();
    const phone =
      phoneRoll < 0.75 && names.phones.length > 0
        ? phoneFrom(names.phones[Math.floor(next() * names.phones.length)] as string, next)
        : phoneRoll < 0.9
          ? String(1000 + Math.floor(next() * 99_000))
          : undefined;
    yield {
      locale: locale.tag,
      username: email,
      firstName,
      lastName,
      email,
      phone,
      department: next() < 0.95 ? drawRanked(departments, next()) : undefined,
      accessType: roll < 0.02 ? 'admin' : roll < 0.05 ? 'read_only' : roll < 0.06 ? 'no_access' : 'standard',
      status: next() < 0.8 ? 'active' : 'inactive',
      enabled: next() < 0.95,
    };
  }
}
