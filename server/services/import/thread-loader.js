// The entry of every thread of thread.ts. Threads do not share the main thread's module loader, so this one registers
// tsx's, as bin/roster.js does, before it loads the thread's TypeScript module.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);
