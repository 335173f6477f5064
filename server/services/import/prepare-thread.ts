// A creating import prepares its rows (checks, extensions, generated passwords) in a worker thread while this one
// writes them. SQLite's calls block the thread that makes them, so the two would otherwise take turns; PostgreSQL
// would wait for the next statement while this thread prepared (measured idle a sixth of the write).
import { Worker } from 'node:worker_threads';
import { Aborted, type PreparedBatch, type PrepareJob } from './prepare.js';

/** What the thread sends: a batch, the end, or why it stopped. */
export type ThreadMessage = { batch: PreparedBatch } | { done: true } | { aborted: string } | { error: string };

/** Batches the thread may prepare ahead of the writes (each about 2,000 rows, a megabyte or two). */
export const BATCHES_AHEAD = 4;

export async function* preparedInThread(
  staged: string,
  hasHeader: boolean,
  job: PrepareJob,
): AsyncGenerator<PreparedBatch> {
  const worker = new Worker(new URL('./prepare-worker.js', import.meta.url), {
    workerData: { staged, hasHeader, job },
    // A small young generation: the thread's garbage is short-lived, and the server's memory must stay bounded.
    resourceLimits: { maxYoungGenerationSizeMb: 8 },
  });
  const inbox: ThreadMessage[] = [];
  let wake: (() => void) | null = null;
  const deliver = (message: ThreadMessage) => {
    inbox.push(message);
    wake?.();
  };
  worker.on('message', deliver);
  worker.on('error', (error) => deliver({ error: error.message }));
  worker.on('exit', (code) => deliver({ error: `the preparing thread stopped (${code})` }));
  try {
    for (;;) {
      while (inbox.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      const message = inbox.shift() as ThreadMessage;
      if ('batch' in message) {
        worker.postMessage('more');
        yield message.batch;
      } else if ('done' in message) return;
      else if ('aborted' in message) throw new Aborted(message.aborted);
      else throw new Error(message.error);
    }
  } finally {
    worker.removeAllListeners();
    await worker.terminate();
  }
}
