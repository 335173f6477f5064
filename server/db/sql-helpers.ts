// Small SQL pieces that must read the same on SQLite and PostgreSQL.
import { type RawBuilder, sql } from 'kysely';

export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (char) => `\\${char}`);
}

/** `column` contains `value` (already folded), case-sensitive, with LIKE wildcards escaped. */
export function containsLike(column: RawBuilder<unknown> | string, value: string): RawBuilder<boolean> {
  const ref = typeof column === 'string' ? sql.ref(column) : column;
  return sql<boolean>`${ref} like ${`%${escapeLike(value)}%`} escape '\\'`;
}

/**
 * The text in lower case, every alphabet included (Ø is ø), on both databases: SQLite's own lower() knows ASCII only
 * (unicode_lower is registered when the database is opened), and PostgreSQL's follows the column's collation, which
 * is "C" for the sortable columns, so the database's default collation is asked for.
 */
export function unicodeLower(dialect: 'sqlite' | 'postgres', expr: RawBuilder<unknown>): RawBuilder<string> {
  return dialect === 'postgres' ? sql<string>`lower(${expr} collate "default")` : sql<string>`unicode_lower(${expr})`;
}

/** Ids one statement carries at most (one parameter on PostgreSQL, one JSON text on SQLite): 100,000 take 20. */
export const IDS_PER_STATEMENT = 5000;

/** `ids` without repeats, IDS_PER_STATEMENT at a time: each chunk one `idIn`. */
export function* idChunks<T extends number | string>(ids: readonly T[]): Generator<T[]> {
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += IDS_PER_STATEMENT) yield unique.slice(i, i + IDS_PER_STATEMENT);
}

/**
 * `column` is one of `ids`. On PostgreSQL that is `= any(array)`: a filter or an index condition, planned without a
 * join, so statistics that lag behind a large change (a team just given 100,000 members) cannot lead the planner to
 * a nested loop over thousands of ids. On SQLite, `in` the ids read from one JSON parameter.
 */
export function idIn(
  dialect: 'sqlite' | 'postgres',
  column: string,
  ids: readonly number[] | readonly string[],
): RawBuilder<boolean> {
  // Strings too (usernames): the same one parameter, as text.
  const type = sql.raw(typeof ids[0] === 'string' ? 'text[]' : 'integer[]');
  return dialect === 'postgres'
    ? sql<boolean>`${sql.ref(column)} = any(cast(${ids} as ${type}))`
    : sql<boolean>`${sql.ref(column)} in (select value from json_each(${JSON.stringify(ids)}))`;
}

/**
 * Typed parameters for the select list of an INSERT ... SELECT: PostgreSQL reads an untyped parameter there as
 * text, so it is cast to the column's type; SQLite needs no cast.
 */
export function typedParams(dialect: 'sqlite' | 'postgres') {
  const pg = dialect === 'postgres';
  return {
    int: (value: number | null) => (pg ? sql`cast(${value} as integer)` : sql`${value}`),
    text: (value: string | null) => (pg ? sql`cast(${value} as text)` : sql`${value}`),
    timestamp: (value: string) => (pg ? sql`cast(${value} as timestamptz)` : sql`${value}`),
  };
}

/**
 * A PostgreSQL array literal of `values` (every element quoted, null as NULL). Sent as one text parameter and cast to
 * the array's type: built by the caller when it likes (ahead of the statement that needs it), not by the driver when
 * the statement goes out.
 */
export function pgArrayLiteral(values: readonly (string | number | null | undefined)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (i > 0) out += ',';
    if (value === null || value === undefined) out += 'NULL';
    else {
      const text = String(value);
      out += /["\\]/.test(text) ? `"${text.replace(/["\\]/g, '\\$&')}"` : `"${text}"`;
    }
  }
  return `${out}}`;
}
