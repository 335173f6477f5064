// SCIM filters on users as SQL: each attribute Roster can filter on is a column (or a membership subquery), so a
// filter is one indexed query of the account's users, never users read into memory. An attribute Roster does not
// filter on, or an operator that makes no sense for its type, is a 400 invalidFilter naming it.
import { type RawBuilder, sql } from 'kysely';
import { idFromDigits } from '../../shared/ids.js';
import { foldText } from '../../shared/search-text.js';
import { storableInstant } from '../../shared/text.js';
import type { Dialect } from '../db/dialect.js';
import { escapeLike, unicodeLower } from '../db/sql-helpers.js';
import { ACCOUNT_SPAN, trigramPart } from '../db/user-index.js';
import { formLength, searchForm, trigramReadable } from '../search/form.js';
import { ScimError } from './errors.js';
import type { AttrPath, CompareValue, Filter } from './filter.js';
import { ENTERPRISE_SCHEMA, GROUP_SCHEMA, ROSTER_SCHEMA, USER_SCHEMA } from './schema.js';

type Operand =
  | {
      type: 'text';
      expr: RawBuilder<unknown>;
      caseExact?: boolean;
      storedLower?: boolean;
      /** The column is in the user's search document, so its trigram index can narrow co/sw/ew first. */
      searched?: boolean;
      /** The column is the email address, which has a substring index of its own (migration 0017). */
      email?: boolean;
    }
  | { type: 'number'; expr: RawBuilder<unknown> }
  | { type: 'boolean'; expr: RawBuilder<unknown> }
  | { type: 'date'; expr: RawBuilder<unknown> };

/** Where a filter is read: the attributes it may name, and the multi-valued ones that are subqueries. */
export interface FilterContext {
  /** An attribute (with its sub-attribute) as a column expression, or null when it cannot be filtered on. */
  operand(path: AttrPath): Operand | null;
  /** A multi-valued attribute kept in a table of its own: `inner` is the filter on one of its values. */
  subquery?(path: AttrPath, inner: (context: FilterContext) => RawBuilder<boolean>): RawBuilder<boolean> | null;
  /** The rows whose search document holds the (folded) text: an index lookup that narrows a substring test. */
  searchDocumentHolds?(term: string): RawBuilder<boolean>;
  /** Whether the search index can narrow by the term at all (PostgreSQL: pg_trgm takes a trigram from it). */
  searchIndexReads?(term: string): boolean;
  /**
   * The ids of the users whose lower-cased email address contains the text, from the email index alone (a subquery of
   * `id`s); null when that index cannot answer (a text too short for trigrams, or on SQLite one that is not ASCII).
   */
  emailIndexIds?(wanted: string): RawBuilder<unknown> | null;
}

const ASCII = /^[\x20-\x7e]*$/;
const invalidFilter = (message: string) => new ScimError(400, message, 'invalidFilter');
const col = (name: string) => sql.ref(name);
const nameOf = (path: AttrPath) => [path.attribute, path.subAttribute].filter(Boolean).join('.');

/** The attribute's schema must be the one it belongs to, when the filter names one. */
function schemaOf(path: AttrPath, allowed: string[]): boolean {
  return path.schema === null || allowed.some((s) => s.toLowerCase() === path.schema?.toLowerCase());
}

/**
 * The account's users as a filter context (the query's users table is `users`): substring tests on the searched
 * columns are narrowed by the search index first (SQLite's FTS5 trigram table, PostgreSQL's trigram GIN index).
 */
export function userFilterContext(dialect: Dialect, accountId: number): FilterContext {
  const low = accountId * ACCOUNT_SPAN;
  const phrase = (text: string) => `"${text.replaceAll('"', '""')}"`;
  return {
    ...USER_COLUMNS,
    searchIndexReads: (term) => dialect !== 'postgres' || trigramReadable(term),
    searchDocumentHolds(term) {
      if (dialect === 'postgres') {
        return sql<boolean>`(users.search_doc like ${`%${escapeLike(term)}%`} escape '\\' and ${trigramPart(accountId)})`;
      }
      return sql<boolean>`(users.id in (select rowid - ${low} from users_fts where users_fts match ${phrase(term)}
        and rowid between ${low} and ${low + ACCOUNT_SPAN - 1}))`;
    },
    emailIndexIds(wanted) {
      if ([...wanted].length < 3) return null;
      if (dialect === 'postgres') {
        // `grams` is the address with every character other than a-z and 0-9 as 0 (migration 0017).
        const grams = [...wanted].map((c) => (/[a-z0-9]/.test(c) ? c : '0')).join('');
        return sql`(select user_id as id from user_emails where account_id = ${accountId}
          and grams like ${`%${grams}%`} and email like ${`%${escapeLike(wanted)}%`} escape '\\')`;
      }
      // FTS5's trigram phrase is a substring test of the address in lower case as far as an ASCII text can tell (0019).
      if (!ASCII.test(wanted)) return null;
      return sql`(select rowid - ${low} as id from user_emails_fts where user_emails_fts match ${phrase(wanted)}
        and rowid between ${low} and ${low + ACCOUNT_SPAN - 1})`;
    },
  };
}

/** The users table's columns as a filter context. */
const USER_COLUMNS: FilterContext = {
  operand(path) {
    const name = nameOf(path);
    if (schemaOf(path, [USER_SCHEMA])) {
      switch (name) {
        case 'id':
          return { type: 'number', expr: col('users.id') };
        case 'username':
          return { type: 'text', expr: col('users.username'), storedLower: true, searched: true };
        case 'externalid':
          return { type: 'text', expr: col('users.external_id'), caseExact: true };
        case 'name.givenname':
          return { type: 'text', expr: col('users.first_name'), searched: true };
        case 'name.familyname':
          return { type: 'text', expr: col('users.last_name'), searched: true };
        case 'displayname':
        case 'name.formatted':
          return { type: 'text', expr: sql`(users.first_name || ' ' || users.last_name)` };
        case 'emails':
        case 'emails.value':
          return { type: 'text', expr: col('users.email'), searched: true, email: true };
        case 'phonenumbers':
        case 'phonenumbers.value':
          return { type: 'text', expr: col('users.phone'), searched: true };
        // Roster keeps one email and one phone: the work one, and the primary one.
        case 'emails.type':
          return { type: 'text', expr: sql`(case when users.email <> '' then 'work' end)` };
        case 'phonenumbers.type':
          return { type: 'text', expr: sql`(case when users.phone <> '' then 'work' end)` };
        case 'emails.primary':
          return { type: 'boolean', expr: sql`(case when users.email <> '' then 1 else 0 end)` };
        case 'phonenumbers.primary':
          return { type: 'boolean', expr: sql`(case when users.phone <> '' then 1 else 0 end)` };
        case 'active':
          return { type: 'boolean', expr: col('users.enabled') };
        case 'title':
          return { type: 'text', expr: col('users.title') };
        case 'preferredlanguage':
          return { type: 'text', expr: col('users.language') };
        case 'timezone':
          return { type: 'text', expr: col('users.time_zone') };
        case 'meta.created':
          return { type: 'date', expr: col('users.created_at') };
        case 'meta.lastmodified':
          return { type: 'date', expr: col('users.updated_at') };
      }
    }
    if (schemaOf(path, [ENTERPRISE_SCHEMA])) {
      switch (name) {
        case 'employeenumber':
          return { type: 'text', expr: col('users.employee_number') };
        case 'department':
          return { type: 'text', expr: col('users.department'), searched: true };
        case 'manager':
        case 'manager.value':
          return { type: 'number', expr: col('users.manager_id') };
      }
    }
    if (schemaOf(path, [ROSTER_SCHEMA])) {
      switch (name) {
        case 'accesstype':
          return { type: 'text', expr: col('users.access_type') };
        case 'authmethod':
          return { type: 'text', expr: col('users.auth_method') };
        case 'source':
          return { type: 'text', expr: col('users.source') };
        case 'agentid':
          return { type: 'text', expr: col('users.agent_id') };
        case 'syncenabled':
          return { type: 'boolean', expr: col('users.sync_enabled') };
      }
    }
    return null;
  },
  subquery(path, inner) {
    if (path.attribute !== 'groups' || !schemaOf(path, [USER_SCHEMA])) return null;
    return sql<boolean>`exists (select 1 from group_members gm join groups g on g.id = gm.group_id
      where gm.user_id = users.id and ${inner(MEMBERSHIP_CONTEXT)})`;
  },
};

/** One of a user's group memberships (`gm` joined with its group `g`), for `groups[...]` filters. */
const MEMBERSHIP_CONTEXT: FilterContext = {
  operand(path) {
    switch (path.attribute) {
      case 'value':
        return { type: 'number', expr: col('gm.group_id') };
      case 'display':
        return { type: 'text', expr: col('g.name') };
      case 'type':
        return { type: 'text', expr: sql`'direct'` };
    }
    return null;
  },
};

/** The groups table (`groups`) as a filter context. */
export const GROUP_FILTER_CONTEXT: FilterContext = {
  operand(path) {
    if (!schemaOf(path, [GROUP_SCHEMA])) return null;
    switch (nameOf(path)) {
      case 'id':
        return { type: 'number', expr: col('groups.id') };
      case 'displayname':
        return { type: 'text', expr: col('groups.name') };
      case 'externalid':
        return { type: 'text', expr: col('groups.external_id'), caseExact: true };
      case 'meta.created':
        return { type: 'date', expr: col('groups.created_at') };
      case 'meta.lastmodified':
        return { type: 'date', expr: col('groups.updated_at') };
    }
    return null;
  },
  subquery(path, inner) {
    if (path.attribute !== 'members' || !schemaOf(path, [GROUP_SCHEMA])) return null;
    return sql<boolean>`exists (select 1 from group_members gm where gm.group_id = groups.id and ${inner(MEMBER_CONTEXT)})`;
  },
};

/** One member of a group (`gm`), for `members[...]` filters (and PATCH paths such as `members[value eq "7"]`). */
export const MEMBER_CONTEXT: FilterContext = {
  operand(path) {
    if (path.attribute === 'value') return { type: 'number', expr: col('gm.user_id') };
    if (path.attribute === 'type') return { type: 'text', expr: sql`'User'` };
    return null;
  },
};

/** The filter as a SQL condition in the context. */
export function filterSql(filter: Filter, context: FilterContext, dialect: Dialect): RawBuilder<boolean> {
  const inner = (f: Filter, c: FilterContext = context) => filterSql(f, c, dialect);
  switch (filter.kind) {
    case 'and':
      return sql<boolean>`(${inner(filter.left)} and ${inner(filter.right)})`;
    case 'or':
      return sql<boolean>`(${inner(filter.left)} or ${inner(filter.right)})`;
    case 'not':
      // A missing value is neither equal nor unequal: `not` of an unknown is treated as a match (coalesce).
      return sql<boolean>`(not coalesce(${inner(filter.filter)}, false))`;
    case 'valuePath': {
      const sub = context.subquery?.(filter.path, (c) => inner(filter.filter, c));
      if (sub) return sub;
      // A single-valued attribute in Roster (emails, phoneNumbers): its sub-attributes are read on the row.
      return inner(relative(filter.filter, filter.path));
    }
    case 'present':
    case 'compare': {
      // `groups eq "5"`, `members.value eq "7"`: a test on one value of a multi-valued attribute kept apart.
      const onValue: Filter = {
        ...filter,
        path: { schema: null, attribute: filter.path.subAttribute ?? 'value', subAttribute: null },
      };
      const asSub = context.subquery?.({ ...filter.path, subAttribute: null }, (c) => inner(onValue, c));
      if (asSub) return asSub;
      const operand = context.operand(filter.path);
      if (!operand) throw invalidFilter(`Filtering on ${nameOfPath(filter.path)} is not supported`);
      return filter.kind === 'present'
        ? present(operand)
        : compare(operand, filter.op, filter.value, filter.path, dialect, context);
    }
  }
}

/**
 * The ids the filter matches as one index's subquery, when that index answers it alone: a contains test on the email
 * address that SQLite's email index holds exactly. The total is then counted in the index, without reading users.
 */
export function indexedIds(filter: Filter, context: FilterContext): RawBuilder<unknown> | null {
  if (filter.kind === 'valuePath') {
    if (keptApart(filter.path, context)) return null;
    return indexedIds(relative(filter.filter, filter.path), context);
  }
  if (filter.kind !== 'compare' || filter.op !== 'co' || typeof filter.value !== 'string') return null;
  const operand = context.operand(filter.path);
  if (operand?.type !== 'text' || !operand.email) return null;
  return context.emailIndexIds?.(filter.value.toLowerCase()) ?? null;
}

/**
 * True when a condition every match must meet is an index lookup (the search document's or the email's): its
 * candidates are the rows to read. SQLite, without statistics, would otherwise walk the account's users in an index
 * of the account and test each against the candidates.
 */
export function drivenByIndex(filter: Filter, context: FilterContext): boolean {
  switch (filter.kind) {
    case 'and':
      return drivenByIndex(filter.left, context) || drivenByIndex(filter.right, context);
    case 'valuePath':
      if (keptApart(filter.path, context)) return false;
      return drivenByIndex(relative(filter.filter, filter.path), context);
    case 'compare': {
      if (!['co', 'sw', 'ew'].includes(filter.op) || typeof filter.value !== 'string') return false;
      const operand = context.operand(filter.path);
      if (operand?.type !== 'text' || operand.caseExact || !operand.searched) return false;
      const term = searchTerm(filter.value.toLowerCase());
      return term !== null && context.searchIndexReads?.(term) !== false;
    }
    default:
      return false;
  }
}

/** True when the multi-valued attribute is a table of its own (a subquery), not columns of the user's row. */
const keptApart = (path: AttrPath, context: FilterContext) =>
  Boolean(context.subquery?.(path, () => sql<boolean>`true`));

/** The inner filter of `emails[...]` with its attribute names made sub-attributes of `emails`. */
function relative(filter: Filter, parent: AttrPath): Filter {
  switch (filter.kind) {
    case 'and':
    case 'or':
      return { ...filter, left: relative(filter.left, parent), right: relative(filter.right, parent) };
    case 'not':
      return { ...filter, filter: relative(filter.filter, parent) };
    case 'valuePath':
      throw invalidFilter('A value filter cannot hold another one');
    default:
      return {
        ...filter,
        path: { schema: parent.schema, attribute: parent.attribute, subAttribute: filter.path.attribute },
      };
  }
}

const nameOfPath = (path: AttrPath) => (path.schema ? `${path.schema}:` : '') + nameOf(path);

function present(operand: Operand): RawBuilder<boolean> {
  if (operand.type === 'text') return sql<boolean>`(${operand.expr} is not null and ${operand.expr} <> '')`;
  if (operand.type === 'boolean') return sql<boolean>`(${operand.expr} is not null)`;
  return sql<boolean>`(${operand.expr} is not null)`;
}

function compare(
  operand: Operand,
  op: string,
  value: CompareValue,
  path: AttrPath,
  dialect: Dialect,
  context: FilterContext,
): RawBuilder<boolean> {
  const what = nameOfPath(path);
  if (value === null) {
    if (op === 'eq') return sql<boolean>`(not ${present(operand)})`;
    if (op === 'ne') return present(operand);
    throw invalidFilter(`${what} ${op} null is not a comparison`);
  }
  switch (operand.type) {
    case 'text': {
      if (typeof value !== 'string' && typeof value !== 'number')
        throw invalidFilter(`${what} is compared with a string`);
      const wanted = operand.caseExact ? String(value) : String(value).toLowerCase();
      const left = operand.caseExact || operand.storedLower ? operand.expr : unicodeLower(dialect, operand.expr);
      switch (op) {
        case 'eq':
          return sql<boolean>`(${left} = ${wanted})`;
        case 'ne':
          return sql<boolean>`(coalesce(${left}, '') <> ${wanted})`;
        case 'co':
        case 'sw':
        case 'ew':
          return operand.caseExact
            ? exactText(left, op, wanted, dialect)
            : narrowed(context, operand, op, wanted, left);
        default:
          return ordered(left, op, wanted);
      }
    }
    case 'number': {
      if (['co', 'sw', 'ew'].includes(op)) throw invalidFilter(`${what} supports eq, ne, gt, ge, lt and le`);
      const text = String(value).trim();
      // An id that is not a number names nobody; one past every id column is greater than all of them.
      if (!/^\d+$/.test(text)) return op === 'ne' ? sql<boolean>`(1 = 1)` : sql<boolean>`(1 = 0)`;
      const number = idFromDigits(text);
      if (number === null) {
        if (op === 'ne') return sql<boolean>`(1 = 1)`;
        return op === 'lt' || op === 'le' ? sql<boolean>`(${operand.expr} is not null)` : sql<boolean>`(1 = 0)`;
      }
      if (op === 'ne') return sql<boolean>`(coalesce(${operand.expr}, 0) <> ${number})`;
      return op === 'eq' ? sql<boolean>`(${operand.expr} = ${number})` : ordered(operand.expr, op, number);
    }
    case 'boolean': {
      const bool =
        typeof value === 'boolean'
          ? value
          : /^(true|false)$/i.test(String(value))
            ? /^true$/i.test(String(value))
            : null;
      if (bool === null) throw invalidFilter(`${what} is compared with true or false`);
      if (op === 'eq') return sql<boolean>`(${operand.expr} = ${bool ? 1 : 0})`;
      if (op === 'ne') return sql<boolean>`(${operand.expr} <> ${bool ? 1 : 0})`;
      throw invalidFilter(`${what} supports eq and ne only`);
    }
    case 'date': {
      const at = typeof value === 'string' ? storableInstant(value) : null;
      if (at === null) {
        throw invalidFilter(`${what} is compared with a date and time such as "2026-01-31T09:00:00Z"`);
      }
      if (['co', 'sw', 'ew'].includes(op)) throw invalidFilter(`${what} supports eq, ne, gt, ge, lt and le`);
      if (op === 'eq') return sql<boolean>`(${operand.expr} = ${at})`;
      if (op === 'ne') return sql<boolean>`(${operand.expr} <> ${at})`;
      return ordered(operand.expr, op, at);
    }
  }
}

/** A substring test, after the search index's candidates when the column is searched and the text long enough. */
function narrowed(context: FilterContext, operand: Operand, op: string, wanted: string, left: RawBuilder<unknown>) {
  const test = like(left, op, wanted);
  // The email's own index: exact for a contains test, a narrowing for starts / ends with.
  if ('email' in operand && operand.email) {
    const ids = context.emailIndexIds?.(wanted);
    const holds = ids && sql<boolean>`(users.id in ${ids})`;
    if (holds) return op === 'co' ? holds : sql<boolean>`(${holds} and ${test})`;
  }
  const term = searchTerm(wanted);
  if (!('searched' in operand) || !operand.searched || !context.searchDocumentHolds || term === null) return test;
  if (context.searchIndexReads?.(term) === false) return test;
  return sql<boolean>`(${context.searchDocumentHolds(term)} and ${test})`;
}

/** The text as the search document holds it, when it is long enough for the trigram index to narrow by. */
function searchTerm(wanted: string): string | null {
  const term = searchForm(foldText(wanted).replaceAll('\n', ' '));
  // Characters, not UTF-16 units: a trigram phrase of fewer than three matches nothing.
  return formLength(term.trim()) >= 3 ? term : null;
}

/** Contains / starts with / ends with, without case (both sides are lower-cased text). */
function like(left: RawBuilder<unknown>, op: string, wanted: string): RawBuilder<boolean> {
  const escaped = escapeLike(wanted);
  const pattern = op === 'co' ? `%${escaped}%` : op === 'sw' ? `${escaped}%` : `%${escaped}`;
  return sql<boolean>`(${left} like ${pattern} escape '\\')`;
}

/** The same tests with case (externalId): SQLite's LIKE would ignore ASCII case, so these compare characters. */
function exactText(left: RawBuilder<unknown>, op: string, wanted: string, dialect: Dialect): RawBuilder<boolean> {
  const n = [...wanted].length;
  if (op === 'sw') return sql<boolean>`(substr(${left}, 1, ${n}) = ${wanted})`;
  if (op === 'ew') {
    return dialect === 'postgres'
      ? sql<boolean>`(right(${left}, ${n}) = ${wanted})`
      : sql<boolean>`(substr(${left}, -${n}) = ${wanted})`;
  }
  return dialect === 'postgres'
    ? sql<boolean>`(strpos(${left}, ${wanted}) > 0)`
    : sql<boolean>`(instr(${left}, ${wanted}) > 0)`;
}

function ordered(left: RawBuilder<unknown>, op: string, value: string | number): RawBuilder<boolean> {
  switch (op) {
    case 'gt':
      return sql<boolean>`(${left} > ${value})`;
    case 'ge':
      return sql<boolean>`(${left} >= ${value})`;
    case 'lt':
      return sql<boolean>`(${left} < ${value})`;
    case 'le':
      return sql<boolean>`(${left} <= ${value})`;
  }
  throw invalidFilter(`Unknown operator ${op}`);
}

/** A sortBy attribute as an expression (RFC 7644 3.4.2.3), or a 400 naming it. */
export function sortSql(path: AttrPath, context: FilterContext, dialect: Dialect): RawBuilder<unknown> {
  const operand = context.operand(path);
  if (!operand) throw new ScimError(400, `Sorting by ${nameOfPath(path)} is not supported`, 'invalidValue');
  return operand.type === 'text' && !operand.caseExact && !operand.storedLower
    ? unicodeLower(dialect, operand.expr)
    : operand.expr;
}
