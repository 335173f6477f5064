// The thread a process writes its directory syncs in (DirectorySync.executeInThread): the reading of the directory,
// the planning and every statement of each run handed to it, on a database connection of its own. It runs at a lower
// priority than the serving thread, so that on a machine with few cores the requests served meanwhile get the CPU
// first and the syncs take what they leave. It says when each run has ended; 'stop' ends its runs between two
// batches and any run handed to it afterwards at its first check, as a stopping process does (the process then
// closes it), and 'close' also closes its connection and ends the thread.
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../../db/index.js';
import { AuditLog } from '../audit.js';
import { Licenses } from '../licenses.js';
import { Teams } from '../teams.js';
import { DirectorySync, grantingDefaults, type SyncThreadData, type ThreadRun } from './sync.js';

/** The thread's nice value (0 is the serving thread's, 19 the lowest priority). */
const SYNC_NICE = 10;

const port = parentPort;
if (!port) throw new Error('this module runs in a worker thread');
const data = (workerData as { data: SyncThreadData }).data;
try {
  setPriority(SYNC_NICE);
} catch {
  // Not allowed here (some containers): the syncs run at the serving thread's priority.
}
// SQLite: the thread's writes give way to the serving connection's (see SharedSqliteDriver).
const handle = openDatabase(data.databaseUrl, {
  poolSize: 2,
  ...(data.turns ? { thread: { turns: data.turns } } : {}),
});
// SQLite: the thread copies the log into the database (checkpoints) every 10,000 pages (40 MB) instead of every 1,000:
// each copy ends with a flush of the database file to disk, and pages written again between two copies are copied once.
// Measured with bench/directory-sync.ts: a full sync of 100,000 users 71-83 s -> 59.5 s.
handle.sqlite?.pragma('wal_autocheckpoint = 10000');
// It may wait longer than a request for SQLite's writer (the serving connection's writes go first): it serves no one.
handle.sqlite?.pragma('busy_timeout = 60000');
/** The clock of the process that started the last run (a test's clock may not be the system's). */
let offsetMs = 0;
const now = () => new Date(Date.now() + offsetMs);
const audit = new AuditLog(handle, now);
const sync = new DirectorySync(
  handle,
  audit,
  new Teams(handle, audit, now),
  now,
  data.timeoutMs,
  grantingDefaults(new Licenses(handle, audit, now)),
);
port.on('message', (message: 'stop' | 'close' | ThreadRun) => {
  if (message === 'stop') {
    // For good: the process that sent it closes the thread once its runs have ended.
    sync.halt();
  } else if (message === 'close') {
    sync.halt();
    void sync.idle().finally(async () => {
      port.close();
      await handle.close();
    });
  } else {
    offsetMs = message.clockOffsetMs;
    sync.settleMinUsers = message.settleMinUsers;
    // A run that fails is recorded by `execute`; one it could not start is recorded by the process that handed it.
    void sync
      .resume(message)
      .catch(() => undefined)
      .finally(() => {
        // What is left of the log is copied here, not by the serving connection's next commit.
        try {
          handle.sqlite?.pragma('wal_checkpoint(PASSIVE)');
        } catch {
          // Left for the next checkpoint.
        }
        port.postMessage({ ended: message.runId });
      });
  }
});
