// Authorization decisions for the suite's applications: loads the facts about the users asked about (one query
// for any number of them) and lets the policy answer, question by question, with the reason.
import { type Compilable, CompiledQuery, type RawBuilder, sql } from 'kysely';
import { APPS, type AppKey, type ChatStatus, isAppKey } from '../../shared/access.js';
import type { DecisionQuestion } from '../../shared/access-schemas.js';
import type { AccessType } from '../../shared/constants.js';
import type { DatabaseHandle, Db } from '../db/index.js';
import { parseRoleIds } from '../db/user-facts.js';
import { forbidden, notFound } from '../errors.js';
import {
  type Decision,
  decide,
  effectiveRoleKeys,
  type GroupFacts,
  NO_GROUPS,
  type Resource,
  type RoleCatalog,
  type Subject,
} from '../policy/decide.js';
import { type Actor, canAskAbout } from '../policy.js';
import type { AccessRoles } from './access.js';
import type { ApiKeyPrincipal } from './api-keys.js';
import { presentLicenses } from './licenses.js';

/** Who asks: a signed-in user (console or API) or an application key. */
export type Caller = { kind: 'user'; actor: Actor } | { kind: 'key'; key: ApiKeyPrincipal };

export const callerAccount = (caller: Caller) =>
  caller.kind === 'user' ? caller.actor.accountId : caller.key.accountId;

interface FactsRow {
  id: number;
  account_id: number;
  username: string;
  access_type: string;
  is_owner: number;
  enabled: number;
  valid_from: string | null;
  expires_at: string | null;
  license_apps: string;
  analysis_enabled: number;
  role_ids: string;
  catalog_version: number | null;
}

export class Decisions {
  private readonly db: Db;
  private oneUser: ((accountId: number, userId: number) => CompiledQuery) | null = null;
  private flushQueued = false;
  /** Single decisions waiting for their facts (PostgreSQL), by account and user. */
  private waiting = new Map<
    number,
    Map<number, { resolve: (rows: FactsRow[]) => void; reject: (e: unknown) => void }[]>
  >();
  /** A list of values as one parameter, so a batch's statement text stays the same whatever its size. */
  private readonly inList: (values: (number | string)[]) => RawBuilder<unknown> | (number | string)[];

  constructor(
    private readonly handle: DatabaseHandle,
    private readonly roles: AccessRoles,
    private readonly now: () => Date,
    /** Group facts for the users asked about and the groups the questions name (the Teams service). */
    private readonly groups: (
      accountId: number,
      userIds: number[],
      resources: (Resource | undefined)[],
    ) => Promise<GroupFacts> = async () => NO_GROUPS,
  ) {
    this.db = handle.db;
    this.inList =
      handle.dialect === 'postgres'
        ? // One array parameter: the statement text is the same whatever the list's length.
          (values) => sql`(select unnest(${values}::${sql.raw(typeof values[0] === 'number' ? 'int[]' : 'text[]')}))`
        : // A short list inline (the planner looks each id up); a long one as JSON, saving a long statement's prepare.
          (values) => (values.length <= 32 ? values : sql`(select value from json_each(${JSON.stringify(values)}))`);
  }

  async decideOne(caller: Caller, question: DecisionQuestion): Promise<Decision & { userId: number | null }> {
    const [answer] = await this.decideMany(caller, [question], { strict: true });
    return answer as Decision & { userId: number | null };
  }

  /**
   * Answers every question in order. Questions about unknown users are denied (UnknownUser); a signed-in non-admin
   * may only ask about themselves (`strict` turns that into a 403 for the single form).
   */
  async decideMany(
    caller: Caller,
    questions: DecisionQuestion[],
    options: { strict?: boolean } = {},
  ): Promise<(Decision & { userId: number | null })[]> {
    const accountId = callerAccount(caller);
    const principal = caller.kind === 'key' ? { apiKeyAccountId: accountId } : caller.actor;
    // Asked before anything is looked up, so that a refusal says nothing of whether the user named exists.
    const allowed = questions.map((q) => canAskAbout(principal, { accountId, userId: q.userId, username: q.username }));
    if (options.strict && allowed.includes(false)) throw forbidden('You may ask about yourself only');
    const { byId, subjectOf, catalog, answersOf } = await this.load(
      accountId,
      questions.filter((_, i) => allowed[i]),
    );
    const groups = await this.groups(
      accountId,
      [...byId.keys()],
      questions.map((q) => q.resource),
    );
    const now = this.now();
    return questions.map((question, i) => {
      if (!allowed[i]) {
        return { userId: null, allowed: false, reason: { code: 'NoRole', message: 'You may ask about yourself only' } };
      }
      const subject = subjectOf(question);
      // Users with the same facts get the same answer to the same question (unless it names a group, or whether
      // the resource is theirs differs): a batch decides each such question once.
      const answers = subject && question.resource?.groupId === undefined ? answersOf.get(subject) : undefined;
      if (!subject || !answers) {
        return {
          userId: subject?.id ?? null,
          ...decide(subject, question.action, question.resource, catalog, { now, groups }),
        };
      }
      let byScope = answers.get(question.action);
      if (!byScope) {
        byScope = [undefined, undefined];
        answers.set(question.action, byScope);
      }
      const own = question.resource?.ownerId === subject.id ? 1 : 0;
      byScope[own] ??= decide(subject, question.action, question.resource, catalog, { now, groups });
      return { userId: subject.id, ...byScope[own] };
    });
  }

  /** What an application needs to know about a user: licenses, effective roles per application, settings. */
  async accessProfile(caller: Caller, lookup: { userId?: number; username?: string }) {
    const accountId = callerAccount(caller);
    const principal = caller.kind === 'key' ? { apiKeyAccountId: accountId } : caller.actor;
    if (!canAskAbout(principal, { accountId, ...lookup })) throw notFound('User');
    const { subjectOf, catalog } = await this.load(accountId, [lookup]);
    const subject = subjectOf(lookup);
    if (!subject) throw notFound('User');
    const user = await this.db
      .selectFrom('users as u')
      .leftJoin('user_app_settings as s', 's.user_id', 'u.id')
      .select(['u.first_name', 'u.last_name', 'u.email', 's.chat_status', 's.chat_limit', 's.chat_tag'])
      .where('u.account_id', '=', accountId)
      .where('u.id', '=', subject.id)
      .executeTakeFirstOrThrow();
    const keys = effectiveRoleKeys(subject, catalog);
    const applications: Record<string, { licensed: boolean; roles: string[] }> = {};
    for (const [key] of Object.entries(APPS)) {
      applications[key] = {
        licensed: subject.licenses.has(key),
        roles: [...keys]
          .filter((k) => k.startsWith(`${key}/`))
          .map((k) => k.slice(key.length + 1))
          .sort(),
      };
    }
    return {
      id: subject.id,
      username: subject.username,
      firstName: user.first_name,
      lastName: user.last_name || null,
      email: user.email || null,
      accessType: subject.accessType as AccessType,
      isOwner: subject.isOwner,
      enabled: subject.enabled,
      licenses: presentLicenses(JSON.stringify([...subject.licenses])),
      applications: applications as Record<AppKey, { licensed: boolean; roles: string[] }>,
      chat: {
        status: (user.chat_status ?? 'available') as ChatStatus,
        chatLimit: user.chat_limit ?? -1,
        tag: user.chat_tag ?? '',
      },
      analysisEnabled: subject.analysisEnabled,
    };
  }

  /** What a decision reads about users (their row only: user-facts keeps copies of roles and settings there). */
  private facts(accountId: number) {
    return this.db
      .selectFrom('users as u')
      .select([
        'u.id',
        'u.account_id',
        'u.username',
        'u.access_type',
        'u.is_owner',
        'u.enabled',
        'u.valid_from',
        'u.expires_at',
        'u.license_apps',
        'u.analysis_enabled',
        'u.role_ids',
        sql<number | null>`(select version from role_catalogs where account_id = ${accountId})`.as('catalog_version'),
      ]);
  }

  /** One user's facts; the statement is built once (building a query costs more than running it). */
  private one(accountId: number, id: number): Promise<FactsRow[]> {
    // Unary + keeps the planner off the account index: it looks the named users up by id instead.
    this.oneUser ??= compileWithSlots((account, user) =>
      this.facts(account).where(sql<number>`+u.account_id`, '=', account).where('u.id', '=', user),
    );
    return this.handle.queryPrepared<FactsRow>('roster_decision_facts', this.oneUser(accountId, id));
  }

  /** Many users' facts in one statement. */
  private async many(accountId: number, ids: number[]): Promise<FactsRow[]> {
    const query = this.facts(accountId)
      .where(sql<number>`+u.account_id`, '=', accountId)
      .where('u.id', 'in', this.inList(ids) as never);
    // On PostgreSQL the statement is the same for every batch: it is parsed and planned once per connection.
    if (this.handle.dialect === 'postgres') {
      return this.handle.queryPrepared<FactsRow>('roster_decision_facts_batch', query.compile());
    }
    return (await query.execute()) as FactsRow[];
  }

  /**
   * PostgreSQL: single decisions that arrive together (in one turn of the event loop) share one statement, so a
   * busy server makes one round trip for several of them instead of one each.
   */
  private coalesced(accountId: number, id: number): Promise<FactsRow[]> {
    return new Promise((resolve, reject) => {
      let account = this.waiting.get(accountId);
      if (!account) {
        account = new Map();
        this.waiting.set(accountId, account);
      }
      account.set(id, [...(account.get(id) ?? []), { resolve, reject }]);
      if (!this.flushQueued) {
        this.flushQueued = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush() {
    this.flushQueued = false;
    const waiting = this.waiting;
    this.waiting = new Map();
    for (const [accountId, byId] of waiting) {
      const ids = [...byId.keys()];
      const rows = ids.length === 1 ? this.one(accountId, ids[0] as number) : this.many(accountId, ids);
      rows.then(
        (found) => {
          const byUser = new Map(found.map((row) => [row.id, row]));
          for (const [id, waiters] of byId) {
            const row = byUser.get(id);
            for (const waiter of waiters) waiter.resolve(row ? [row] : []);
          }
        },
        (error) => {
          for (const waiters of byId.values()) for (const waiter of waiters) waiter.reject(error);
        },
      );
    }
  }

  /** The users the questions name, in one query, and the account's role catalog (cached while current). */
  private async load(accountId: number, questions: { userId?: number; username?: string }[]) {
    const ids = new Set<number>();
    const names = new Set<string>();
    for (const q of questions) {
      if (q.userId !== undefined) ids.add(q.userId);
      else if (q.username !== undefined) names.add(q.username.toLowerCase());
    }
    const rows: FactsRow[] = [];
    if (ids.size === 1 && names.size === 0) {
      const [id] = ids as Set<number> & [number];
      rows.push(
        ...(await (this.handle.dialect === 'postgres' ? this.coalesced(accountId, id) : this.one(accountId, id))),
      );
    } else if (ids.size > 0) rows.push(...(await this.many(accountId, [...ids])));
    if (names.size > 0) {
      rows.push(
        ...((await this.facts(accountId)
          .where('u.account_id', '=', accountId)
          .where('u.username', 'in', this.inList([...names]) as never)
          .execute()) as FactsRow[]),
      );
    }
    let version: number | null | undefined = rows[0]?.catalog_version;
    if (rows.length === 0) version = undefined;
    const catalog: RoleCatalog = await this.roles.catalog(accountId, version);
    const byId = new Map<number, Subject>();
    const byName = new Map<string, Subject>();
    /** Answers by action, [other's resource, own]; shared by the subjects whose facts are the same. */
    const answersOf = new Map<Subject, Answers>();
    const answersByFacts = new Map<string, Answers>();
    // Few license and role combinations recur over many users: each is parsed once.
    const licenseSets = new Map<string, ReadonlySet<string>>();
    const roleLists = new Map<string, number[]>();
    const licensesOf = (apps: string) => {
      let set = licenseSets.get(apps);
      if (!set) {
        set = new Set((JSON.parse(apps || '[]') as string[]).filter(isAppKey));
        licenseSets.set(apps, set);
      }
      return set;
    };
    const rolesOf = (ids: string) => {
      let list = roleLists.get(ids);
      if (!list) {
        list = parseRoleIds(ids);
        roleLists.set(ids, list);
      }
      return list;
    };
    for (const row of rows) {
      const subject: Subject = {
        id: row.id,
        accountId: row.account_id,
        username: row.username,
        accessType: row.access_type,
        isOwner: row.is_owner === 1,
        enabled: row.enabled === 1,
        validFrom: row.valid_from,
        expiresAt: row.expires_at,
        licenses: licensesOf(row.license_apps),
        analysisEnabled: row.analysis_enabled === 1,
        roleIds: rolesOf(row.role_ids),
      };
      byId.set(subject.id, subject);
      byName.set(subject.username, subject);
      // Everything a decision reads about the subject (the account is the same for all).
      const facts = [
        row.access_type,
        row.is_owner,
        row.enabled,
        row.valid_from,
        row.expires_at,
        row.license_apps,
        row.role_ids,
        row.analysis_enabled,
      ].join('\t');
      let answers = answersByFacts.get(facts);
      if (!answers) {
        answers = new Map();
        answersByFacts.set(facts, answers);
      }
      answersOf.set(subject, answers);
    }
    /** The subject a question names, by id or by username. */
    const subjectOf = (lookup: { userId?: number; username?: string }) =>
      lookup.userId !== undefined ? byId.get(lookup.userId) : byName.get(lookup.username?.toLowerCase() ?? '');
    return { byId, subjectOf, catalog, answersOf };
  }
}

type Answers = Map<string, [Decision | undefined, Decision | undefined]>;

const SLOT_A = -918_273_645;
const SLOT_B = -546_372_819;

/**
 * Compiles a query once with two placeholder values and returns a function that fills them in: the statement
 * text stays the same, only its parameters change.
 */
function compileWithSlots(build: (a: number, b: number) => Compilable): (a: number, b: number) => CompiledQuery {
  const compiled = build(SLOT_A, SLOT_B).compile();
  const slots = compiled.parameters.map((p) => (p === SLOT_A ? 'a' : p === SLOT_B ? 'b' : null));
  if (!slots.includes('a') || !slots.includes('b')) throw new Error('a query slot did not become a parameter');
  return (a, b) =>
    CompiledQuery.raw(
      compiled.sql,
      compiled.parameters.map((p, i) => (slots[i] === 'a' ? a : slots[i] === 'b' ? b : p)),
    );
}
