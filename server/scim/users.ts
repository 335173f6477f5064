// SCIM Users (RFC 7644 section 3) over Roster's user service: every create, replace, patch and delete goes through
// UserDirectory as an admin's would (validation, policy, audit, default licenses, departments), acting as the SCIM
// client; lists are one filtered, sorted, paged query of the account's users.
import { type RawBuilder, type Selectable, sql, type Transaction } from 'kysely';
import { idFromDigits } from '../../shared/ids.js';
import { userCreateSchema, userUpdateSchema } from '../../shared/schemas.js';
import type { DatabaseHandle, Db } from '../db/index.js';
import type { Database } from '../db/schema/index.js';
import type { UsersTable } from '../db/schema/users.js';
import { AppError } from '../errors.js';
import type { Actor } from '../policy.js';
import type { Licenses } from '../services/licenses.js';
import type { ScimClient } from '../services/scim-tokens.js';
import { ifMatchAllows, userEtag } from '../services/user-etag.js';
import { displayName, type UserRow } from '../services/user-presenter.js';
import type { ProvisionedColumns, RequestMeta, UserDirectory } from '../services/users.js';
import { invalidValue, ScimError, scimNotFound } from './errors.js';
import { type Filter, parseAttrPath, parseFilter } from './filter.js';
import { applyPatch, readPatchRequest } from './patch.js';
import { type ListQuery, project } from './query.js';
import { listResponse, MAX_RESULTS, USER_SCHEMA } from './schema.js';
import { drivenByIndex, filterSql, indexedIds, sortSql, userFilterContext } from './user-filter.js';
import {
  assertSameUserName,
  type JsonObject,
  readUserDocument,
  SCIM_ATTRIBUTE_OF,
  type UserDocument,
  userResource,
} from './user-resource.js';

export type { ScimClient };

/** How a SCIM client acts in Roster: as an admin without a profile who is not the owner (see server/policy.ts). */
export function scimActor(client: ScimClient): Actor {
  return {
    userId: 0,
    accountId: client.accountId,
    username: `scim:${client.name}`,
    accessType: 'admin',
    isOwner: false,
    profile: null,
    channel: 'api',
  };
}

export interface Written {
  resource: JsonObject;
  etag: string;
}

const SOURCE = 'scim';

export class ScimUsers {
  private readonly db: Db;

  constructor(
    private readonly handle: DatabaseHandle,
    private readonly users: UserDirectory,
    private readonly licenses: Licenses,
  ) {
    this.db = handle.db;
  }

  async get(client: ScimClient, id: string, base: string, query: ListQuery = {}): Promise<Written> {
    const row = await this.find(client, id);
    const [resource] = await this.present([row], base);
    return { resource: project(resource as JsonObject, 'User', query), etag: userEtag(row) };
  }

  async list(
    client: ScimClient,
    query: ListQuery & { filter?: string; startIndex?: number; count?: number },
    base: string,
  ) {
    const filter: Filter | null = query.filter ? parseFilter(query.filter) : null;
    const context = userFilterContext(this.handle.dialect, client.accountId);
    const where = filter ? filterSql(filter, context, this.handle.dialect) : null;
    const startIndex = Math.max(1, query.startIndex ?? 1);
    const count = Math.min(MAX_RESULTS, Math.max(0, query.count ?? MAX_RESULTS));
    // Where an index gives the candidates, SQLite reads them rather than the account (`+` keeps it off its index).
    const account =
      filter && this.handle.dialect === 'sqlite' && drivenByIndex(filter, context)
        ? sql<number>`+users.account_id`
        : sql<number>`users.account_id`;
    let rows = this.db.selectFrom('users').where(account, '=', client.accountId);
    if (where) rows = rows.where(where);
    const indexed = filter ? indexedIds(filter, context) : null;
    let found: UserRow[];
    let total: number;
    if (indexed && !query.sortBy && count > 0) {
      // The page and the total from one read of the index's matches.
      ({ found, total } = await this.pageOf(indexed, count, startIndex));
      if (found.length === 0) total = await this.countOf(indexed);
    } else {
      const totalOf = () => (indexed ? this.countOf(indexed) : this.total(client.accountId, where, account));
      if (count === 0) return listResponse([], await totalOf(), startIndex);
      let page = rows.selectAll('users');
      if (query.sortBy) {
        const order = query.sortOrder?.toLowerCase() === 'descending' ? 'desc' : 'asc';
        page = page.orderBy(sortSql(parseAttrPath(query.sortBy), context, this.handle.dialect), order);
      }
      found = (await page
        .orderBy('users.id')
        .limit(count)
        .offset(startIndex - 1)
        .execute()) as UserRow[];
      // A page shorter than asked ends the matches (a lookup by userName or externalId): they are the rows before it
      // and on it, with no count of its own. An empty page past the start says nothing of how many there are.
      const ended = found.length < count && (found.length > 0 || startIndex === 1);
      total = ended ? startIndex - 1 + found.length : await totalOf();
    }
    const resources = await this.present(found, base);
    return listResponse(
      resources.map((r) => project(r, 'User', query)),
      total,
      startIndex,
    );
  }

  /**
   * A page of the users an index subquery gives, in id order, with the number of all of them (counted in the same
   * read of the matches; none when the page is past the end). The matched ids are sorted (`+ 0` keeps the primary key
   * out of it): walking the users in id order, which PostgreSQL picks when it expects many matches, would read the
   * whole account to find the few of a rare address.
   */
  private async pageOf(
    ids: RawBuilder<unknown>,
    count: number,
    startIndex: number,
  ): Promise<{ found: UserRow[]; total: number }> {
    const page = await sql<UserRow & { matched_total: number }>`select users.*, p.matched_total
      from (select matched.id, count(*) over () as matched_total from ${ids} as matched
        order by matched.id + 0 limit ${count} offset ${startIndex - 1}) as p
      join users on users.id = p.id order by users.id`.execute(this.db);
    const found = page.rows.map(({ matched_total: _, ...user }) => user as UserRow);
    return { found, total: Number(page.rows[0]?.matched_total ?? 0) };
  }

  /** The number of ids an index subquery gives. */
  private async countOf(ids: RawBuilder<unknown>): Promise<number> {
    const row = await sql<{ n: number }>`select count(*) as n from ${ids} as matched`.execute(this.db);
    return Number(row.rows[0]?.n ?? 0);
  }

  /** The number of matching users; without a filter, from the per-account counts (no scan of a large account). */
  private async total(
    accountId: number,
    where: ReturnType<typeof filterSql> | null,
    account: RawBuilder<number>,
  ): Promise<number> {
    if (!where) {
      const row = await this.db
        .selectFrom('user_facets')
        .select(sql<number>`coalesce(sum(n), 0)`.as('n'))
        .where('account_id', '=', accountId)
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    }
    const row = await this.db
      .selectFrom('users')
      .select(sql<number>`count(*)`.as('n'))
      .where(account, '=', accountId)
      .where(where)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async create(client: ScimClient, body: unknown, base: string, meta: RequestMeta): Promise<Written> {
    const doc = readUserDocument(asObject(body));
    const actor = scimActor(client);
    await this.assertManager(client, doc.managerId, null);
    const input = parse(userCreateSchema, {
      username: doc.userName,
      ...withoutEmpty(doc.fields),
      ...(doc.password ? { password: doc.password } : {}),
    });
    const row = await scimErrors(() =>
      this.users.createRow(
        actor,
        input,
        meta,
        doc.licenses
          ? async (trx, user) => {
              await this.licenses.setWithin(trx, actor, user.id, doc.licenses ?? [], meta.ip, { creating: true });
            }
          : undefined,
        { ...this.columns(doc), source: SOURCE },
      ),
    );
    // A user just created belongs to no group yet.
    const [resource] = await this.present([row], base, { groupless: true });
    return { resource: project(resource as JsonObject, 'User', {}), etag: userEtag(row) };
  }

  async replace(
    client: ScimClient,
    id: string,
    body: unknown,
    base: string,
    ifMatch: string | undefined,
    meta: RequestMeta,
  ) {
    const row = await this.find(client, id);
    return this.write(client, row, readUserDocument(asObject(body)), base, ifMatch, meta);
  }

  async patch(
    client: ScimClient,
    id: string,
    body: unknown,
    base: string,
    ifMatch: string | undefined,
    meta: RequestMeta,
  ) {
    const operations = readPatchRequest(body);
    const row = await this.find(client, id);
    const [current] = await this.present([row], base);
    const patched = applyPatch('User', current as JsonObject, operations);
    if (JSON.stringify(patched) === JSON.stringify(current)) {
      this.assertVersion(row, ifMatch);
      return { resource: current as JsonObject, etag: userEtag(row) };
    }
    return this.write(client, row, readUserDocument(patched), base, ifMatch, meta);
  }

  async remove(client: ScimClient, id: string, ifMatch: string | undefined, meta: RequestMeta): Promise<void> {
    const row = await this.find(client, id);
    this.assertVersion(row, ifMatch);
    if (row.sync_enabled === 0) throw syncOff(row);
    await scimErrors(() => this.users.remove(scimActor(client), row.id, meta, { ifMatch }));
  }

  /** A replace (also what a patch comes to): the document is the whole user. */
  private async write(
    client: ScimClient,
    row: UserRow,
    doc: UserDocument,
    base: string,
    ifMatch: string | undefined,
    meta: RequestMeta,
  ): Promise<Written> {
    this.assertVersion(row, ifMatch);
    assertSameUserName(row.username, doc.userName);
    // A user whose synchronization is off is Roster's admins' to change: the client's change is not applied.
    if (row.sync_enabled === 0) return this.get(client, String(row.id), base);
    const actor = scimActor(client);
    await this.assertManager(client, doc.managerId, row.id);
    const { enabled, ...rest } = doc.fields;
    const input = parse(userUpdateSchema, { ...rest, ...(enabled !== undefined ? { enabled } : {}) });
    await scimErrors(() =>
      this.users.update(actor, row.id, input, meta, {
        ifMatch,
        password: doc.password,
        columns: this.columns(doc),
        also: async (trx: Transaction<Database>) => {
          if (doc.licenses) await this.licenses.setWithin(trx, actor, row.id, doc.licenses, meta.ip);
        },
      }),
    );
    return this.get(client, String(row.id), base);
  }

  private columns(doc: UserDocument): ProvisionedColumns {
    return {
      external_id: doc.externalId,
      title: doc.title,
      employee_number: doc.employeeNumber,
      manager_id: doc.managerId,
      scim_json: doc.scimJson,
    };
  }

  private assertVersion(row: UserRow, ifMatch: string | undefined) {
    if (!ifMatchAllows(ifMatch, userEtag(row))) {
      throw new ScimError(412, `User ${row.id} was changed since that version: read it again`);
    }
  }

  /** The manager must be another user of the account. */
  private async assertManager(client: ScimClient, managerId: number | null, userId: number | null) {
    if (managerId === null) return;
    if (managerId === userId) throw invalidValue('manager: a user cannot be their own manager');
    const found = await this.db
      .selectFrom('users')
      .select('id')
      .where('account_id', '=', client.accountId)
      .where('id', '=', managerId)
      .executeTakeFirst();
    if (!found) throw invalidValue(`manager: there is no user ${managerId} in this account`);
  }

  private async find(client: ScimClient, id: string): Promise<UserRow> {
    const number = idFromDigits(id);
    const row =
      number === null
        ? undefined
        : await this.db
            .selectFrom('users')
            .selectAll()
            .where('account_id', '=', client.accountId)
            .where('id', '=', number)
            .executeTakeFirst();
    if (!row) throw scimNotFound('User', id);
    return row as UserRow;
  }

  /** The users as SCIM resources, their groups and managers read for the whole page at once. */
  private async present(
    rows: Selectable<UsersTable>[],
    base: string,
    { groupless = false } = {},
  ): Promise<JsonObject[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const managerIds = [...new Set(rows.map((r) => r.manager_id).filter((m): m is number => m !== null))];
    const [memberships, managers] = await Promise.all([
      groupless
        ? Promise.resolve([])
        : this.db
            .selectFrom('group_members')
            .innerJoin('groups', 'groups.id', 'group_members.group_id')
            .select(['group_members.user_id', 'groups.id', 'groups.name'])
            .where('group_members.user_id', 'in', ids)
            .orderBy('groups.id')
            .execute(),
      managerIds.length === 0
        ? Promise.resolve([])
        : this.db
            .selectFrom('users')
            .select(['id', 'first_name', 'last_name', 'username', 'account_id'])
            .where('id', 'in', managerIds)
            .execute(),
    ]);
    return rows.map((row) => {
      const manager = managers.find((m) => m.id === row.manager_id && m.account_id === row.account_id);
      return userResource(
        row as UserRow,
        {
          groups: memberships.filter((m) => m.user_id === row.id).map((m) => ({ id: m.id, name: m.name })),
          manager: manager ? { id: manager.id, name: displayName(manager) } : null,
        },
        base,
        userEtag(row as UserRow),
      );
    });
  }
}

const syncOff = (row: UserRow) =>
  new ScimError(409, `Synchronization is off for ${row.username} in Roster: its admins keep this user`, 'mutability');

function asObject(body: unknown): JsonObject {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ScimError(400, 'The body must be a JSON object', 'invalidSyntax');
  }
  const schemas = (body as JsonObject).schemas;
  if (schemas !== undefined && (!Array.isArray(schemas) || !schemas.some((s) => String(s) === USER_SCHEMA))) {
    throw new ScimError(400, `schemas must hold ${USER_SCHEMA}`, 'invalidSyntax');
  }
  return body as JsonObject;
}

/** Optional text fields left out when empty (a create has nothing to clear). */
function withoutEmpty(fields: Record<string, unknown>) {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== ''));
}

/** Roster's input schema applied to what the document asked, failing with the SCIM names of the fields. */
function parse<
  T extends {
    safeParse(
      value: unknown,
    ):
      | { success: true; data: unknown }
      | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
  },
>(schema: T, value: unknown) {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw invalidValue(
      result.error.issues
        .map(
          (issue) => `${SCIM_ATTRIBUTE_OF[String(issue.path[0])] ?? String(issue.path[0] ?? 'body')}: ${issue.message}`,
        )
        .join('; '),
    );
  }
  // biome-ignore lint/suspicious/noExplicitAny: the schema's output type, as the caller's schema gives it.
  return result.data as any;
}

/** The user service's errors with SCIM's attribute names. */
async function scimErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (caught) {
    if (caught instanceof AppError && caught.fields) {
      const named = caught.fields.map((f) => ({ ...f, path: SCIM_ATTRIBUTE_OF[f.path] ?? f.path }));
      throw new AppError(caught.status, caught.code, caught.message, named);
    }
    throw caught;
  }
}
