// Directory connections of an account, managed by the owner and admins without a profile (a sync creates, changes
// and disables any user, admins included): create, list, read, change, delete, and test one saved or unsaved. The
// bind password is written, never read back; every change is in the audit log, without it.
import { X509Certificate } from 'node:crypto';
import type { Selectable } from 'kysely';
import {
  type AttributeMapping,
  type DirectoryConnectionCreate,
  type DirectoryConnectionTestInput,
  type DirectoryConnectionUpdate,
  type DirectoryVendor,
  type MissingUsersChoice,
  PEM_CERTIFICATE,
  REQUIRED_ATTRIBUTES,
} from '../../../shared/directory-schemas.js';
import type { DirectoryConnection, DirectoryTestResult } from '../../../shared/responses/directory.js';
import type { Db } from '../../db/index.js';
import type { DirectoryConnectionsTable } from '../../db/schema/directory-connections.js';
import { conflict, type FieldIssue, forbidden, notFound, validationFailed } from '../../errors.js';
import { type Actor, authorize } from '../../policy.js';
import type { AuditLog } from '../audit.js';
import { Throttle } from '../throttle.js';
import { isUniqueViolation, type RequestMeta } from '../users.js';
import { parseDirectoryUrl } from './client.js';
import { mappingFor, PRESETS } from './presets.js';
import { checkFilter, type DirectorySettings, probeDirectory } from './probe.js';

type Row = Selectable<DirectoryConnectionsTable>;

function present(row: Row): DirectoryConnection {
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    startTls: row.start_tls === 1,
    caCertificate: row.ca_certificate,
    bindDn: row.bind_dn,
    bindPasswordSet: row.bind_password !== '',
    usersBaseDn: row.users_base_dn,
    usersFilter: row.users_filter,
    groupsBaseDn: row.groups_base_dn,
    groupsFilter: row.groups_filter,
    vendor: row.vendor as DirectoryVendor,
    attributes: JSON.parse(row.attribute_mapping_json) as AttributeMapping,
    missingUsers: row.missing_users as MissingUsersChoice,
    scheduleMinutes: row.schedule_minutes,
    passwordSignIn: row.password_sign_in === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** What the audit log keeps of a connection: everything but the password (and the certificate, by fingerprint). */
function auditView(row: Row) {
  const { id: _id, createdAt: _c, updatedAt: _u, bindPasswordSet: _p, caCertificate, ...rest } = present(row);
  return { ...rest, caCertificate: caCertificate ? fingerprints(caCertificate) : null };
}

const fingerprints = (pem: string) =>
  (pem.match(PEM_CERTIFICATE) ?? []).map((block) => new X509Certificate(block).fingerprint256).join(' ');

/** StartTLS applies to ldap:// only: an ldaps:// connection is TLS from the start. */
const startTlsFor = (url: string, startTls: boolean | undefined) =>
  !parseDirectoryUrl(url).secure && startTls !== false;

/**
 * What the edge's schema cannot check: that each certificate parses, that required attributes stay mapped, and
 * (for settings to be saved) that the filters parse. A test checks the filters as a step of its own instead.
 */
function checkInput(
  input: {
    caCertificate?: string | null;
    attributes?: Partial<AttributeMapping>;
    usersFilter?: string;
    groupsFilter?: string;
  },
  filters: boolean,
) {
  const issues: FieldIssue[] = [];
  for (const field of filters ? (['usersFilter', 'groupsFilter'] as const) : []) {
    const filter = input[field];
    if (filter === undefined) continue;
    try {
      checkFilter(filter, field);
    } catch (error) {
      issues.push({ path: field, message: (error as Error).message });
    }
  }
  if (input.caCertificate) {
    try {
      fingerprints(input.caCertificate);
    } catch {
      issues.push({ path: 'caCertificate', message: 'One of the certificates cannot be read' });
    }
  }
  for (const key of REQUIRED_ATTRIBUTES) {
    if (input.attributes?.[key] === null)
      issues.push({ path: `attributes.${key}`, message: 'A sync cannot do without this attribute' });
  }
  if (issues.length) throw validationFailed(issues);
}

/**
 * Connection tests an account may run in a window: a test connects wherever its URL says and answers, step by step,
 * what it met there (nothing listening, a refused connection, a TLS or LDAP server), so unbounded it would map the
 * hosts and ports this server reaches. Enough for an admin getting a connection right; the window is shared by every
 * serving process.
 */
export const TESTS_PER_WINDOW = 60;
export const TEST_WINDOW_MINUTES = 10;

/**
 * Directory-password sign-in sends each user's password to the directory in their bind: never in clear (ldap://
 * with StartTLS off), where anyone on the way reads every password typed.
 */
function assertSignInSecure(url: string, startTls: boolean, passwordSignIn: boolean) {
  if (!passwordSignIn || parseDirectoryUrl(url).secure || startTls) return;
  throw validationFailed([
    {
      path: 'passwordSignIn',
      message: "Sign-in with the directory password sends users' passwords to the directory: use ldaps://, or StartTLS",
    },
  ]);
}

const nameTaken = (name: string) =>
  conflict('DirectoryNameTaken', `Another directory connection of this account is called ${name}`, [
    { path: 'name', message: 'Another directory connection of this account has this name' },
  ]);

export class DirectoryConnections {
  private readonly throttle: Throttle;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly now: () => Date,
    /** How long each step of talking to a directory may take. */
    private readonly timeoutMs: number,
  ) {
    this.throttle = new Throttle(db, now);
  }

  /** Counts a test of the account's, refusing it (429) past TESTS_PER_WINDOW in the window. */
  private async countTest(actor: Actor) {
    await this.throttle.enforce(
      `directory-test:${actor.accountId}`,
      TESTS_PER_WINDOW,
      TEST_WINDOW_MINUTES,
      `This account tested ${TESTS_PER_WINDOW} directory connections in ${TEST_WINDOW_MINUTES} minutes: wait a few minutes before the next test`,
    );
  }

  private assertCanManage(actor: Actor) {
    authorize(actor, 'directory.manage', 'account', { accountId: actor.accountId }, () =>
      forbidden('Only the owner and admins without a profile manage directory connections'),
    );
  }

  private async find(trx: Db, actor: Actor, id: number): Promise<Row> {
    const row = await trx
      .selectFrom('directory_connections')
      .selectAll()
      .where('account_id', '=', actor.accountId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw notFound('Directory connection');
    return row;
  }

  // Names differ by more than case: users show them as their source, where "HQ" and "hq" would look the same.
  private async assertNameFree(trx: Db, accountId: number, name: string, except: number | null) {
    const rows = await trx
      .selectFrom('directory_connections')
      .select(['id', 'name'])
      .where('account_id', '=', accountId)
      .execute();
    if (rows.some((r) => r.id !== except && r.name.toLowerCase() === name.toLowerCase())) throw nameTaken(name);
  }

  async list(actor: Actor): Promise<DirectoryConnection[]> {
    this.assertCanManage(actor);
    const rows = await this.db
      .selectFrom('directory_connections')
      .selectAll()
      .where('account_id', '=', actor.accountId)
      .orderBy('name')
      .orderBy('id')
      .execute();
    return rows.map(present);
  }

  async get(actor: Actor, id: number): Promise<DirectoryConnection> {
    this.assertCanManage(actor);
    return present(await this.find(this.db, actor, id));
  }

  async create(actor: Actor, input: DirectoryConnectionCreate, meta: RequestMeta = {}): Promise<DirectoryConnection> {
    this.assertCanManage(actor);
    checkInput(input, true);
    assertSignInSecure(input.url, startTlsFor(input.url, input.startTls), input.passwordSignIn === true);
    const preset = PRESETS[input.vendor];
    const at = this.now().toISOString();
    const row = await this.db.transaction().execute(async (trx) => {
      await this.assertNameFree(trx, actor.accountId, input.name, null);
      const created = await trx
        .insertInto('directory_connections')
        .values({
          account_id: actor.accountId,
          name: input.name,
          url: input.url,
          start_tls: startTlsFor(input.url, input.startTls) ? 1 : 0,
          ca_certificate: input.caCertificate ?? null,
          bind_dn: input.bindDn,
          bind_password: input.bindPassword,
          users_base_dn: input.usersBaseDn,
          users_filter: input.usersFilter ?? preset.usersFilter,
          groups_base_dn: input.groupsBaseDn,
          groups_filter: input.groupsFilter ?? preset.groupsFilter,
          vendor: input.vendor,
          attribute_mapping_json: JSON.stringify(mappingFor(input.vendor, input.attributes)),
          missing_users: input.missingUsers ?? 'disable',
          schedule_minutes: input.scheduleMinutes ?? null,
          password_sign_in: input.passwordSignIn ? 1 : 0,
          created_by: actor.userId,
          created_at: at,
          updated_at: at,
        })
        .returningAll()
        .executeTakeFirstOrThrow()
        .catch((error: unknown) => {
          throw isUniqueViolation(error) ? nameTaken(input.name) : error;
        });
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'directory_connection.create',
        target: { type: 'directory_connection', id: created.id, label: created.name },
        after: auditView(created),
        ip: meta.ip,
      });
      return created;
    });
    return present(row);
  }

  async update(
    actor: Actor,
    id: number,
    input: DirectoryConnectionUpdate,
    meta: RequestMeta = {},
  ): Promise<DirectoryConnection> {
    this.assertCanManage(actor);
    checkInput(input, true);
    const row = await this.db.transaction().execute(async (trx) => {
      const before = await this.find(trx, actor, id);
      const url = input.url ?? before.url;
      // A connection that was ldaps:// had no StartTLS setting: moved to ldap://, it takes the default (on).
      const startTls = startTlsFor(
        url,
        input.startTls ?? (parseDirectoryUrl(before.url).secure || before.start_tls === 1),
      );
      const caCertificate = input.caCertificate === undefined ? before.ca_certificate : input.caCertificate;
      // The stored password goes only where it went before: whoever sends it elsewhere, or over another kind of
      // connection, types it again (else changing the URL would hand it to any server an admin names).
      const redirected =
        url !== before.url || startTls !== (before.start_tls === 1) || caCertificate !== before.ca_certificate;
      if (redirected && !input.bindPassword)
        throw validationFailed([
          {
            path: 'bindPassword',
            message: 'Enter the bind password again: the URL, StartTLS or CA certificate changes where it is sent',
          },
        ]);
      assertSignInSecure(url, startTls, input.passwordSignIn ?? before.password_sign_in === 1);
      if (input.name !== undefined) await this.assertNameFree(trx, actor.accountId, input.name, id);
      const vendor = input.vendor ?? (before.vendor as DirectoryVendor);
      // A new vendor fills in its own filters and attributes, unless the same change gives them.
      const fresh = vendor !== before.vendor;
      const preset = PRESETS[vendor];
      const attributes = mappingFor(
        vendor,
        input.attributes,
        fresh ? preset.attributes : (JSON.parse(before.attribute_mapping_json) as AttributeMapping),
      );
      const updated = await trx
        .updateTable('directory_connections')
        .set({
          name: input.name ?? before.name,
          url,
          start_tls: startTls ? 1 : 0,
          ca_certificate: caCertificate,
          bind_dn: input.bindDn ?? before.bind_dn,
          bind_password: input.bindPassword || before.bind_password,
          users_base_dn: input.usersBaseDn ?? before.users_base_dn,
          users_filter: input.usersFilter ?? (fresh ? preset.usersFilter : before.users_filter),
          groups_base_dn: input.groupsBaseDn ?? before.groups_base_dn,
          groups_filter: input.groupsFilter ?? (fresh ? preset.groupsFilter : before.groups_filter),
          vendor,
          attribute_mapping_json: JSON.stringify(attributes),
          missing_users: input.missingUsers ?? before.missing_users,
          schedule_minutes: input.scheduleMinutes === undefined ? before.schedule_minutes : input.scheduleMinutes,
          password_sign_in: input.passwordSignIn === undefined ? before.password_sign_in : input.passwordSignIn ? 1 : 0,
          updated_at: this.now().toISOString(),
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow()
        .catch((error: unknown) => {
          throw isUniqueViolation(error) ? nameTaken(input.name ?? before.name) : error;
        });
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'directory_connection.update',
        target: { type: 'directory_connection', id, label: updated.name },
        before: auditView(before),
        after: {
          ...auditView(updated),
          ...(input.bindPassword && input.bindPassword !== before.bind_password ? { bindPasswordChanged: true } : {}),
        },
        ip: meta.ip,
      });
      return updated;
    });
    return present(row);
  }

  async remove(actor: Actor, id: number, meta: RequestMeta = {}): Promise<void> {
    this.assertCanManage(actor);
    await this.db.transaction().execute(async (trx) => {
      const before = await this.find(trx, actor, id);
      await trx.deleteFrom('directory_connections').where('id', '=', id).execute();
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'directory_connection.delete',
        target: { type: 'directory_connection', id, label: before.name },
        before: auditView(before),
        ip: meta.ip,
      });
    });
  }

  /** Tests a saved connection with its stored password. */
  async test(actor: Actor, id: number): Promise<DirectoryTestResult> {
    this.assertCanManage(actor);
    const row = await this.find(this.db, actor, id);
    await this.countTest(actor);
    return probeDirectory(
      {
        url: row.url,
        startTls: row.start_tls === 1,
        caCertificate: row.ca_certificate,
        bindDn: row.bind_dn,
        bindPassword: row.bind_password,
        usersBaseDn: row.users_base_dn,
        usersFilter: row.users_filter,
        groupsBaseDn: row.groups_base_dn,
        groupsFilter: row.groups_filter,
      },
      this.timeoutMs,
    );
  }

  /** Tests settings before they are saved; the password given is used for this test only. */
  async testSettings(actor: Actor, input: DirectoryConnectionTestInput): Promise<DirectoryTestResult> {
    this.assertCanManage(actor);
    checkInput(input, false);
    await this.countTest(actor);
    const preset = PRESETS[input.vendor];
    const settings: DirectorySettings = {
      url: input.url,
      startTls: startTlsFor(input.url, input.startTls),
      caCertificate: input.caCertificate ?? null,
      bindDn: input.bindDn,
      bindPassword: input.bindPassword,
      usersBaseDn: input.usersBaseDn,
      usersFilter: input.usersFilter ?? preset.usersFilter,
      groupsBaseDn: input.groupsBaseDn,
      groupsFilter: input.groupsFilter ?? preset.groupsFilter,
    };
    return probeDirectory(settings, this.timeoutMs);
  }
}
