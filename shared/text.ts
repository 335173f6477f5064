// Characters no field of a person, team or setting may hold: C0 and C1 control characters (NUL included), halves of
// surrogate pairs, and the bidirectional overrides and isolates that make text display other than it reads. Tabs and
// line breaks are allowed only in fields that are written on several lines (descriptions). One rule, used by the API
// for every JSON body and query string, and by the importer for every cell.

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is what this pattern is for.
const CONTROLS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;
const LINE_CONTROLS = /[\t\n\r]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Fields written on several lines, where tabs and line breaks belong (a PEM certificate is one). */
export const MULTI_LINE_FIELDS: ReadonlySet<string> = new Set(['description', 'caCertificate']);

const hex = (char: string) => `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

/** Why the text may not be stored, or null: the first character that is refused, named by its code point. */
export function forbiddenCharacter(text: string, multiLine = false): string | null {
  const control = CONTROLS.exec(text) ?? (multiLine ? null : LINE_CONTROLS.exec(text));
  if (control) {
    const char = control[0];
    const kind = /[\u202A-\u202E\u2066-\u2069]/.test(char) ? 'a bidirectional override' : 'a control character';
    return `Contains ${kind} (${hex(char)}): remove it`;
  }
  const surrogate = LONE_SURROGATE.exec(text);
  if (surrogate) return `Contains half of a surrogate pair (${hex(surrogate[0])}): it is not text`;
  return null;
}

/**
 * The first string in a JSON value (object keys included) that holds a forbidden character, as the field's path and
 * why; null when there is none. Fields named like passwords are left alone: they are never shown, only hashed.
 */
export function findForbiddenText(value: unknown, path: string[] = []): { path: string; message: string } | null {
  if (typeof value === 'string') {
    const field = path[path.length - 1] ?? '';
    if (/password/i.test(field)) return null;
    const message = forbiddenCharacter(value, MULTI_LINE_FIELDS.has(field));
    return message ? { path: path.join('.') || '(body)', message } : null;
  }
  if (value === null || typeof value !== 'object') return null;
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((item, i) => [String(i), item])
    : Object.entries(value);
  for (const [key, item] of entries) {
    const keyProblem = Array.isArray(value) ? null : forbiddenCharacter(key);
    if (keyProblem) return { path: [...path, key].join('.'), message: keyProblem };
    const found = findForbiddenText(item, [...path, key]);
    if (found) return found;
  }
  return null;
}

/**
 * The instant a date text names as ISO 8601 in UTC, when it lies in years 1 to 9999; null otherwise. JavaScript reads
 * years up to ±275,760 ("+100000-01-01", or 9999-12-31T23:00-02:00, which is past 9999 in UTC) and year 0, which
 * PostgreSQL's timestamps do not hold.
 */
export function storableInstant(text: string): string | null {
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  const iso = new Date(at).toISOString();
  return /^\d{4}-/.test(iso) && !iso.startsWith('0000') ? iso : null;
}
