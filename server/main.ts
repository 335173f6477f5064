// Starts Roster: opens and migrates the database, creates the first account on first start, serves HTTP(S) from
// this process or (ROSTER_WORKERS > 1) from that many worker processes sharing the port.
import cluster, { type Worker } from 'node:cluster';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { fileURLToPath } from 'node:url';
import { type ServerType, serve } from '@hono/node-server';
import { createApp } from './app.js';
import type { Config } from './config.js';
import { createContext } from './context.js';
import { migrateToLatest, openDatabase } from './db/index.js';
import { loadBreachedPasswords } from './services/breached-passwords.js';

export interface Running {
  url: string;
  close(): Promise<void>;
  firstAccount: { slug: string; ownerUsername: string; oneTimePassword: string } | null;
  /** The processes that serve requests: this one, or its workers. */
  servingPids(): number[];
}

/** A worker that exits this many times within a minute is not started again. */
const MAX_RESTARTS_A_MINUTE = 5;

export async function startServer(config: Config, log: (line: string) => void = console.log): Promise<Running> {
  const database = openDatabase(config.databaseUrl);
  await migrateToLatest(database);
  await database.warm();
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
  // This process delivers the outbox, whatever process queued the mail.
  await ctx.mailSender.start();
  // ...and delivers webhooks from the events outbox (other machines' processes share the work on PostgreSQL).
  await ctx.webhookDispatcher.start();
  // ...and starts the directory syncs that are due (on PostgreSQL, one run of a connection whichever process starts it).
  const stopSchedule = ctx.directorySync.startSchedule();

  let serving: { port: number; pids(): number[]; close(): Promise<void> };
  try {
    serving = config.workers > 1 ? await startWorkers(config, log) : await serveHere(config, createApp(ctx));
  } catch (error) {
    clearInterval(sweeper);
    stopSchedule();
    await ctx.mailSender.stop();
    await ctx.webhookDispatcher.stop();
    await database.close();
    throw error;
  }
  const tls = config.tlsCert && config.tlsKey;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = config.publicUrl ?? `${tls ? 'https' : 'http'}://${host}:${serving.port}`;

  log(`Roster is running: open ${url}${config.workers > 1 ? ` (${config.workers} serving processes)` : ''}`);
  if (firstAccount) {
    log('First start: created the account "Default" and its owner.');
    log(`  Sign in at ${url} with account "${firstAccount.slug}", username "${firstAccount.ownerUsername}"`);
    log(`  and the one-time password ${firstAccount.oneTimePassword}`);
    log('  (you choose your own password right after; this one is shown only now).');
  }
  return {
    url,
    firstAccount,
    servingPids: () => serving.pids(),
    close: async () => {
      clearInterval(sweeper);
      stopSchedule();
      await serving.close();
      // A sync running here ends between two batches, recorded as failed (the next run finishes the job).
      await ctx.directorySync.stop();
      await ctx.mailSender.stop();
      await ctx.webhookDispatcher.stop();
      await database.close();
    },
  };
}

/** Listens with the app on the configured address (HTTPS when a certificate is configured). */
export async function listen(config: Config, app: { fetch: (request: Request) => Response | Promise<Response> }) {
  const tls = config.tlsCert && config.tlsKey;
  const server: ServerType = await new Promise((ready, fail) => {
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
    s.once('error', fail);
  });
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : config.port };
}

async function serveHere(config: Config, app: ReturnType<typeof createApp>) {
  // The breached-password list, read before listening so that no request waits for it.
  loadBreachedPasswords();
  const { server, port } = await listen(config, app);
  return {
    port,
    pids: () => [process.pid],
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

type WorkerMessage = { type: 'listening'; port: number } | { type: 'failed'; message: string };

/**
 * Starts `config.workers` processes that each open the database and serve on the same port (the operating system
 * and Node's cluster module spread connections over them). This process keeps the database's upkeep: migrations,
 * the first account and the import sweep happened before. A worker that dies is replaced.
 */
async function startWorkers(config: Config, log: (line: string) => void) {
  cluster.setupPrimary({
    exec: fileURLToPath(new URL('../bin/roster-worker.js', import.meta.url)),
    args: [],
    execArgv: [],
  });
  const env = { ROSTER_WORKER_CONFIG: JSON.stringify(config) };
  const workers = new Set<Worker>();
  const serving = new Set<Worker>();
  const exits: number[] = [];
  let closing = false;
  let port = config.port;

  const start = () =>
    new Promise<Worker>((ready, fail) => {
      const worker = cluster.fork(env);
      workers.add(worker);
      const onMessage = (message: WorkerMessage) => {
        if (message?.type === 'listening') {
          port = message.port;
          serving.add(worker);
          worker.off('exit', onEarlyExit);
          ready(worker);
        } else if (message?.type === 'failed') fail(new Error(message.message));
      };
      const onEarlyExit = (code: number | null) => fail(new Error(`a serving process exited while starting (${code})`));
      worker.on('message', onMessage);
      worker.once('exit', onEarlyExit);
      worker.once('exit', (code, signal) => {
        workers.delete(worker);
        serving.delete(worker);
        if (closing) return;
        const now = Date.now();
        exits.push(now);
        while (exits.length > 0 && (exits[0] as number) < now - 60_000) exits.shift();
        if (exits.length > MAX_RESTARTS_A_MINUTE) {
          log(
            `[roster] serving process ${worker.process.pid} exited (${signal ?? code}); too many exits, not restarting`,
          );
          return;
        }
        log(`[roster] serving process ${worker.process.pid} exited (${signal ?? code}); starting another`);
        start().catch((error: Error) => log(`[roster] could not start a serving process: ${error.message}`));
      });
    });

  const stopAll = async () => {
    closing = true;
    await Promise.all(
      [...workers].map(
        (worker) =>
          new Promise<void>((done) => {
            if (worker.isDead()) return done();
            const kill = setTimeout(() => worker.process.kill('SIGKILL'), 10_000);
            worker.once('exit', () => {
              clearTimeout(kill);
              done();
            });
            // One still starting has no handler for the message yet.
            if (serving.has(worker)) worker.send('stop');
            else worker.process.kill('SIGTERM');
          }),
      ),
    );
  };

  try {
    // The first worker binds the port (a random one when the port is 0); the others share it.
    await start();
    await Promise.all(Array.from({ length: config.workers - 1 }, start));
  } catch (error) {
    await stopAll();
    throw error;
  }
  return {
    port,
    pids: () => [...serving].map((worker) => worker.process.pid as number),
    close: stopAll,
  };
}
