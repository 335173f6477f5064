// Settings from the environment, with defaults that work on a fresh machine.
import { availableParallelism } from 'node:os';

export interface Config {
  databaseUrl: string;
  host: string;
  port: number;
  publicUrl: string | null;
  trustProxy: boolean;
  tlsCert: string | null;
  tlsKey: string | null;
  webRoot: string;
  /** Brute-force protection: this many failed password sign-ins in a row lock the user... */
  lockoutAttempts: number;
  /** ...for this many minutes (0 = until an admin unlocks them). */
  lockoutMinutes: number;
  /** Failed sign-ins one client address may make in 15 minutes, whatever users it tries, before it must wait. */
  signInAddressLimit: number;
  /** Serving processes: 1 serves from this process; more start that many workers sharing the port. */
  workers: number;
  /** The server's own mail server, for accounts that set none; null = mails stay in the outbox. */
  smtp: SmtpSettings | null;
  /** How long a mail server may stay silent before a delivery attempt fails (and is retried later). */
  smtpTimeoutMs: number;
  /** Webhook endpoints may be plain http and on loopback, private, link-local or shared addresses (trusted networks). */
  webhooksAllowPrivate: boolean;
  /** How long a webhook endpoint may take to answer before the attempt counts as failed (and is retried later). */
  webhookTimeoutMs: number;
  /** How long each step of talking to a directory (DNS, TCP, TLS, bind, a page of a search) may take. */
  directoryTimeoutMs: number;
  /** Directory syncs write in a thread of their own (see services/directory/sync-thread.ts); off: in the serving one. */
  syncThread: boolean;
  /** Check every API response against its OpenAPI description (development and tests; see http/response-contract). */
  checkResponses: boolean;
}

export type SmtpSecurity = 'starttls' | 'tls' | 'none';

export interface SmtpSettings {
  host: string;
  port: number;
  /** starttls: plain connection upgraded with STARTTLS (required); tls: TLS from the start; none: neither. */
  security: SmtpSecurity;
  user: string | null;
  password: string | null;
  from: string;
}

export const DEFAULT_SMTP_PORTS: Record<SmtpSecurity, number> = { starttls: 587, tls: 465, none: 25 };

function smtpFrom(env: NodeJS.ProcessEnv): SmtpSettings | null {
  const host = env.ROSTER_SMTP_HOST;
  if (!host) return null;
  const security = (env.ROSTER_SMTP_SECURITY || 'starttls') as SmtpSecurity;
  if (!(security in DEFAULT_SMTP_PORTS)) {
    throw new Error(`ROSTER_SMTP_SECURITY must be starttls, tls or none: ${env.ROSTER_SMTP_SECURITY}`);
  }
  const port = wholeNumber(env, 'ROSTER_SMTP_PORT', DEFAULT_SMTP_PORTS[security], 1);
  if (port > 65535) throw new Error(`ROSTER_SMTP_PORT is not a port: ${port}`);
  return {
    host,
    port,
    security,
    user: env.ROSTER_SMTP_USER || null,
    password: env.ROSTER_SMTP_PASSWORD || null,
    from: env.ROSTER_MAIL_FROM || `Roster <roster@${host}>`,
  };
}

/** Where the links in mails point: the public URL, or the address Roster listens on. */
export function publicBaseUrl(config: Config): string {
  if (config.publicUrl) return config.publicUrl.replace(/\/+$/, '');
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const scheme = config.tlsCert && config.tlsKey ? 'https' : 'http';
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${config.port}`;
}

function wholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be a whole number >= ${min}: ${raw}`);
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = Number(env.ROSTER_PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`ROSTER_PORT is not a port: ${env.ROSTER_PORT}`);
  return {
    databaseUrl: env.ROSTER_DB || './data/roster.db',
    host: env.ROSTER_HOST || '127.0.0.1',
    port,
    publicUrl: env.ROSTER_PUBLIC_URL || null,
    trustProxy: env.ROSTER_TRUST_PROXY === '1' || env.ROSTER_TRUST_PROXY === 'true',
    tlsCert: env.ROSTER_TLS_CERT || null,
    tlsKey: env.ROSTER_TLS_KEY || null,
    webRoot: env.ROSTER_WEB_ROOT || 'dist/web',
    lockoutAttempts: wholeNumber(env, 'ROSTER_LOCKOUT_ATTEMPTS', 5, 1),
    lockoutMinutes: wholeNumber(env, 'ROSTER_LOCKOUT_MINUTES', 15, 0),
    signInAddressLimit: wholeNumber(env, 'ROSTER_SIGN_IN_ADDRESS_LIMIT', 30, 1),
    workers: env.ROSTER_WORKERS === 'auto' ? availableParallelism() : wholeNumber(env, 'ROSTER_WORKERS', 1, 1),
    smtp: smtpFrom(env),
    smtpTimeoutMs: wholeNumber(env, 'ROSTER_SMTP_TIMEOUT_MS', 10_000, 100),
    webhooksAllowPrivate: env.ROSTER_WEBHOOKS_ALLOW_PRIVATE === '1' || env.ROSTER_WEBHOOKS_ALLOW_PRIVATE === 'true',
    webhookTimeoutMs: wholeNumber(env, 'ROSTER_WEBHOOK_TIMEOUT_MS', 15_000, 100),
    directoryTimeoutMs: wholeNumber(env, 'ROSTER_DIRECTORY_TIMEOUT_MS', 5_000, 100),
    syncThread: env.ROSTER_SYNC_THREAD !== '0' && env.ROSTER_SYNC_THREAD !== 'false',
    checkResponses: env.ROSTER_CHECK_RESPONSES === '1' || env.ROSTER_CHECK_RESPONSES === 'true',
  };
}
