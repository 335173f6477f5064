// Webhook endpoints as the API and the console's forms accept them, and the event types an endpoint can receive.
import { z } from 'zod';
import { MAX_ID } from './ids.js';
import { USER_EVENT_TYPES } from './user-events.js';

/** The type of the event "Send a test event" delivers (not an outbox event). */
export const WEBHOOK_TEST_TYPE = 'webhook.test';

const url = z
  .string()
  .trim()
  .min(1, 'URL is required')
  .max(2000, 'Must be at most 2000 characters')
  .refine((value) => URL.canParse(value), 'A full address such as https://app.example.com/roster/webhooks');

const eventTypes = z
  .array(z.enum(USER_EVENT_TYPES, { error: `Event types are: ${USER_EVENT_TYPES.join(', ')}` }))
  .min(1, 'Choose at least one event type')
  .max(USER_EVENT_TYPES.length);

const description = z.string().trim().max(200, 'Must be at most 200 characters');

export const webhookCreateSchema = z
  .object({
    url,
    description: description.optional(),
    eventTypes,
    enabled: z.boolean().optional(),
  })
  .strict();
export type WebhookCreateInput = z.input<typeof webhookCreateSchema>;

export const webhookUpdateSchema = z
  .object({
    url: url.optional(),
    description: description.optional(),
    eventTypes: eventTypes.optional(),
    enabled: z.boolean().optional(),
  })
  .strict();
export type WebhookUpdateInput = z.input<typeof webhookUpdateSchema>;

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;

export const webhookDeliveriesQuerySchema = z.object({
  /** The id of the last delivery of the previous page (deliveries come newest first). */
  cursor: z
    .string()
    .regex(/^[1-9][0-9]{0,9}$/, 'The cursor is the nextCursor of the previous page')
    .transform(Number)
    .refine((n) => n <= MAX_ID, 'The cursor is the nextCursor of the previous page')
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
});
