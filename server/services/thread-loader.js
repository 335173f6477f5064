// The entry of every thread that runs a TypeScript module (import/thread.ts, directory/sync.ts). Threads do not share
// the main thread's module loader, so this one registers tsx's, as bin/roster.js does, before it loads the module.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);
