// When Roster turns a webhook endpoint off, the account's admins learn of it: a mail to each (through the mail
// outbox, in the same transaction) and an entry in the audit log.
import type { Db } from '../../db/index.js';
import type { AuditLog } from '../audit.js';
import type { Outbox } from '../mail/outbox.js';

export async function notifyWebhookDisabled(
  trx: Db,
  outbox: Outbox,
  audit: AuditLog,
  endpoint: { id: number; accountId: number; url: string; reason: string },
): Promise<void> {
  const account = await trx
    .selectFrom('accounts')
    .select('name')
    .where('id', '=', endpoint.accountId)
    .executeTakeFirstOrThrow();
  const admins = await trx
    .selectFrom('users')
    .select(['id', 'username', 'first_name', 'email', 'language'])
    .where('account_id', '=', endpoint.accountId)
    .where('enabled', '=', 1)
    .where('email', '!=', '')
    .where((eb) => eb.or([eb('access_type', '=', 'admin'), eb('is_owner', '=', 1)]))
    .execute();
  await outbox.queueMany(
    trx,
    admins.map((admin) => ({
      accountId: endpoint.accountId,
      userId: admin.id,
      to: admin.email,
      kind: 'webhook_disabled' as const,
      language: admin.language,
      values: { name: admin.first_name || admin.username, account: account.name },
    })),
  );
  await audit.record(trx, {
    accountId: endpoint.accountId,
    actor: null,
    action: 'webhook.disabled',
    target: { type: 'webhook', id: endpoint.id, label: endpoint.url },
    after: { enabled: false, reason: endpoint.reason },
  });
}
