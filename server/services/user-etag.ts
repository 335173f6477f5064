// A user's version for HTTP's ETag / If-Match (RFC 9110 8.8.3, 13.1.1) and SCIM's meta.version: a digest of the
// user's stored fields, so any change to them (by the console, a bulk action, an import, SCIM or a sync) gives a
// new version, and two admins editing the same user cannot overwrite each other silently.
import { createHash } from 'node:crypto';
import type { UserRow } from './user-presenter.js';

/** Columns that change without anyone editing the user (sign-ins, counters) or that derive from others. */
const NOT_VERSIONED = new Set(['last_sign_in_at', 'failed_sign_ins', 'search_doc', 'name_key', 'first_key']);

/** The user's weak ETag, `W/"…"`: weak because it names the user's state, not one byte-exact representation. */
export function userEtag(row: UserRow): string {
  const hash = createHash('sha256');
  for (const key of Object.keys(row).sort()) {
    if (NOT_VERSIONED.has(key)) continue;
    const value = (row as unknown as Record<string, unknown>)[key];
    // Timestamps come back as Date objects from PostgreSQL and as text from SQLite: hash both as ISO text.
    hash.update(`${key}\u0000${value instanceof Date ? value.toISOString() : String(value)}\u0001`);
  }
  return `W/"${hash.digest('base64url').slice(0, 22)}"`;
}

/**
 * Whether an If-Match header value allows the change (RFC 9110 13.1.1): absent or `*` always does; otherwise one
 * of its entity tags must equal the current one. The comparison is weak, as If-Match's is for weak tags here:
 * `W/` prefixes are ignored on both sides.
 */
export function ifMatchAllows(header: string | undefined | null, current: string): boolean {
  if (header === undefined || header === null || header.trim() === '') return true;
  if (header.trim() === '*') return true;
  const bare = (tag: string) => tag.trim().replace(/^W\//i, '');
  const wanted = bare(current);
  return header.split(',').some((tag) => bare(tag) === wanted);
}
