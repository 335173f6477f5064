// Prepares a staged file's batches (see prepare-thread.ts), at most BATCHES_AHEAD ahead of the ones written.
import { parentPort, workerData } from 'node:worker_threads';
import { NO_LOOKUP } from './check.js';
import { Aborted, BatchPreparer, type PrepareJob } from './prepare.js';
import { BATCHES_AHEAD, type ThreadMessage } from './prepare-thread.js';
import { stagedDataRows } from './stage.js';

const { staged, hasHeader, job } = workerData as { staged: string; hasHeader: boolean; job: PrepareJob };
const port = parentPort;
if (!port) throw new Error('prepare-worker-main runs in a worker thread');
const send = (message: ThreadMessage) => port.postMessage(message);

let credit = BATCHES_AHEAD;
let wake: (() => void) | null = null;
port.on('message', () => {
  credit++;
  wake?.();
});

const preparer = new BatchPreparer(job);
try {
  for await (const batch of stagedDataRows(staged, hasHeader)) {
    while (credit === 0) await new Promise<void>((resolve) => (wake = resolve));
    wake = null;
    credit--;
    send({ batch: await preparer.prepare(batch, NO_LOOKUP) });
  }
  send({ done: true });
} catch (error) {
  send(error instanceof Aborted ? { aborted: error.message } : { error: (error as Error).message });
}
