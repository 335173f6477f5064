// Import work that runs in a worker thread and hands its results over a few at a time: the staging of an uploaded
// file (stage-thread.ts) and the preparing of a creating import's rows (prepare-thread.ts).
import { parentPort, type ResourceLimits, Worker, workerData } from 'node:worker_threads';

/** Messages a thread may send ahead of the ones taken (each a batch of about 2,000 rows, a megabyte or two). */
export const MESSAGES_AHEAD = 4;

/**
 * Runs `module` (a module of this folder) in a thread with `data`, and yields the messages it sends through its
 * outbox, up to and including the one `isLast` recognizes. Each message taken lets the thread send one more. Leaving
 * the loop ends the thread; a thread that fails or stops first throws.
 */
export async function* threadMessages<M>(
  module: string,
  data: unknown,
  isLast: (message: M) => boolean,
  resourceLimits?: ResourceLimits,
): AsyncGenerator<M> {
  const worker = new Worker(new URL('../thread-loader.js', import.meta.url), {
    workerData: { module: new URL(module, import.meta.url).href, data },
    resourceLimits,
  });
  const inbox: (M | { threadFailed: string })[] = [];
  let wake: (() => void) | null = null;
  const deliver = (message: M | { threadFailed: string }) => {
    inbox.push(message);
    wake?.();
  };
  worker.on('message', deliver);
  worker.on('error', (error) => deliver({ threadFailed: error.message }));
  worker.on('exit', (code) => deliver({ threadFailed: `the thread stopped (${code})` }));
  try {
    for (;;) {
      while (inbox.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      const message = inbox.shift() as M | { threadFailed: string };
      if (typeof message === 'object' && message !== null && 'threadFailed' in message) {
        throw new Error(message.threadFailed);
      }
      if (isLast(message)) {
        yield message;
        return;
      }
      worker.postMessage('more');
      yield message;
    }
  } finally {
    worker.removeAllListeners();
    await worker.terminate();
  }
}

/**
 * The thread's side: its data, a `send` that waits while MESSAGES_AHEAD messages are not yet taken, and `end` for the
 * last message (the main thread then ends the thread).
 */
export function threadOutbox<D, M>(): { data: D; send(message: M): Promise<void>; end(message: M): void } {
  const port = parentPort;
  if (!port) throw new Error('this module runs in a worker thread');
  let credit = MESSAGES_AHEAD;
  let wake: (() => void) | null = null;
  port.on('message', () => {
    credit++;
    wake?.();
  });
  return {
    data: (workerData as { data: D }).data,
    async send(message) {
      while (credit === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      credit--;
      port.postMessage(message);
    },
    end(message) {
      port.postMessage(message);
    },
  };
}
