// Webhook endpoints of an account and the deliveries made to them from the events outbox.
import type { Generated } from 'kysely';

export interface WebhookEndpointsTable {
  id: Generated<number>;
  account_id: number;
  url: string;
  description: Generated<string>;
  /** JSON array of the event types the endpoint receives. */
  event_types_json: string;
  enabled: Generated<number>;
  /** Why Roster turned the endpoint off (a 410, or failing for the whole retry schedule); null otherwise. */
  disabled_reason: Generated<string | null>;
  /** `whsec_` + base64 of the key; never returned but at creation and rotation. */
  secret: string;
  /** The secret before the last rotation, still signed with until `previous_secret_until`. */
  previous_secret: Generated<string | null>;
  previous_secret_until: Generated<string | null>;
  /** The last outbox event this endpoint has a delivery for (or did not want). */
  last_event_id: Generated<number>;
  failing_since: Generated<string | null>;
  created_by: number | null;
  created_at: string;
  updated_at: string;
}

export interface WebhookDeliveriesTable {
  id: Generated<number>;
  account_id: number;
  endpoint_id: number;
  /** null for a test delivery. */
  event_id: number | null;
  event_type: string;
  body: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: Generated<number>;
  next_attempt_at: string;
  claimed_until: Generated<string | null>;
  first_attempt_at: Generated<string | null>;
  last_attempt_at: Generated<string | null>;
  last_status: Generated<number | null>;
  last_error: Generated<string | null>;
  delivered_at: Generated<string | null>;
  created_at: string;
}
