// Wires configuration, database and services into the one object every route receives.
import type { Config } from './config.js';
import type { DatabaseHandle } from './db/index.js';
import { AccessRoles } from './services/access.js';
import { Accounts } from './services/accounts.js';
import { ApiKeys } from './services/api-keys.js';
import { AppSettingsService } from './services/app-settings.js';
import { AuditLog } from './services/audit.js';
import { Auth } from './services/auth.js';
import { BulkActions } from './services/bulk.js';
import { Decisions } from './services/decisions.js';
import { Departments } from './services/departments.js';
import { DirectoryConnections } from './services/directory/connections.js';
import { DirectorySync, grantingDefaults } from './services/directory/sync.js';
import { Events } from './services/events.js';
import { Groups } from './services/groups.js';
import { IdentityProviders } from './services/identity-providers.js';
import { ImportJobs } from './services/import/jobs.js';
import { Licenses } from './services/licenses.js';
import { SingleUseLinks } from './services/links.js';
import { MailAdmin } from './services/mail/admin.js';
import { Outbox } from './services/mail/outbox.js';
import { MailSender } from './services/mail/sender.js';
import { MyAccount } from './services/me.js';
import { OneTimeCodes } from './services/otp.js';
import { PasswordPolicies } from './services/password-policy.js';
import { Profiles } from './services/profiles.js';
import { SavedFilters } from './services/saved-filters.js';
import { ScimTokens } from './services/scim-tokens.js';
import { SignInLinks } from './services/sign-in-links.js';
import { SingleSignOn } from './services/sso.js';
import { Teams } from './services/teams.js';
import type { UserRow } from './services/user-presenter.js';
import { UserDirectory } from './services/users.js';
import { WebhookDispatcher } from './services/webhooks/dispatcher.js';
import { WebhookEndpoints } from './services/webhooks/endpoints.js';
import { notifyWebhookDisabled } from './services/webhooks/notice.js';

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function createContext(config: Config, database: DatabaseHandle, clock: Clock = systemClock) {
  const now = () => clock.now();
  const audit = new AuditLog(database, now);
  const roles = new AccessRoles(database, audit, now);
  const users = new UserDirectory(database, audit, now);
  const licenses = new Licenses(database, audit, now);
  const teams = new Teams(database, audit, now);
  const departments = new Departments(database, audit, now);
  const profiles = new Profiles(database, audit, now);
  const outbox = new Outbox(now);
  const links = new SingleUseLinks(database.db, now);
  const signInLinks = new SignInLinks(database.db, links, outbox, audit, now, config);
  const mailSender = new MailSender(database.db, now, () => config.smtp, config.smtpTimeoutMs);
  outbox.onQueued = () => mailSender.kick();
  users.onCreated = async (trx, created) => {
    // A granted license rewrites the user's license_apps; an invitation sets the status.
    const changed = await licenses.grantDefaultsWithin(trx, created);
    for (const { actor, user, input, meta } of created) {
      if (!input.sendInvitation) continue;
      await signInLinks.inviteWithin(trx, actor, [user], meta.ip);
      changed.add(user.id);
    }
    return changed;
  };
  users.afterMailQueued = () => outbox.queued();
  const imports = new ImportJobs(database, now, audit, config.databaseUrl, (actor) => profiles.catalog(actor));
  imports.invitations = (accountId, invitedBy, rows) => signInLinks.invitationStatements(accountId, invitedBy, rows);
  imports.afterMailQueued = () => outbox.queued();
  const bulk = new BulkActions(database, users, roles, teams, audit, now);
  bulk.invite = (trx, actor, rows) => signInLinks.inviteWithin(trx, actor, rows, null, { audit: false });
  bulk.afterMailQueued = () => outbox.queued();
  users.onEmailChanged = (trx, before, after) => signInLinks.noticeEmailChanged(trx, before, after);
  const otp = new OneTimeCodes(database.db, audit, outbox, now);
  const me = new MyAccount(database.db, audit, now, database.dialect);
  me.onEmailChanged = (trx, before, after) => signInLinks.noticeEmailChanged(trx, before, after);
  me.afterMailQueued = () => outbox.queued();
  const auth = new Auth(database, audit, now, {
    attempts: config.lockoutAttempts,
    minutes: config.lockoutMinutes,
    addressLimit: config.signInAddressLimit,
  });
  auth.directoryTimeoutMs = config.directoryTimeoutMs;
  auth.codes = otp;
  users.onPasswordSet = (trx, user) => signInLinks.noticePasswordChanged(trx, user);
  auth.onPasswordChanged = async (trx, userId) => {
    const user = await trx.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirstOrThrow();
    await signInLinks.noticePasswordChanged(trx, user as UserRow);
  };
  auth.afterMailQueued = () => outbox.queued();
  const webhooks = new WebhookEndpoints(database.db, audit, now, config.webhooksAllowPrivate);
  const webhookDispatcher = new WebhookDispatcher(database.db, database.dialect, now, {
    timeoutMs: config.webhookTimeoutMs,
    allowInternal: config.webhooksAllowPrivate,
    onDisabled: (trx, endpoint) => notifyWebhookDisabled(trx, outbox, audit, endpoint),
    afterDisabled: () => outbox.queued(),
  });
  webhooks.onDue = () => webhookDispatcher.kick();
  // New users of a sync get what every new user gets (the account's default licenses).
  const directorySync = new DirectorySync(
    database,
    audit,
    teams,
    now,
    config.directoryTimeoutMs,
    grantingDefaults(licenses),
  );
  // Runs are written in a thread of their own, unless the database is one only this connection reaches.
  if (config.syncThread && !/^(sqlite:(\/\/)?)?:memory:$/.test(config.databaseUrl)) {
    directorySync.databaseUrl = config.databaseUrl;
  }
  webhooks.onChanged = (id) => webhookDispatcher.forget(id);
  return {
    config,
    database,
    clock,
    audit,
    accounts: new Accounts(database.db, database.dialect, audit, now),
    auth,
    otp,
    me,
    // A sign-in through a provider takes two requests (start and callback), and needs no guess: four times the
    // address's failed-password allowance.
    identityProviders: new IdentityProviders(database.db, audit, now),
    sso: new SingleSignOn(database.db, audit, auth, users, now, config.signInAddressLimit * 4),
    users,
    savedFilters: new SavedFilters(database.db, audit, now),
    roles,
    licenses,
    teams,
    groups: new Groups(database, teams, audit, now),
    departments,
    events: new Events(database.db),
    appSettings: new AppSettingsService(database.db, audit, now),
    apiKeys: new ApiKeys(database.db, audit, now),
    scimTokens: new ScimTokens(database.db, audit, now),
    decisions: new Decisions(database, roles, now, (accountId, userIds, resources) =>
      teams.groupFacts(accountId, userIds, resources),
    ),
    imports,
    profiles,
    outbox,
    mailSender,
    mail: new MailAdmin(database.db, outbox, audit, now, config),
    passwordPolicies: new PasswordPolicies(database.db, audit, now),
    signInLinks,
    bulk,
    webhooks,
    webhookDispatcher,
    directoryConnections: new DirectoryConnections(database.db, audit, now, config.directoryTimeoutMs),
    directorySync,
  };
}

export type AppContext = ReturnType<typeof createContext>;
