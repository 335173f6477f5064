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
