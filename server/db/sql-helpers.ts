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
 * A list of ids as one parameter (`x in ${idList(...)}`), so a statement's text and parameter count stay the same
 * whatever the list's length: a JSON array on SQLite, an int[] on PostgreSQL.
 */
export function idList(dialect: 'sqlite' | 'postgres', ids: readonly number[]): RawBuilder<unknown> {
  return dialect === 'postgres'
    ? sql`(select unnest(cast(${ids} as integer[])))`
    : sql`(select value from json_each(${JSON.stringify(ids)}))`;
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
