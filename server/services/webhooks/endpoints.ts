// Webhook endpoints of an account, managed by its admins: subscribe a URL to event types, rotate its signing
// secret, read its deliveries, resend one, send a test. Every change is in the audit log; the secret is returned
// on creation and rotation only.

import type { UserEventType } from '../../../shared/user-events.js';
import {
  WEBHOOK_TEST_TYPE,
  type WebhookCreateInput,
  type WebhookUpdateInput,
} from '../../../shared/webhook-schemas.js';
import type { Db } from '../../db/index.js';
import { conflict, forbidden, notFound, validationFailed } from '../../errors.js';
import { type Actor, authorize } from '../../policy.js';
import type { AuditLog } from '../audit.js';
import type { RequestMeta } from '../users.js';
import { urlRefusal } from './addresses.js';
import { newSecret } from './signing.js';

/** How long deliveries are also signed with the previous secret after a rotation. */
export const PREVIOUS_SECRET_MS = 24 * 60 * 60 * 1000;

type EndpointRow = {
  id: number;
  url: string;
  description: string;
  event_types_json: string;
  enabled: number;
  disabled_reason: string | null;
  secret: string;
  previous_secret_until: string | null;
  created_at: string;
  updated_at: string;
};

type DeliveryRow = {
  id: number;
  event_id: number | null;
  event_type: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: string;
  last_attempt_at: string | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: string | null;
  created_at: string;
};

const ENDPOINT_COLUMNS = [
  'id',
  'url',
  'description',
  'event_types_json',
  'enabled',
  'disabled_reason',
  'secret',
  'previous_secret_until',
  'created_at',
  'updated_at',
] as const;

export function presentEndpoint(row: EndpointRow, now: Date) {
  const previousUntil =
    row.previous_secret_until && new Date(row.previous_secret_until) > now ? row.previous_secret_until : null;
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    eventTypes: JSON.parse(row.event_types_json) as UserEventType[],
    enabled: row.enabled === 1,
    disabledReason: row.enabled === 1 ? null : row.disabled_reason,
    secretHint: `whsec_…${row.secret.slice(-4)}`,
    previousSecretUntil: previousUntil,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export const webhookId = (deliveryId: number) => `msg_${deliveryId}`;

function presentDelivery(row: DeliveryRow) {
  return {
    id: row.id,
    webhookId: webhookId(row.id),
    eventId: row.event_id,
    eventType: row.event_type,
    status: row.status,
    attempts: row.attempts,
    lastStatus: row.last_status,
    lastError: row.last_error,
    nextAttemptAt: row.status === 'pending' ? row.next_attempt_at : null,
    lastAttemptAt: row.last_attempt_at,
    deliveredAt: row.delivered_at,
    createdAt: row.created_at,
  };
}

/** The request body of a delivery: `{type, timestamp, data: {eventId, userId, sequence, ...payload}}`. */
export function deliveryBody(
  type: string,
  timestamp: string,
  data: { eventId: number | null; userId: number | null; sequence: number | null } & Record<string, unknown>,
): string {
  return JSON.stringify({ type, timestamp, data });
}

export class WebhookEndpoints {
  /** Called after a commit that made a delivery due, so this process's dispatcher starts at once. */
  onDue: () => void = () => {};
  /** Called after a commit that changed or deleted an endpoint (this process's dispatcher forgets its copy). */
  onChanged: (id: number) => void = () => {};

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly now: () => Date,
    /** Whether endpoints may be plain http or on internal addresses (the operator's setting). */
    private readonly allowInternal: boolean,
  ) {}

  private assertCanManage(actor: Actor) {
    authorize(actor, 'webhooks.manage', 'account', { accountId: actor.accountId }, () =>
      forbidden('Only admins who manage every user manage webhooks'),
    );
  }

  private checkUrl(url: string) {
    const refusal = urlRefusal(url, this.allowInternal);
    if (refusal) throw validationFailed([{ path: 'url', message: refusal }]);
  }

  private async find(trx: Db, actor: Actor, id: number): Promise<EndpointRow> {
    const row = await trx
      .selectFrom('webhook_endpoints')
      .select(ENDPOINT_COLUMNS)
      .where('account_id', '=', actor.accountId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw notFound('Webhook endpoint');
    return row;
  }

  async list(actor: Actor) {
    this.assertCanManage(actor);
    const rows = await this.db
      .selectFrom('webhook_endpoints')
      .select(ENDPOINT_COLUMNS)
      .where('account_id', '=', actor.accountId)
      .orderBy('id')
      .execute();
    const now = this.now();
    return rows.map((row) => presentEndpoint(row, now));
  }

  async get(actor: Actor, id: number) {
    this.assertCanManage(actor);
    return presentEndpoint(await this.find(this.db, actor, id), this.now());
  }

  /** Subscribes a URL; it receives the events written from now on. The returned `secret` is shown only here. */
  async create(actor: Actor, input: WebhookCreateInput, meta: RequestMeta = {}) {
    this.assertCanManage(actor);
    this.checkUrl(input.url);
    const at = this.now().toISOString();
    const secret = newSecret();
    const types = [...new Set(input.eventTypes)];
    const row = await this.db.transaction().execute(async (trx) => {
      const last = await trx
        .selectFrom('events')
        .select((eb) => eb.fn.max('id').as('id'))
        .where('account_id', '=', actor.accountId)
        .executeTakeFirst();
      const created = await trx
        .insertInto('webhook_endpoints')
        .values({
          account_id: actor.accountId,
          url: input.url,
          description: input.description ?? '',
          event_types_json: JSON.stringify(types),
          enabled: input.enabled === false ? 0 : 1,
          secret,
          last_event_id: Number(last?.id ?? 0),
          created_by: actor.userId,
          created_at: at,
          updated_at: at,
        })
        .returning(ENDPOINT_COLUMNS)
        .executeTakeFirstOrThrow();
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'webhook.create',
        target: { type: 'webhook', id: created.id, label: created.url },
        after: {
          url: created.url,
          description: created.description,
          eventTypes: types,
          enabled: created.enabled === 1,
        },
        ip: meta.ip,
      });
      return created;
    });
    return { ...presentEndpoint(row, this.now()), secret };
  }

  async update(actor: Actor, id: number, input: WebhookUpdateInput, meta: RequestMeta = {}) {
    this.assertCanManage(actor);
    if (input.url !== undefined) this.checkUrl(input.url);
    const row = await this.db.transaction().execute(async (trx) => {
      const before = await this.find(trx, actor, id);
      const enabling = input.enabled === true && before.enabled !== 1;
      const updated = await trx
        .updateTable('webhook_endpoints')
        .set({
          ...(input.url !== undefined ? { url: input.url } : {}),
          ...(input.description !== undefined ? { description: input.description } : {}),
          ...(input.eventTypes !== undefined
            ? { event_types_json: JSON.stringify([...new Set(input.eventTypes)]) }
            : {}),
          ...(input.enabled !== undefined ? { enabled: input.enabled ? 1 : 0 } : {}),
          // Enabled again: the failures that turned it off are behind it; its waiting deliveries go out.
          ...(enabling ? { disabled_reason: null, failing_since: null } : {}),
          ...(input.enabled === false ? { disabled_reason: null } : {}),
          updated_at: this.now().toISOString(),
        })
        .where('id', '=', id)
        .returning(ENDPOINT_COLUMNS)
        .executeTakeFirstOrThrow();
      const describe = (r: EndpointRow) => ({
        url: r.url,
        description: r.description,
        eventTypes: JSON.parse(r.event_types_json),
        enabled: r.enabled === 1,
      });
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'webhook.update',
        target: { type: 'webhook', id, label: updated.url },
        before: describe(before),
        after: describe(updated),
        ip: meta.ip,
      });
      if (enabling) {
        await trx
          .updateTable('webhook_deliveries')
          .set({ next_attempt_at: this.now().toISOString() })
          .where('endpoint_id', '=', id)
          .where('status', '=', 'pending')
          .execute();
      }
      return updated;
    });
    this.onChanged(id);
    if (row.enabled === 1) this.onDue();
    return presentEndpoint(row, this.now());
  }

  async remove(actor: Actor, id: number, meta: RequestMeta = {}) {
    this.assertCanManage(actor);
    await this.db.transaction().execute(async (trx) => {
      const before = await this.find(trx, actor, id);
      await trx.deleteFrom('webhook_endpoints').where('id', '=', id).execute();
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'webhook.delete',
        target: { type: 'webhook', id, label: before.url },
        before: { url: before.url, description: before.description, eventTypes: JSON.parse(before.event_types_json) },
        ip: meta.ip,
      });
    });
    this.onChanged(id);
  }

  /** A new secret; the previous one still signs deliveries (as a second signature) for 24 hours. */
  async rotateSecret(actor: Actor, id: number, meta: RequestMeta = {}) {
    this.assertCanManage(actor);
    const secret = newSecret();
    const now = this.now();
    const row = await this.db.transaction().execute(async (trx) => {
      const before = await this.find(trx, actor, id);
      const updated = await trx
        .updateTable('webhook_endpoints')
        .set({
          secret,
          previous_secret: before.secret,
          previous_secret_until: new Date(now.getTime() + PREVIOUS_SECRET_MS).toISOString(),
          updated_at: now.toISOString(),
        })
        .where('id', '=', id)
        .returning(ENDPOINT_COLUMNS)
        .executeTakeFirstOrThrow();
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'webhook.rotate_secret',
        target: { type: 'webhook', id, label: before.url },
        ip: meta.ip,
      });
      return updated;
    });
    this.onChanged(id);
    return { ...presentEndpoint(row, now), secret };
  }

  /** The endpoint's deliveries, newest first, a page at a time. */
  async deliveries(actor: Actor, id: number, query: { cursor?: number; limit?: number }) {
    this.assertCanManage(actor);
    await this.find(this.db, actor, id);
    const limit = query.limit ?? 50;
    let q = this.db
      .selectFrom('webhook_deliveries')
      .select([
        'id',
        'event_id',
        'event_type',
        'status',
        'attempts',
        'next_attempt_at',
        'last_attempt_at',
        'last_status',
        'last_error',
        'delivered_at',
        'created_at',
      ])
      .where('endpoint_id', '=', id)
      .orderBy('id', 'desc')
      .limit(limit + 1);
    if (query.cursor) q = q.where('id', '<', query.cursor);
    const rows = await q.execute();
    const items = rows.slice(0, limit).map(presentDelivery);
    return { items, nextCursor: rows.length > limit ? String(items[items.length - 1]?.id) : null };
  }

  private assertEnabled(endpoint: EndpointRow) {
    if (endpoint.enabled !== 1) throw conflict('WebhookDisabled', 'The endpoint is disabled; enable it first');
  }

  /** Sends a delivery again, now, with a fresh retry schedule (same webhook-id, so receivers can tell). */
  async resend(actor: Actor, id: number, deliveryId: number, meta: RequestMeta = {}) {
    this.assertCanManage(actor);
    const row = await this.db.transaction().execute(async (trx) => {
      const endpoint = await this.find(trx, actor, id);
      this.assertEnabled(endpoint);
      const delivery = await trx
        .updateTable('webhook_deliveries')
        .set({
          status: 'pending',
          attempts: 0,
          first_attempt_at: null,
          next_attempt_at: this.now().toISOString(),
          claimed_until: null,
        })
        .where('endpoint_id', '=', id)
        .where('id', '=', deliveryId)
        .returningAll()
        .executeTakeFirst();
      if (!delivery) throw notFound('Delivery');
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'webhook.resend',
        target: { type: 'webhook', id, label: endpoint.url },
        after: { delivery: webhookId(deliveryId), eventType: delivery.event_type },
        ip: meta.ip,
      });
      return delivery;
    });
    this.onDue();
    return presentDelivery(row);
  }

  /** Queues a `webhook.test` delivery to the endpoint, whatever types it is subscribed to. */
  async sendTest(actor: Actor, id: number, meta: RequestMeta = {}) {
    this.assertCanManage(actor);
    const at = this.now().toISOString();
    const row = await this.db.transaction().execute(async (trx) => {
      const endpoint = await this.find(trx, actor, id);
      this.assertEnabled(endpoint);
      const body = deliveryBody(WEBHOOK_TEST_TYPE, at, {
        eventId: null,
        userId: null,
        sequence: null,
        message: 'A test delivery from Roster',
      });
      const delivery = await trx
        .insertInto('webhook_deliveries')
        .values({
          account_id: actor.accountId,
          endpoint_id: id,
          event_id: null,
          event_type: WEBHOOK_TEST_TYPE,
          body,
          status: 'pending',
          next_attempt_at: at,
          created_at: at,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'webhook.test',
        target: { type: 'webhook', id, label: endpoint.url },
        after: { delivery: webhookId(delivery.id) },
        ip: meta.ip,
      });
      return delivery;
    });
    this.onDue();
    return presentDelivery(row);
  }
}
