// Standard Webhooks signatures (https://www.standardwebhooks.com): `v1,` + base64 HMAC-SHA256 of
// `<webhook-id>.<webhook-timestamp>.<body>` keyed with the secret's decoded bytes; several signatures are separated by
// spaces (the current secret's and, for a day after a rotation, the previous one's).
import { createHmac, randomBytes } from 'node:crypto';

const PREFIX = 'whsec_';

/** A new secret: `whsec_` + base64 of 32 random bytes. */
export const newSecret = () => `${PREFIX}${randomBytes(32).toString('base64')}`;

export function sign(secret: string, webhookId: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, 'base64');
  return `v1,${createHmac('sha256', key).update(`${webhookId}.${timestamp}.${body}`).digest('base64')}`;
}

/** The webhook-signature header: one signature per secret still in use. */
export const signatureHeader = (secrets: string[], webhookId: string, timestamp: number, body: string) =>
  secrets.map((secret) => sign(secret, webhookId, timestamp, body)).join(' ');
