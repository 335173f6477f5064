// A directory sync written in a thread of its own (DirectorySync.executeInThread): the reading of the directory, the
// planning and every statement of the run, on a database connection of the thread's own. The thread runs at a lower
// priority than the serving thread, so that on a machine with few cores the requests served meanwhile get the CPU
// first and the sync takes what they leave. It ends when the run has ended; a 'stop' message ends the run between
// two batches, as a stopping process does.
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../../db/index.js';
import { AuditLog } from '../audit.js';
import { Licenses } from '../licenses.js';
import { Teams } from '../teams.js';
import { DirectorySync, grantingDefaults, type SyncThreadData } from './sync.js';

/** The thread's nice value (0 is the serving thread's, 19 the lowest priority). */
const SYNC_NICE = 10;

const data = (workerData as { data: SyncThreadData }).data;
try {
  setPriority(SYNC_NICE);
} catch {
  // Not allowed here (some containers): the sync runs at the serving thread's priority.
}
const handle = openDatabase(data.databaseUrl, { poolSize: 2 });
const now = () => new Date(Date.now() + data.clockOffsetMs);
const audit = new AuditLog(handle, now);
const sync = new DirectorySync(
  handle,
  audit,
  new Teams(handle, audit, now),
  now,
  data.timeoutMs,
  grantingDefaults(new Licenses(handle, audit, now)),
);
sync.settleMinUsers = data.settleMinUsers;
parentPort?.on('message', (message) => {
  if (message === 'stop') void sync.stop();
});
try {
  await sync.resume(data);
} finally {
  parentPort?.close();
  await handle.close();
}
