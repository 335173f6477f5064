// Generated from the OpenAPI document: every operation x every kind of caller x every kind of subject answers what
// the policy table says. An operation missing from server/policy/operations.ts, or an entry with no operation, fails.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATIONS } from '../../server/policy/operations.js';
import { type Actor, can } from '../../server/policy.js';
import { DIALECTS } from '../support/databases.js';
import { type Client, createHarness, type Harness, PASSWORD, type Reply } from '../support/harness.js';

const MISSING = 999_999_999;

/** Bodies valid enough to pass validation, so that a refusal can only come from authorization. */
const BODIES: Record<string, unknown> = {
  'POST /auth/sign-in': { account: 'nobody', username: 'nobody', password: 'Wrong-pass-1' },
  'POST /auth/change-password': { currentPassword: 'Wrong-pass-1', newPassword: 'Another-pass-2026!' },
  'POST /users/bulk': { action: 'enable', selection: { ids: [MISSING] } },
  'POST /users': { username: 'matrix', firstName: 'M' },
  'PUT /mail/settings': { smtp: null },
  'PUT /security/second-factor': { requireAdminOtp: false },
  'PUT /security/password-policy': { minLength: null, minClasses: 0, historyCount: 5, maxAgeDays: 0 },
  'POST /auth/password-check': { password: 'Long-enough-passphrase-1' },
  'PUT /users/{id}/password': { password: 'Long-enough-passphrase-1', temporary: true },
  'POST /auth/forgot-password': { login: 'nobody' },
  'POST /auth/links/inspect': { token: 'A'.repeat(43), purpose: 'invitation' },
  'POST /auth/links/password': { token: 'A'.repeat(43), purpose: 'invitation', password: 'Long-enough-passphrase-1' },
  'POST /auth/links/verify-email': { token: 'A'.repeat(43) },
  'PATCH /users/{id}': { lastName: 'Matrix' },
  'POST /saved-filters': { name: 'Matrix', filter: {} },
  'PATCH /saved-filters/{id}': { isDefault: false },
  'POST /roles': { application: 'voice_analytics', name: 'matrix_role' },
  'PATCH /roles/{id}': { description: 'x' },
  'POST /users/{id}/roles': { roleIds: [MISSING] },
  'PATCH /users/{id}/app-settings/chat': { chatLimit: 1 },
  'PATCH /users/{id}/app-settings/analysis': { analysisEnabled: false },
  'PUT /licenses/pools/{app}': { size: 10 },
  'POST /licenses/usage': { userId: MISSING, minutes: 1 },
  'POST /users/{id}/licenses': { application: 'voice_analytics' },
  'POST /api-keys': { name: 'Matrix key' },
  'POST /scim-tokens': { name: 'Matrix SCIM client' },
  'PATCH /imports/{id}': {},
  'POST /imports/{id}/reread': { encoding: 'utf-8' },
  'PUT /import-settings': { extensionFirst: 1000, extensionLast: 1999 },
  'POST /profiles': { name: 'Matrix profile' },
  'PATCH /profiles/{id}': { description: 'x' },
  'POST /groups': { name: 'Matrix group' },
  'PATCH /groups/{id}': { name: 'Matrix group 2' },
  'POST /users/{id}/teams': { groupId: MISSING },
  'POST /users/{id}/supervised-teams': { groupId: MISSING },
  'POST /users/{id}/can-manage': { groupId: MISSING },
  'PUT /users/{id}/main-team': { groupId: MISSING },
  'POST /users/{id}/move': { toGroupId: MISSING },
  'POST /departments': { name: 'Matrix department' },
  'PATCH /departments/{id}': { name: 'Matrix department 2' },
  'POST /chat-groups': { name: 'Matrix chat group' },
  'PATCH /chat-groups/{id}': { name: 'Matrix chat group 2' },
  // Nothing listens there: an allowed caller gets a 400 naming the issuer, after authorization let it through.
  'POST /identity-providers': {
    name: 'Matrix',
    slug: 'matrix',
    issuer: 'https://127.0.0.1:9',
    clientId: 'matrix',
    clientSecret: 'matrix',
  },
  'PATCH /identity-providers/{id}': { name: 'Matrix 2' },
  'POST /webhooks': { url: 'https://hooks.example.com/matrix', eventTypes: ['user.moved'] },
  'PATCH /webhooks/{id}': { description: 'Matrix' },
  // Nothing listens there: an allowed caller's test answers that TCP failed.
  'POST /directory-connections': {
    name: 'Matrix directory',
    url: 'ldap://127.0.0.1:9',
    bindDn: 'cn=matrix,dc=example,dc=org',
    bindPassword: 'matrix',
    usersBaseDn: 'ou=people,dc=example,dc=org',
    groupsBaseDn: 'ou=groups,dc=example,dc=org',
    vendor: 'openldap',
  },
  'POST /directory-connections/test': {
    url: 'ldap://127.0.0.1:9',
    startTls: false,
    bindDn: 'cn=matrix,dc=example,dc=org',
    bindPassword: 'matrix',
    usersBaseDn: 'ou=people,dc=example,dc=org',
    groupsBaseDn: 'ou=groups,dc=example,dc=org',
    vendor: 'openldap',
  },
};

interface Target {
  id: number;
  accountId: number;
  department: string;
  username: string;
}
type Kind = 'none' | 'own' | 'same' | 'outOfScope' | 'otherAccount';
interface Caller {
  name: string;
  department: string;
  actor: Actor | { apiKeyAccountId: number };
  send(method: string, path: string, body?: unknown): Promise<Reply>;
}

describe.each(DIALECTS)('policy matrix (%s)', (dialect) => {
  let h: Harness;
  let operations: string[];
  const callers: Caller[] = [];
  const subjects: Record<Exclude<Kind, 'none' | 'own'>, Target> = {} as never;

  beforeAll(async () => {
    h = await createHarness(dialect);
    const doc = (await h.raw('GET', '/openapi.json')).body;
    operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item as object).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const a = await h.newAccount();
    const b = await h.newAccount();
    // A profile's Users items name departments of the account.
    for (const name of ['Sales', 'IT']) await a.owner.post('/departments', { name });
    const profile = async (name: string, modules: unknown) => (await a.owner.post('/profiles', { name, modules })).body;
    const sales = await profile('Sales only', { users: { access: 'some', items: ['Sales'] } });
    const fewProfiles = await profile('Few profiles', {
      users: { access: 'all' },
      profiles: { access: 'some', items: ['Sales only'] },
    });
    const person = async (
      name: string,
      client: Client,
      accountId: number,
      slug: string,
      fields: Record<string, unknown>,
      profileOf: { id: number; name: string; modules: unknown } | null,
    ) => {
      const user = await h.buildUser(client, { password: PASSWORD, ...fields });
      const session = await h.signIn(slug, user.username, PASSWORD);
      const actor: Actor = {
        userId: user.id,
        accountId,
        username: user.username,
        accessType: user.accessType,
        isOwner: false,
        profile: profileOf ? { id: profileOf.id, name: profileOf.name, rules: profileOf.modules as never } : null,
      };
      callers.push({
        name,
        department: String(fields.department ?? ''),
        actor,
        send: (m, p, body) => session.request(m, p, body),
      });
    };
    const ownerA = (await a.owner.get('/session')).body.user;
    callers.push({
      name: 'owner',
      department: '',
      actor: { userId: ownerA.id, accountId: a.accountId, username: 'owner', accessType: 'admin', isOwner: true },
      send: (m, p, body) => a.owner.request(m, p, body),
    });
    await person('admin', a.owner, a.accountId, a.slug, { accessType: 'admin', department: 'IT' }, null);
    await person(
      'admin of Sales',
      a.owner,
      a.accountId,
      a.slug,
      { accessType: 'admin', department: 'Sales', profileId: sales.id },
      sales,
    );
    await person(
      'admin with few profiles',
      a.owner,
      a.accountId,
      a.slug,
      { accessType: 'admin', profileId: fewProfiles.id },
      fewProfiles,
    );
    await person('standard', a.owner, a.accountId, a.slug, { accessType: 'standard', department: 'Sales' }, null);
    await person('read-only', a.owner, a.accountId, a.slug, { accessType: 'read_only' }, null);
    await person('identified-only', a.owner, a.accountId, a.slug, { accessType: 'identified_only' }, null);
    await person('scorer', a.owner, a.accountId, a.slug, { accessType: 'scorer' }, null);
    const ownerB = (await b.owner.get('/session')).body.user;
    callers.push({
      name: 'admin of another account',
      department: '',
      actor: { userId: ownerB.id, accountId: b.accountId, username: 'owner', accessType: 'admin', isOwner: true },
      send: (m, p, body) => b.owner.request(m, p, body),
    });
    const key = (await a.owner.post('/api-keys', { name: 'Matrix application' })).body.key as string;
    callers.push({
      name: 'application key',
      department: '',
      actor: { apiKeyAccountId: a.accountId },
      send: (m, p, body) => h.raw(m, p, body, { authorization: `Bearer ${key}` }),
    });
    const subject = async (client: Client, accountId: number, department: string): Promise<Target> => {
      const user = await h.buildUser(client, { department });
      return { id: user.id, accountId, department, username: user.username };
    };
    subjects.same = await subject(a.owner, a.accountId, 'Sales');
    subjects.outOfScope = await subject(a.owner, a.accountId, 'Support');
    subjects.otherAccount = await subject(b.owner, b.accountId, 'Sales');
  }, 60_000);
  afterAll(() => h.close());

  it('maps every operation of the OpenAPI document to a policy action, and nothing else', () => {
    expect(operations.filter((op) => !(op in OPERATIONS))).toEqual([]);
    expect(Object.keys(OPERATIONS).filter((op) => !operations.includes(op))).toEqual([]);
  });

  it('answers every operation as the policy table says, for every caller and subject', async () => {
    const mismatches: string[] = [];
    for (const operation of operations) {
      const rule = OPERATIONS[operation];
      if (!rule) continue;
      const [method, template] = operation.split(' ') as [string, string];
      // Signing out would end the session the rest of the matrix uses; it is met by the key (no session) only.
      const kinds: Kind[] =
        rule.subject === 'user' || rule.subject === 'question'
          ? ['own', 'same', 'outOfScope', 'otherAccount']
          : ['none'];
      for (const caller of callers) {
        if (operation === 'POST /auth/sign-out' && !('apiKeyAccountId' in caller.actor)) continue;
        const isKey = 'apiKeyAccountId' in caller.actor;
        for (const kind of kinds) {
          if (kind === 'own' && isKey) continue;
          const target =
            kind === 'own'
              ? {
                  id: (caller.actor as Actor).userId,
                  accountId: (caller.actor as Actor).accountId,
                  department: caller.department,
                  username: (caller.actor as Actor).username,
                }
              : kind === 'none'
                ? null
                : subjects[kind];
          let id = target?.id ?? MISSING;
          // An allowed delete would take the shared subject away: it gets a user of its own.
          if (operation === 'DELETE /users/{id}' && target && kind !== 'own') {
            const owner = callers.find(
              (c) => c.name === (kind === 'otherAccount' ? 'admin of another account' : 'owner'),
            ) as Caller;
            id = (
              await owner.send('POST', '/users', {
                username: `gone${kind}${callers.indexOf(caller)}`,
                firstName: 'G',
                department: target.department,
              })
            ).body.id;
          }
          const path = template
            .replace('{id}', String(rule.subject === 'user' || template.startsWith('/access-profiles') ? id : MISSING))
            .replace('{app}', 'voice_analytics')
            .replace(/\{\w+\}/g, String(MISSING));
          let body = BODIES[operation] ?? (['GET', 'DELETE'].includes(method) ? undefined : {});
          let query = '';
          if (rule.subject === 'question') {
            if (operation === 'POST /decisions') body = { userId: id, action: 'voice_analytics:recording.read' };
            if (operation === 'POST /decisions/batch')
              body = { questions: [{ userId: id, action: 'voice_analytics:recording.read' }] };
            if (operation === 'GET /access-profiles') query = `?username=${encodeURIComponent(target?.username ?? '')}`;
          }
          const reply = await caller.send(method, `${path.replace('{id}', String(id))}${query}`, body);
          const allowed = expected(caller, rule, target ? { ...target, id } : null);
          const code = reply.body?.error?.code;
          const refused =
            reply.status === 401 ||
            (reply.status === 403 && (code === 'Forbidden' || code === 'ApiKeyNotAllowed')) ||
            // The table denies deleting oneself or the owner; the service says why with its own code.
            (reply.status === 409 && (code === 'OwnerProtected' || code === 'CannotDeleteSelf')) ||
            // Asking about an unknown user is allowed and answers "not found"; elsewhere it is a user out of reach.
            (reply.status === 404 && reply.body?.error?.message === 'User not found' && rule.subject !== 'question');
          const batchRefused =
            operation === 'POST /decisions/batch' &&
            reply.body?.results?.[0]?.reason?.message === 'You may ask about yourself only';
          const line = `${operation} as ${caller.name} on ${kind}: ${reply.status} ${code ?? ''}`;
          if (rule.subject === 'public') continue;
          if (allowed && (refused || batchRefused)) mismatches.push(`${line} (the table allows it)`);
          if (!allowed && !(refused || batchRefused || reply.status === 404))
            mismatches.push(`${line} (the table denies it)`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  }, 120_000);

  function expected(caller: Caller, rule: { action: string; subject: string }, target: Target | null) {
    const actor = caller.actor;
    if (rule.subject === 'public') return true;
    if (rule.subject === 'session' || rule.subject === 'account') {
      const accountId = 'apiKeyAccountId' in actor ? actor.apiKeyAccountId : actor.accountId;
      return can(actor, rule.action, 'account', { accountId });
    }
    if (!target) return false;
    if (rule.subject === 'question') {
      const accountId = 'apiKeyAccountId' in actor ? actor.apiKeyAccountId : actor.accountId;
      // A user of another account is an unknown user to the caller: asking is allowed, the answer is "unknown".
      return can(actor, 'decision.ask', 'question', { accountId, userId: target.id });
    }
    return can(actor, rule.action, 'user', {
      id: target.id,
      accountId: target.accountId,
      isOwner: false,
      isAdmin: false,
      department: target.department,
    });
  }
});
