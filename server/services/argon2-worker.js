// A thread that runs argon2id for the serving process (plain JavaScript: it starts without the TypeScript loader).
// It lowers its own scheduling priority first: on Linux the nice value is per thread, so the event loop and the
// database keep the CPU they need while a storm of sign-ins hashes passwords (the hashes take whatever is left).
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { hashSync, verifySync } from '@node-rs/argon2';

try {
  setPriority(0, 10);
} catch {
  // Not allowed here (or not Linux): the hashes run at normal priority.
}

parentPort?.on('message', ({ id, op, password, stored, options }) => {
  try {
    const result = op === 'hash' ? hashSync(password, options) : verifySync(stored, password);
    parentPort?.postMessage({ id, result });
  } catch (error) {
    parentPort?.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
