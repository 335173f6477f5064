// The column rules of an import row: each mapped cell is checked and normalized, and every problem names its row
// and column. Pure and synchronous (the rules that need the database, taken usernames, are in analyze.ts).
import { IMPORT_FIELD_LABELS, type ImportField, type ImportMapping } from '../../../shared/import-schemas.js';
import { DEFAULT_PASSWORD_POLICY } from '../../../shared/password-policy.js';
import { forbiddenCharacter } from '../../../shared/text.js';
import type { Actor } from '../../policy.js';
import { type AccountPasswordRules, localProblems } from '../password-policy.js';
import { columnLetter, type ProblemCode, type RowProblem } from './problems.js';
import type { Cell } from './sheet.js';

export interface ImportedUser {
  row: number;
  username: string;
  /** Only fields the file gives (a blank cell skips the field; an update leaves it as it was). */
  firstName?: string;
  lastName?: string;
  email?: string;
  profile?: string;
  validFrom?: string;
  expiresAt?: string;
  timeZone?: string;
  language?: string;
  phone?: string;
  password?: string;
  department?: string;
}

/** The account's profiles an import may name (case-insensitive), and the id each name stands for. */
export interface ProfileCatalog {
  has(name: string): boolean;
  idOf(name: string): number | undefined;
  /** Each profile's lower-case name and id. */
  entries: [string, number][];
}

/** A catalog of profiles by lower-case name (a file's Profile cell matches whatever its case). */
export function profileCatalog(entries: [string, number][]): ProfileCatalog {
  const byName = new Map(entries);
  return {
    has: (name) => byName.has(name.trim().toLowerCase()),
    idOf: (name) => byName.get(name.trim().toLowerCase()),
    entries,
  };
}

export const NO_PROFILES: ProfileCatalog = profileCatalog([]);
/** The profiles an importing admin may give (those their own profile lets them manage). */
export type ProfileCatalogs = (actor: Actor) => Promise<ProfileCatalog>;

const MAX_LENGTH: Partial<Record<ImportField, number>> = {
  username: 100,
  fullName: 201,
  firstName: 100,
  lastName: 100,
  email: 254,
  profile: 100,
  phone: 32,
  password: 256,
  department: 100,
  timeZone: 64,
  language: 35,
};

const USERNAME = /^[\p{L}\p{N}._@+-]+$/u;
const EMAIL = /^(?!\.)(?!.*\.\.)([A-Za-z0-9_'+\-.]*)[A-Za-z0-9_+-]@([A-Za-z0-9][A-Za-z0-9-]*\.)+[A-Za-z]{2,}$/;
const PHONE = /^[0-9+()\-. ]*$/;
const NEUTRALIZED = /^'[=+\-@\t\r]/;

const timeZones = new Map<string, boolean>();
function isTimeZone(value: string): boolean {
  let known = timeZones.get(value);
  if (known === undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: value });
      known = true;
    } catch {
      known = false;
    }
    if (timeZones.size < 10_000) timeZones.set(value, known);
  }
  return known;
}

const languages = new Map<string, string | null>();
function canonicalLanguage(value: string): string | null {
  let known = languages.get(value);
  if (known === undefined) {
    try {
      const tags = Intl.getCanonicalLocales(value);
      known = tags.length === 1 ? (tags[0] as string) : null;
    } catch {
      known = null;
    }
    if (languages.size < 10_000) languages.set(value, known);
  }
  return known;
}

const DAY_MS = 86_400_000;
const EXCEL_EPOCH = Date.UTC(1899, 11, 30);

type ParsedDate = { iso: string } | { error: string };
const dates = new Map<string | number, ParsedDate>();

/** A date cell as an ISO timestamp; a string is the reason it is not a date. Files repeat dates: each is read once. */
export function parseDate(cell: Cell): ParsedDate {
  const key = typeof cell === 'object' ? null : cell;
  if (key === null) return readDate(cell);
  let parsed = dates.get(key);
  if (parsed === undefined) {
    parsed = readDate(cell);
    if (dates.size < 10_000) dates.set(key, parsed);
  }
  return parsed;
}

/** The number in a regular expression's group `i` (0 when the group did not match). */
const group = (m: RegExpExecArray, i: number) => Number(m[i] ?? 0);

function readDate(cell: Cell): ParsedDate {
  if (typeof cell === 'number' || (typeof cell === 'string' && /^\d{1,7}(\.\d+)?$/.test(cell))) {
    const serial = Number(cell);
    // Spreadsheet serial dates: days since 1899-12-30 (1 = 1900-01-01 up to 9999-12-31).
    if (serial >= 1 && serial < 2_958_466)
      return { iso: new Date(EXCEL_EPOCH + Math.round(serial * DAY_MS)).toISOString() };
    return { error: 'is not a date' };
  }
  const text = String(cell).trim();
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?$/.exec(
    text,
  );
  if (m) {
    if (!validDay(group(m, 1), group(m, 2), group(m, 3)) || group(m, 4) > 23) return { error: 'is not a valid date' };
    if (m[4] && m[7]) {
      const parsed = Date.parse(text.replace(' ', 'T'));
      return Number.isNaN(parsed) ? { error: 'is not a valid date' } : { iso: new Date(parsed).toISOString() };
    }
    return { iso: utc(group(m, 1), group(m, 2), group(m, 3), group(m, 4), group(m, 5), group(m, 6)) };
  }
  m = /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/.exec(text);
  if (m) {
    const [year, month, day] = [group(m, 1), group(m, 2), group(m, 3)];
    return validDay(year, month, day) ? { iso: utc(year, month, day) } : { error: 'is not a valid date' };
  }
  m = /^(\d{1,2})([./-])(\d{1,2})\2(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(text);
  if (m) {
    const a = group(m, 1);
    const b = group(m, 3);
    const year = group(m, 4);
    let day: number;
    let month: number;
    if (m[2] === '.' || a > 12) [day, month] = [a, b];
    else if (b > 12) [day, month] = [b, a];
    else if (a === b) [day, month] = [a, b];
    else return { error: 'is ambiguous (day/month or month/day?): write it as YYYY-MM-DD' };
    if (!validDay(year, month, day) || group(m, 5) > 23) return { error: 'is not a valid date' };
    return { iso: utc(year, month, day, group(m, 5), group(m, 6), group(m, 7)) };
  }
  return { error: 'is not a date (write it as YYYY-MM-DD)' };
}

function validDay(year: number, month: number, day: number): boolean {
  if (year < 1900 || year > 9999 || month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

const utc = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0) =>
  new Date(Date.UTC(y, mo - 1, d, h, mi, s)).toISOString();

export interface RowVerdict {
  user: ImportedUser | null;
  problems: RowProblem[];
}

/** Records one problem of a row (a module function: a closure made for every row slows a big import). */
function addProblem(
  problems: RowProblem[],
  row: number,
  index: number | null,
  field: ImportField | null,
  code: ProblemCode,
  message: string,
) {
  problems.push({
    row,
    column: index === null ? null : columnLetter(index),
    field: field ? IMPORT_FIELD_LABELS[field] : null,
    code,
    message,
  });
}

/** Checks one row against the mapping; `user` is null when a problem makes the row unusable. */
/** The rules of an account that has set no password policy (tests, previews without an account). */
export const DEFAULT_PASSWORD_RULES: AccountPasswordRules = {
  policy: DEFAULT_PASSWORD_POLICY,
  accountWords: [],
  requireAdminOtp: false,
};

export function validateRow(
  row: number,
  cells: Cell[],
  mapping: ImportMapping,
  profiles: ProfileCatalog,
  passwords: AccountPasswordRules = DEFAULT_PASSWORD_RULES,
): RowVerdict {
  const problems: RowProblem[] = [];
  const user: ImportedUser = { row, username: '' };
  const present = new Set<ImportField>();
  for (let index = 0; index < mapping.length; index++) {
    const field = mapping[index];
    if (!field) continue;
    const cell = cells[index] ?? null;
    if (cell === null || cell === '') continue;
    const label = IMPORT_FIELD_LABELS[field];
    if (typeof cell === 'object') {
      addProblem(
        problems,
        row,
        index,
        field,
        'Formula',
        `${label} is a formula (=${cell.formula.slice(0, 40)}): type the value instead`,
      );
      present.add(field);
      continue;
    }
    if (field === 'validFrom' || field === 'expiresAt') {
      const date = parseDate(cell);
      if ('error' in date)
        addProblem(problems, row, index, field, 'BadDate', `${label} "${String(cell).slice(0, 40)}" ${date.error}`);
      else user[field] = date.iso;
      present.add(field);
      continue;
    }
    let text = typeof cell === 'number' ? String(cell) : cell.trim();
    if (NEUTRALIZED.test(text)) text = text.slice(1);
    if (text === '') continue;
    present.add(field);
    const forbidden = field === 'password' ? null : forbiddenCharacter(text);
    if (forbidden) {
      addProblem(problems, row, index, field, 'BadCharacter', `${label}: ${forbidden}`);
      continue;
    }
    const max = MAX_LENGTH[field];
    if (max && text.length > max) {
      addProblem(
        problems,
        row,
        index,
        field,
        'TooLong',
        `${label} is too long (${text.length} characters, at most ${max})`,
      );
      continue;
    }
    switch (field) {
      case 'username':
        if (!USERNAME.test(text))
          addProblem(problems, row, index, field, 'BadUsername', 'Username: use letters, digits and . _ @ + - only');
        else user.username = text.toLowerCase();
        break;
      case 'fullName': {
        const space = text.search(/\s/);
        user.firstName = space < 0 ? text : text.slice(0, space);
        user.lastName = space < 0 ? '' : text.slice(space).trim();
        if (user.firstName.length > 100 || user.lastName.length > 100) {
          addProblem(
            problems,
            row,
            index,
            field,
            'TooLong',
            'Full Name: first and last name must each be at most 100 characters',
          );
        }
        break;
      }
      case 'email':
        if (!EMAIL.test(text))
          addProblem(
            problems,
            row,
            index,
            field,
            'BadEmail',
            `Email "${text.slice(0, 60)}" is not a valid email address`,
          );
        else user.email = text;
        break;
      case 'profile':
        if (!profiles.has(text))
          addProblem(
            problems,
            row,
            index,
            field,
            'UnknownProfile',
            `Profile "${text.slice(0, 60)}" does not exist (or you may not give it)`,
          );
        else user.profile = text;
        break;
      case 'timeZone':
        if (!isTimeZone(text)) {
          addProblem(
            problems,
            row,
            index,
            field,
            'BadTimeZone',
            `Time zone "${text}" is unknown (use an IANA name such as Europe/Rome)`,
          );
        } else user.timeZone = text;
        break;
      case 'language': {
        const tag = canonicalLanguage(text);
        if (!tag)
          addProblem(
            problems,
            row,
            index,
            field,
            'BadLanguage',
            `Language "${text}" is unknown (use a tag such as en or pt-BR)`,
          );
        else user.language = tag;
        break;
      }
      case 'phone':
        if (!PHONE.test(text))
          addProblem(problems, row, index, field, 'BadPhone', 'Phone: use digits, spaces and + ( ) - . only');
        else user.phone = text;
        break;
      case 'password':
        user.password = typeof cell === 'string' ? cell : text;
        break;
      case 'firstName':
      case 'lastName':
      case 'department':
        user[field] = text;
        break;
    }
  }
  const usernameColumn = mapping.indexOf('username');
  if (!present.has('username')) {
    addProblem(
      problems,
      row,
      usernameColumn < 0 ? null : usernameColumn,
      'username',
      'MissingRequired',
      'Username is required',
    );
  }
  if (!present.has('fullName') && !present.has('firstName')) {
    const column = mapping.indexOf('fullName') >= 0 ? mapping.indexOf('fullName') : mapping.indexOf('firstName');
    addProblem(problems, row, column < 0 ? null : column, 'fullName', 'MissingRequired', 'Full Name is required');
  }
  if (user.password !== undefined && user.username) {
    // Imported users are standard users: the password is their only factor. The history is not checked here.
    const owner = { username: user.username, email: user.email ?? null, accessType: 'standard', isOwner: false };
    const issues = localProblems(user.password, passwords, owner);
    if (issues.length > 0) {
      const message = issues.map((issue) => `${issue.message} (${issue.rule})`).join('; ');
      addProblem(problems, row, mapping.indexOf('password'), 'password', 'PasswordPolicy', `Password: ${message}`);
    }
  }
  if (user.validFrom && user.expiresAt && user.validFrom >= user.expiresAt) {
    addProblem(
      problems,
      row,
      mapping.indexOf('expiresAt'),
      'expiresAt',
      'DatesOutOfOrder',
      'Expiration must be after Valid from',
    );
  }
  return { user: problems.length === 0 ? user : null, problems };
}
