// A list's sort order: the keyset columns of each sort, its cursors, and the queries that read a page in that order.
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import type { UserSort } from '../../shared/constants.js';
import { MAX_ID } from '../../shared/ids.js';
import type { Db } from '../db/index.js';
import type { Database } from '../db/schema/index.js';
import { validationFailed } from '../errors.js';
import type { UserRow } from '../services/user-presenter.js';
import type { Column, Order, PageReader, Scope, SearchAdapter, UsersQuery, Value, Window } from './contract.js';

/** Keyset columns of each sort; the last one is unique within an account. */
export const SORT_COLUMNS: Record<UserSort, Column[]> = {
  name: ['name_key', 'id'],
  lastName: ['name_key', 'id'],
  firstName: ['first_key', 'id'],
  username: ['username'],
  email: ['email', 'id'],
  phone: ['phone', 'id'],
  department: ['department', 'id'],
  accessType: ['access_type', 'id'],
  authMethod: ['auth_method', 'id'],
  status: ['status', 'id'],
  enabled: ['enabled', 'id'],
  createdAt: ['created_at', 'id'],
};

export interface Cursor {
  values: Value[];
  direction: 'next' | 'prev';
}

export const flip = (order: Order): Order => (order === 'asc' ? 'desc' : 'asc');

/** Rows strictly after `values` in the walking order, or up to and including them: (c1, c2, ...) > (v1, v2, ...). */
export function keyset(columns: Column[], values: Value[], walk: Order, side: 'after' | 'upTo') {
  const op = side === 'after' ? (walk === 'asc' ? '>' : '<') : walk === 'asc' ? '<=' : '>=';
  return (eb: ExpressionBuilder<Database, 'users'>): Expression<SqlBool> => {
    if (columns.length === 1) return eb(`users.${columns[0] as Column}`, op, values[0] as never);
    const left = eb.refTuple(...(columns.map((c) => `users.${c}`) as [never, never]));
    return eb(left, op, eb.tuple(...(values as [never, never])));
  };
}

/** The queries that read a page of `scope` in the order of `columns`, walking it `walk`. */
export function pageReader(adapter: SearchAdapter, db: Db, scope: Scope, columns: Column[], walk: Order): PageReader {
  const ordered = <Q extends UsersQuery>(q: Q, sortCandidates = false) => {
    let out = q;
    for (const column of columns) {
      out = (sortCandidates ? out.orderBy(adapter.candidateSortKey(column), walk) : out.orderBy(column, walk)) as Q;
    }
    return out;
  };
  const from = (q: UsersQuery, values: Value[] | null) =>
    values ? q.where(keyset(columns, values, walk, 'after')) : q;
  const run = async (q: UsersQuery, count: number) => (await q.selectAll('users').limit(count).execute()) as UserRow[];
  const rowsOf = async (ids: number[]) =>
    ids.length === 0
      ? []
      : ((await ordered(db.selectFrom('users').where('users.id', 'in', ids))
          .selectAll('users')
          .execute()) as UserRow[]);
  return {
    scope,
    columns,
    walk,
    db,
    ordered,
    from,
    run,
    rowsOf,
    candidates: async (values, count) => {
      if (scope.idsInNameOrder && columns[0] === 'name_key') {
        return rowsOf(scope.idsInNameOrder(values as [string, number] | null, walk, count));
      }
      return run(ordered(from(scope.candidates(db.selectFrom('users')), values), true), count);
    },
  };
}

/**
 * After a window of `size` rows that held `found` of the `n` rows a page needs: a next window this many times as long
 * is walked when the density of the window's matches, with this margin, says it holds the rest of the page (else the
 * candidates past the window are sorted). A window without matches says nothing of where they start.
 */
const NEXT_WINDOW_FACTOR = 3;
const NEXT_WINDOW_MARGIN = 1.5;

/** The rows of the next window to walk after a first one (see NEXT_WINDOW_FACTOR), or 0 to sort instead. */
export function nextWindowRows(size: number, found: number, n: number): number {
  if (found === 0) return 0;
  const expected = ((n - found) * size) / found;
  return expected * NEXT_WINDOW_MARGIN <= size * NEXT_WINDOW_FACTOR ? size * NEXT_WINDOW_FACTOR : 0;
}

/**
 * A window of the sort index from `start` on: `size` rows with the filters only (found without reading search
 * documents), and the first `count` of them that match, read by `read`.
 */
export async function walkWindow(
  reader: PageReader,
  start: Value[] | null,
  size: number,
  count: number,
  read: (q: UsersQuery, count: number) => Promise<UserRow[]> = (q, n) => reader.run(q, n),
): Promise<Window> {
  const { db, scope, columns, walk, ordered, from } = reader;
  const bound = await ordered(from(scope.filters(db.selectFrom('users')), start))
    .select(columns.map((c) => `users.${c}` as const))
    .offset(size)
    .limit(1)
    .executeTakeFirst();
  const end = bound ? columns.map((c) => (bound as Record<string, Value>)[c] as Value) : null;
  let q = from(scope.where(db.selectFrom('users')), start);
  if (end) q = q.where(keyset(columns, end, walk, 'upTo'));
  return { end, rows: await read(ordered(q), count) };
}

export function encodeCursor(columns: Column[], row: UserRow, direction: 'next' | 'prev'): string {
  return encodeCursorValues(
    columns.map((c) => row[c] as string | number),
    direction,
  );
}

/** A page cursor from the sort key values of the row it starts after (or before, for 'prev'). */
export function encodeCursorValues(values: (string | number)[], direction: 'next' | 'prev'): string {
  const cursor: Cursor = { values, direction };
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

export function decodeCursor(raw: string, columns: Column[]): Cursor {
  const invalid = () => validationFailed([{ path: 'cursor', message: 'Invalid cursor for this sort' }]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const cursor = parsed as Cursor;
  if (
    !cursor ||
    !Array.isArray(cursor.values) ||
    cursor.values.length !== columns.length ||
    !cursor.values.every((value, i) => cursorValueFits(columns[i] as Column, value)) ||
    (cursor.direction !== 'next' && cursor.direction !== 'prev')
  ) {
    throw invalid();
  }
  return cursor;
}

/** Integer columns of the sorts and the largest value each holds; every other sort column is text or a timestamp. */
const INTEGER_COLUMNS: ReadonlyMap<Column, number> = new Map<Column, number>([
  ['id', MAX_ID],
  ['enabled', 1],
]);
const ISO_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

/**
 * Whether a cursor's value could be the column's. A cursor is the client's text, and a value the column cannot hold
 * (1.5 for an id, "x" for a time, a NUL in text) would fail inside PostgreSQL instead of as a 400. Other control
 * characters are allowed: sort keys hold U+0001 between last and first name.
 */
export function cursorValueFits(column: Column, value: unknown): boolean {
  const largest = INTEGER_COLUMNS.get(column);
  if (largest !== undefined)
    return Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= largest;
  if (typeof value !== 'string' || value.length > 4000 || value.includes('\u0000')) return false;
  if (column !== 'created_at') return true;
  const parts = ISO_TIMESTAMP.exec(value);
  if (!parts) return false;
  const [year, month, day] = parts.slice(1, 4).map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return year >= 1 && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
