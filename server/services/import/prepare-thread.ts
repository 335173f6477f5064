// A creating import prepares its rows (checks, extensions, generated passwords) in a worker thread while this one
// writes them. SQLite's calls block the thread that makes them, so the two would otherwise take turns; PostgreSQL
// would wait for the next statement while this thread prepared (measured idle a sixth of the write).
import { Aborted, type PreparedBatch, type PrepareJob } from './prepare.js';
import { threadMessages } from './thread.js';

/** What the thread sends: a batch, the end, or why it stopped. */
export type PrepareMessage = { batch: PreparedBatch } | { done: true } | { aborted: string } | { error: string };

export async function* preparedInThread(
  staged: string,
  hasHeader: boolean,
  job: PrepareJob,
): AsyncGenerator<PreparedBatch> {
  const messages = threadMessages<PrepareMessage>(
    './prepare-worker.ts',
    { staged, hasHeader, job },
    (message) => !('batch' in message),
    // A small young generation: the thread's garbage is short-lived, and the server's memory must stay bounded.
    { maxYoungGenerationSizeMb: 8 },
  );
  for await (const message of messages) {
    if ('batch' in message) yield message.batch;
    else if ('done' in message) return;
    else if ('aborted' in message) throw new Aborted(message.aborted);
    else throw new Error(message.error);
  }
}
