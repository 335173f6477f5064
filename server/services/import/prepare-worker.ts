// Prepares a staged file's batches in a thread (see prepare-thread.ts), a few ahead of the ones written.
import { NO_LOOKUP } from './check.js';
import { Aborted, BatchPreparer, type PrepareJob } from './prepare.js';
import type { PrepareMessage } from './prepare-thread.js';
import { stagedDataRows } from './stage.js';
import { threadOutbox } from './thread.js';

const outbox = threadOutbox<{ staged: string; hasHeader: boolean; job: PrepareJob }, PrepareMessage>();
const { staged, hasHeader, job } = outbox.data;
const preparer = new BatchPreparer(job);
try {
  for await (const batch of stagedDataRows(staged, hasHeader)) {
    await outbox.send({ batch: await preparer.prepare(batch, NO_LOOKUP) });
  }
  outbox.end({ done: true });
} catch (error) {
  outbox.end(error instanceof Aborted ? { aborted: error.message } : { error: (error as Error).message });
}
