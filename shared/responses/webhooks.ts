// Response schemas of webhooks: endpoints (the secret only on creation and rotation) and their deliveries.
import { z } from 'zod';
import { USER_EVENT_TYPES } from '../user-events.js';
import { WEBHOOK_DELIVERY_STATUSES } from '../webhook-schemas.js';

const id = z.number().int();

export const WebhookEndpointSchema = z
  .object({
    id,
    url: z.string(),
    description: z.string(),
    eventTypes: z.array(z.enum(USER_EVENT_TYPES)),
    enabled: z.boolean(),
    disabledReason: z.string().nullable().describe('Why Roster turned the endpoint off (410, or failing for days)'),
    secretHint: z.string().describe('The start of the secret, to tell secrets apart; never the secret'),
    previousSecretUntil: z
      .string()
      .nullable()
      .describe('After a rotation, until when deliveries are also signed with the previous secret'),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'WebhookEndpoint' });
export type WebhookEndpoint = z.output<typeof WebhookEndpointSchema>;

export const WebhookEndpointListSchema = z.object({ items: z.array(WebhookEndpointSchema) });

export const WebhookEndpointWithSecretSchema = WebhookEndpointSchema.extend({
  secret: z.string().describe('whsec_ + base64 of the signing key: shown only in this response, never again'),
}).meta({ id: 'WebhookEndpointWithSecret' });
export type WebhookEndpointWithSecret = z.output<typeof WebhookEndpointWithSecretSchema>;

export const WebhookDeliverySchema = z
  .object({
    id,
    webhookId: z.string().describe('The webhook-id header: the same on every attempt'),
    eventId: id.nullable(),
    eventType: z.string(),
    status: z.enum(WEBHOOK_DELIVERY_STATUSES),
    attempts: z.number().int(),
    lastStatus: z.number().int().nullable().describe('The HTTP status of the last attempt (null: no answer)'),
    lastError: z.string().nullable(),
    nextAttemptAt: z.string().nullable(),
    lastAttemptAt: z.string().nullable(),
    deliveredAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'WebhookDelivery' });
export type WebhookDelivery = z.output<typeof WebhookDeliverySchema>;

export const WebhookDeliveryPageSchema = z.object({
  items: z.array(WebhookDeliverySchema),
  nextCursor: z.string().nullable(),
});
