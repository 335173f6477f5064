// Copies the write-ahead log into the database file (a checkpoint) in a thread of its own, so that the serving
// thread does not stop for it after a large write (an import of half a million users leaves about 500 MB of log).
import { workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const db = new Database(workerData.file, { fileMustExist: true });
try {
  db.pragma('busy_timeout = 10000');
  db.pragma('wal_checkpoint(PASSIVE)');
} finally {
  db.close();
}
