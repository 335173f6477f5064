// One serving process of several (ROSTER_WORKERS): the primary process has migrated the database and created the
// first account; this one opens the database and serves until the primary tells it to stop or goes away.
import { createApp } from './app.js';
import type { Config } from './config.js';
import { createContext } from './context.js';
import { openDatabase } from './db/index.js';
import { listen } from './main.js';
import { loadBreachedPasswords } from './services/breached-passwords.js';

const config = JSON.parse(process.env.ROSTER_WORKER_CONFIG ?? 'null') as Config | null;
if (!config || !process.send) throw new Error('a serving process is started by `roster serve` with ROSTER_WORKERS');

const database = openDatabase(config.databaseUrl);
try {
  await database.warm();
  loadBreachedPasswords();
  const { server, port } = await listen(config, createApp(createContext(config, database)));
  const stop = () =>
    server.close(() => {
      database.close().finally(() => process.exit(0));
    });
  process.on('message', (message) => {
    if (message === 'stop') stop();
  });
  // Without its primary the worker has nobody to answer to.
  process.once('disconnect', stop);
  process.send({ type: 'listening', port });
} catch (error) {
  process.send({ type: 'failed', message: (error as Error).message });
  await database.close();
  process.exit(1);
}
