// Starts Roster: opens and migrates the database, creates the first account on first start, serves HTTP(S).
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { type ServerType, serve } from '@hono/node-server';
import { createApp } from './app.js';
import type { Config } from './config.js';
import { createContext } from './context.js';
import { migrateToLatest, openDatabase } from './db/index.js';

export interface Running {
  url: string;
  close(): Promise<void>;
  firstAccount: { slug: string; ownerUsername: string; oneTimePassword: string } | null;
}

export async function startServer(config: Config, log: (line: string) => void = console.log): Promise<Running> {
  const database = openDatabase(config.databaseUrl);
  await migrateToLatest(database);
  const ctx = createContext(config, database);

  let firstAccount: Running['firstAccount'] = null;
  if ((await ctx.accounts.count()) === 0) {
    const created = await ctx.accounts.create({ name: 'Default', slug: 'default', owner: { username: 'owner' } });
    firstAccount = {
      slug: created.account.slug,
      ownerUsername: created.owner.username,
      oneTimePassword: created.oneTimePassword,
    };
  }

  // Old import staging folders go at start and then every hour.
  const sweep = () =>
    ctx.imports.sweep().catch((error: Error) => console.error(`[roster] import folder sweep failed: ${error.message}`));
  await sweep();
  const sweeper = setInterval(sweep, 60 * 60 * 1000);
  sweeper.unref();

  const app = createApp(ctx);
  const tls = config.tlsCert && config.tlsKey;
  const server: ServerType = await new Promise((ready) => {
    const s = serve(
      {
        fetch: app.fetch,
        hostname: config.host,
        port: config.port,
        ...(tls
          ? {
              createServer: createHttpsServer,
              serverOptions: {
                cert: readFileSync(config.tlsCert as string),
                key: readFileSync(config.tlsKey as string),
              },
            }
          : {}),
      },
      () => ready(s),
    );
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = config.publicUrl ?? `${tls ? 'https' : 'http'}://${host}:${port}`;

  log(`Roster is running: open ${url}`);
  if (firstAccount) {
    log('First start: created the account "Default" and its owner.');
    log(`  Sign in at ${url} with account "${firstAccount.slug}", username "${firstAccount.ownerUsername}"`);
    log(`  and the one-time password ${firstAccount.oneTimePassword}`);
    log('  (you choose your own password right after; this one is shown only now).');
  }
  return {
    url,
    firstAccount,
    close: async () => {
      clearInterval(sweeper);
      await new Promise<void>((done) => server.close(() => done()));
      await database.close();
    },
  };
}
