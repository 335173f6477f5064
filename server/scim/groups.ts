// SCIM Groups over Roster's group tree: a SCIM group is a group (team) of the account, created at the top of the
// tree; its members are team members (the main-team rule applies). Member changes are set-based statements on the
// membership table, so adding 1,000 members to a group of 10,000 never reads the 10,000.
import { sql, type Transaction } from 'kysely';
import { idFromDigits } from '../../shared/ids.js';
import { groupCreateSchema, groupUpdateSchema } from '../../shared/organization-schemas.js';
import type { DatabaseHandle, Db } from '../db/index.js';
import type { Database } from '../db/schema/index.js';
import { idIn } from '../db/sql-helpers.js';
import type { Groups } from '../services/groups.js';
import type { Teams } from '../services/teams.js';
import type { RequestMeta } from '../services/users.js';
import { invalidValue, ScimError, scimNotFound } from './errors.js';
import { type Filter, parseAttrPath, parseFilter } from './filter.js';
import { applyPatch, type PatchOperation, readPatchRequest } from './patch.js';
import { type ListQuery, project, wants } from './query.js';
import { GROUP_SCHEMA, listResponse, MAX_RESULTS } from './schema.js';
import { filterSql, GROUP_FILTER_CONTEXT, MEMBER_CONTEXT, sortSql } from './user-filter.js';
import { field, type Json, type JsonObject } from './user-resource.js';
import { type ScimClient, scimActor, type Written } from './users.js';

type Trx = Transaction<Database>;

interface GroupRow {
  id: number;
  name: string;
  external_id: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}

/** The most members one request may name. */
const MAX_MEMBERS = 20_000;
/** The most members one list response holds (whole groups: a page of large groups is cut short). */
const MEMBERS_PER_PAGE = 20_000;

const groupEtag = (row: GroupRow) => `W/"${row.id}-${row.version}"`;

export class ScimGroups {
  private readonly db: Db;

  constructor(
    private readonly handle: DatabaseHandle,
    private readonly groups: Groups,
    private readonly teams: Teams,
  ) {
    this.db = handle.db;
  }

  async get(client: ScimClient, id: string, base: string, query: ListQuery = {}): Promise<Written> {
    const row = await this.find(this.db, client, id);
    const [resource] = await this.present([row], base, wants(query, 'Group', 'members'));
    return { resource: project(resource as JsonObject, 'Group', query), etag: groupEtag(row) };
  }

  async list(
    client: ScimClient,
    query: ListQuery & { filter?: string; startIndex?: number; count?: number },
    base: string,
  ) {
    const filter: Filter | null = query.filter ? parseFilter(query.filter) : null;
    const startIndex = Math.max(1, query.startIndex ?? 1);
    const count = Math.min(MAX_RESULTS, Math.max(0, query.count ?? MAX_RESULTS));
    let rows = this.db.selectFrom('groups').where('groups.account_id', '=', client.accountId);
    if (filter) rows = rows.where(filterSql(filter, GROUP_FILTER_CONTEXT, this.handle.dialect));
    const totalRow = await rows.select(sql<number>`count(*)`.as('n')).executeTakeFirst();
    const total = Number(totalRow?.n ?? 0);
    if (count === 0 || startIndex > total) return listResponse([], total, startIndex);
    let page = rows.select([
      'groups.id',
      'groups.name',
      'groups.external_id',
      'groups.version',
      'groups.created_at',
      'groups.updated_at',
    ]);
    if (query.sortBy) {
      const order = query.sortOrder?.toLowerCase() === 'descending' ? 'desc' : 'asc';
      page = page.orderBy(sortSql(parseAttrPath(query.sortBy), GROUP_FILTER_CONTEXT, this.handle.dialect), order);
    }
    const found = (await page
      .orderBy('groups.id')
      .limit(count)
      .offset(startIndex - 1)
      .execute()) as GroupRow[];
    const withMembers = wants(query, 'Group', 'members');
    const resources = await this.present(withMembers ? await this.withinBudget(found) : found, base, withMembers);
    return listResponse(
      resources.map((r) => project(r, 'Group', query)),
      total,
      startIndex,
    );
  }

  /**
   * The first groups of a page whose members add up to at most MEMBERS_PER_PAGE (at least one group): a page of
   * large groups with their members is cut short, as RFC 7644 3.4.2.4 lets a server return fewer results than asked.
   */
  private async withinBudget(rows: GroupRow[]): Promise<GroupRow[]> {
    if (rows.length <= 1) return rows;
    const counts = await this.db
      .selectFrom('group_members')
      .select(['group_id', sql<number>`count(*)`.as('n')])
      .where(
        'group_id',
        'in',
        rows.map((r) => r.id),
      )
      .groupBy('group_id')
      .execute();
    const size = new Map(counts.map((c) => [c.group_id, Number(c.n)]));
    let total = 0;
    const kept: GroupRow[] = [];
    for (const row of rows) {
      total += size.get(row.id) ?? 0;
      if (kept.length > 0 && total > MEMBERS_PER_PAGE) break;
      kept.push(row);
    }
    return kept;
  }

  async create(client: ScimClient, body: unknown, base: string, meta: RequestMeta): Promise<Written> {
    const doc = asGroup(body);
    const actor = scimActor(client);
    const input = parseName(groupCreateSchema, { name: doc.displayName });
    const created = await this.groups.create(actor, input, meta, {
      externalId: doc.externalId,
      also: async (trx, groupId) => {
        if (doc.members.length > 0) await this.addMembers(trx, client, groupId, doc.members);
      },
    });
    return this.get(client, String(created.id), base);
  }

  async replace(
    client: ScimClient,
    id: string,
    body: unknown,
    base: string,
    ifMatch: string | undefined,
    meta: RequestMeta,
  ) {
    const row = await this.find(this.db, client, id);
    assertVersion(row, ifMatch);
    const doc = asGroup(body);
    await this.write(client, row, doc.displayName, doc.externalId, meta, ifMatch, async (trx) => {
      await this.setMembers(trx, client, row.id, doc.members);
    });
    return this.get(client, id, base);
  }

  async patch(
    client: ScimClient,
    id: string,
    body: unknown,
    base: string,
    ifMatch: string | undefined,
    meta: RequestMeta,
    query: ListQuery = {},
  ): Promise<Written> {
    const operations = readPatchRequest(body);
    const row = await this.find(this.db, client, id);
    assertVersion(row, ifMatch);
    const memberOps = operations.filter(isMemberOperation);
    const others = operations.filter((op) => !isMemberOperation(op));
    const current: JsonObject = {
      schemas: [GROUP_SCHEMA],
      id: String(row.id),
      displayName: row.name,
      ...(row.external_id !== null ? { externalId: row.external_id } : {}),
    };
    const patched = others.length > 0 ? applyPatch('Group', current, others) : current;
    const name = field(patched, 'displayName');
    if (typeof name !== 'string') throw invalidValue('displayName is required');
    const externalId = field(patched, 'externalId');
    await this.write(
      client,
      row,
      name,
      externalId === undefined || externalId === null || externalId === '' ? null : String(externalId),
      meta,
      ifMatch,
      async (trx) => {
        await this.applyMemberOperations(trx, client, row.id, memberOps);
      },
    );
    return this.get(client, id, base, query);
  }

  async remove(client: ScimClient, id: string, ifMatch: string | undefined, meta: RequestMeta): Promise<void> {
    const row = await this.find(this.db, client, id);
    // Its members simply leave it (their main team moves to another of their teams).
    await this.groups.remove(scimActor(client), row.id, { mode: 'delete_all' }, meta, {
      // Checked inside the deleting transaction, on the group held there: a change or a new subgroup committed after
      // the read above is seen.
      before: async (trx) => {
        const held = await this.find(trx, client, id, true);
        assertVersion(held, ifMatch);
        const children = await trx
          .selectFrom('groups')
          .select('id')
          .where('parent_id', '=', held.id)
          .executeTakeFirst();
        if (children) {
          throw new ScimError(409, `${held.name} has subgroups in Roster: an admin deletes or moves them first`);
        }
      },
    });
  }

  /** Renames the group and sets its external id, running `members` in the same transaction. */
  private async write(
    client: ScimClient,
    row: GroupRow,
    displayName: string,
    externalId: string | null,
    meta: RequestMeta,
    ifMatch: string | undefined,
    members: (trx: Trx) => Promise<void>,
  ) {
    const input = parseName(groupUpdateSchema, { name: displayName });
    await this.groups.update(scimActor(client), row.id, input, meta, {
      externalId,
      also: async (trx) => {
        // If-Match was checked on the version read before this transaction: a writer that committed since then has
        // bumped it once more than this update did (the update holds the row, so the next one waits for this one).
        if (ifMatch && ifMatch.trim() !== '*') {
          const now = await trx.selectFrom('groups').select('version').where('id', '=', row.id).executeTakeFirst();
          if (Number(now?.version) !== row.version + 1) {
            throw new ScimError(412, `Group ${row.id} was changed since that version: read it again`);
          }
        }
        await members(trx);
      },
    });
  }

  /**
   * The member operations in order. Runs of plain adds and removes are reduced to their net effect first (the last
   * operation on a user wins), so a request that adds and removes the same users a thousand times costs one change,
   * not a thousand.
   */
  private async applyMemberOperations(trx: Trx, client: ScimClient, groupId: number, operations: PatchOperation[]) {
    const named = operations.reduce(
      (n, op) => n + (Array.isArray(op.value) ? op.value.length : op.value === undefined || op.value === null ? 0 : 1),
      0,
    );
    if (named > MAX_MEMBERS) throw new ScimError(400, `At most ${MAX_MEMBERS} members in one request`, 'tooMany');
    let net = new Map<number, 'join' | 'leave'>();
    const flush = async () => {
      const leaving = [...net].filter(([, way]) => way === 'leave').map(([id]) => id);
      const joining = [...net].filter(([, way]) => way === 'join').map(([id]) => id);
      net = new Map();
      if (leaving.length > 0) {
        await this.teams.unassignTeamWithin(trx, scimActor(client), client.accountId, leaving, groupId);
      }
      await this.addMembers(trx, client, groupId, joining);
    };
    for (const operation of operations) {
      const plain =
        !operation.path?.filter &&
        (operation.op === 'add' ||
          (operation.op === 'remove' && operation.value !== undefined && operation.value !== null));
      if (plain) {
        for (const id of memberIds(operation.value)) net.set(id, operation.op === 'add' ? 'join' : 'leave');
        continue;
      }
      await flush();
      await this.applyMemberOperation(trx, client, groupId, operation);
    }
    await flush();
  }

  private async applyMemberOperation(trx: Trx, client: ScimClient, groupId: number, operation: PatchOperation) {
    const path = operation.path;
    const values = memberIds(operation.value);
    if (operation.op === 'add') {
      if (path?.filter) throw invalidValue('Add members without a value filter: members, with a list of {value}');
      await this.addMembers(trx, client, groupId, values);
      return;
    }
    if (operation.op === 'replace') {
      if (path?.filter) throw invalidValue('Replace members without a value filter: members, with a list of {value}');
      await this.setMembers(trx, client, groupId, values);
      return;
    }
    // Remove: the members a filter names (`members[value eq "7"]`), the listed ones, or all of them.
    let ids: number[];
    if (path?.filter) {
      const rows = await trx
        .selectFrom('group_members as gm')
        .select('gm.user_id')
        .where('gm.group_id', '=', groupId)
        .where(filterSql(path.filter, MEMBER_CONTEXT, this.handle.dialect))
        .execute();
      ids = rows.map((r) => r.user_id);
    } else if (operation.value !== undefined && operation.value !== null) {
      ids = values;
    } else {
      const rows = await trx.selectFrom('group_members').select('user_id').where('group_id', '=', groupId).execute();
      ids = rows.map((r) => r.user_id);
    }
    if (ids.length > 0) await this.teams.unassignTeamWithin(trx, scimActor(client), client.accountId, ids, groupId);
  }

  private async addMembers(trx: Trx, client: ScimClient, groupId: number, ids: number[]) {
    if (ids.length === 0) return;
    await this.assertUsers(trx, client, ids);
    await this.teams.assignTeamWithin(trx, scimActor(client), client.accountId, ids, groupId);
  }

  /** Makes the members exactly these users. */
  private async setMembers(trx: Trx, client: ScimClient, groupId: number, ids: number[]) {
    const current = await trx.selectFrom('group_members').select('user_id').where('group_id', '=', groupId).execute();
    const wanted = new Set(ids);
    const leaving = current.map((r) => r.user_id).filter((id) => !wanted.has(id));
    if (leaving.length > 0)
      await this.teams.unassignTeamWithin(trx, scimActor(client), client.accountId, leaving, groupId);
    const had = new Set(current.map((r) => r.user_id));
    await this.addMembers(
      trx,
      client,
      groupId,
      ids.filter((id) => !had.has(id)),
    );
  }

  /** Every id must be a user of the account (ids of other accounts are not named back). */
  private async assertUsers(trx: Trx, client: ScimClient, ids: number[]) {
    const unique = [...new Set(ids)];
    const found = new Set<number>();
    for (let i = 0; i < unique.length; i += 5000) {
      const chunk = unique.slice(i, i + 5000);
      const rows = await trx
        .selectFrom('users')
        .select('id')
        .where('account_id', '=', client.accountId)
        .where(idIn(this.handle.dialect, 'id', chunk))
        .execute();
      for (const row of rows) found.add(row.id);
    }
    const missing = unique.filter((id) => !found.has(id));
    if (missing.length > 0) {
      throw invalidValue(
        `members: no user ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', ...' : ''} in this account`,
      );
    }
  }

  /** The client's group; `lock` holds its row until the transaction ends (PostgreSQL; SQLite has one writer). */
  private async find(executor: Db, client: ScimClient, id: string, lock = false): Promise<GroupRow> {
    const number = idFromDigits(id);
    const row =
      number === null
        ? undefined
        : await executor
            .selectFrom('groups')
            .select(['id', 'name', 'external_id', 'version', 'created_at', 'updated_at'])
            .where('account_id', '=', client.accountId)
            .where('id', '=', number)
            .$if(lock && this.handle.dialect === 'postgres', (q) => q.forUpdate())
            .executeTakeFirst();
    if (!row) throw scimNotFound('Group', id);
    return row as GroupRow;
  }

  private async present(rows: GroupRow[], base: string, withMembers: boolean): Promise<JsonObject[]> {
    const members = new Map<number, JsonObject[]>();
    if (withMembers && rows.length > 0) {
      const found = await this.db
        .selectFrom('group_members')
        .innerJoin('users', 'users.id', 'group_members.user_id')
        .select(['group_members.group_id', 'users.id', 'users.first_name', 'users.last_name', 'users.username'])
        .where(
          'group_members.group_id',
          'in',
          rows.map((r) => r.id),
        )
        .orderBy('users.id')
        .execute();
      for (const m of found) {
        const list = members.get(m.group_id) ?? [];
        list.push({
          value: String(m.id),
          $ref: `${base}/Users/${m.id}`,
          display: `${m.first_name} ${m.last_name}`.trim() || m.username,
          type: 'User',
        });
        members.set(m.group_id, list);
      }
    }
    return rows.map((row) => ({
      schemas: [GROUP_SCHEMA],
      id: String(row.id),
      ...(row.external_id !== null ? { externalId: row.external_id } : {}),
      displayName: row.name,
      ...(withMembers ? { members: members.get(row.id) ?? [] } : {}),
      meta: {
        resourceType: 'Group',
        created: row.created_at,
        lastModified: row.updated_at,
        location: `${base}/Groups/${row.id}`,
        version: groupEtag(row),
      },
    }));
  }
}

function assertVersion(row: GroupRow, ifMatch: string | undefined) {
  if (!ifMatch || ifMatch.trim() === '*') return;
  const bare = (t: string) => t.trim().replace(/^W\//i, '');
  if (!ifMatch.split(',').some((t) => bare(t) === bare(groupEtag(row)))) {
    throw new ScimError(412, `Group ${row.id} was changed since that version: read it again`);
  }
}

const isMemberOperation = (op: PatchOperation) =>
  op.path !== null && op.path.path.attribute === 'members' && op.path.path.schema === null;

/** Member ids from `[{value: "7"}, ...]`, a single {value}, or bare ids. */
function memberIds(value: Json | undefined): number[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  if (list.length > MAX_MEMBERS) throw new ScimError(400, `At most ${MAX_MEMBERS} members in one request`, 'tooMany');
  return list.map((entry) => {
    const raw = typeof entry === 'object' && entry !== null && !Array.isArray(entry) ? field(entry, 'value') : entry;
    const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
    const id = idFromDigits(text);
    if (id === null) throw invalidValue(`members: ${JSON.stringify(raw ?? null)} is not a user id`);
    return id;
  });
}

/** A Group document: displayName, externalId and members. */
function asGroup(body: unknown) {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ScimError(400, 'The body must be a JSON object', 'invalidSyntax');
  }
  const doc = body as JsonObject;
  const name = field(doc, 'displayName');
  if (typeof name !== 'string' || name.trim() === '') throw invalidValue('displayName is required');
  const externalId = field(doc, 'externalId');
  return {
    displayName: name,
    externalId: typeof externalId === 'string' && externalId !== '' ? externalId : null,
    members: memberIds(field(doc, 'members')),
  };
}

function parseName<
  T extends {
    safeParse(value: unknown): { success: boolean; data?: unknown; error?: { issues: { message: string }[] } };
  },
>(schema: T, value: unknown) {
  const result = schema.safeParse(value);
  if (!result.success) throw invalidValue(`displayName: ${result.error?.issues.map((i) => i.message).join('; ')}`);
  // biome-ignore lint/suspicious/noExplicitAny: the schema's output type.
  return result.data as any;
}
