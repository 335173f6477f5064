// Settings from the environment, with defaults that work on a fresh machine.
export interface Config {
  databaseUrl: string;
  host: string;
  port: number;
  publicUrl: string | null;
  trustProxy: boolean;
  tlsCert: string | null;
  tlsKey: string | null;
  webRoot: string;
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
  };
}
