// Password hashing (argon2id) and generated passwords. The password policy is shared/password-policy.ts.
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

// OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
const ARGON2 = {
  algorithm: 2 /* Algorithm.Argon2id, a const enum */,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;

/**
 * argon2id runs on threads of its own (argon2-worker.js), one per core, never on the event loop. Each lowers its own
 * scheduling priority: the event loop and the database take the CPU first, so the other requests of a sign-in storm
 * are answered as fast as without it, and the hashes use every core that is otherwise idle. ROSTER_ARGON2_PARALLEL
 * sets how many run at once; more wait their turn.
 */
const ARGON2_PARALLEL = Number(process.env.ROSTER_ARGON2_PARALLEL) || availableParallelism();

type Job =
  | { op: 'hash'; password: string; options: typeof ARGON2 }
  | { op: 'verify'; password: string; stored: string };

class Argon2Threads {
  private readonly idle: Worker[] = [];
  private started = 0;
  private readonly waiting: ((worker: Worker) => void)[] = [];
  private nextId = 0;

  async run<T>(job: Job): Promise<T> {
    const worker = await this.take();
    try {
      // A thread at work keeps the process alive (a command waiting for its hash); an idle one does not.
      worker.ref();
      const id = this.nextId++;
      return await new Promise<T>((resolve, reject) => {
        const onMessage = (message: { id: number; result?: T; error?: string }) => {
          if (message.id !== id) return;
          worker.off('message', onMessage);
          worker.off('error', onError);
          if (message.error !== undefined) reject(new Error(message.error));
          else resolve(message.result as T);
        };
        const onError = (error: Error) => {
          worker.off('message', onMessage);
          reject(error);
        };
        worker.on('message', onMessage);
        worker.once('error', onError);
        worker.postMessage({ id, ...job });
      });
    } finally {
      worker.unref();
      this.give(worker);
    }
  }

  private take(): Promise<Worker> {
    const ready = this.idle.pop();
    if (ready) return Promise.resolve(ready);
    if (this.started < ARGON2_PARALLEL) {
      this.started++;
      const worker = new Worker(new URL('./argon2-worker.js', import.meta.url));
      worker.unref();
      // A thread that dies (it should not) is replaced by the next one started.
      worker.once('exit', () => {
        this.started--;
        const at = this.idle.indexOf(worker);
        if (at >= 0) this.idle.splice(at, 1);
      });
      return Promise.resolve(worker);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private give(worker: Worker) {
    const next = this.waiting.shift();
    // The thread passes straight to the next in line, or waits idle.
    if (next) next(worker);
    else this.idle.push(worker);
  }
}

const threads = new Argon2Threads();

export const hashPassword = (password: string) => threads.run<string>({ op: 'hash', password, options: ARGON2 });

/** How many argon2id verifications this process has run (tests count them to see every sign-in costs one). */
export const argon2Checks = { count: 0 };

async function argon2Verify(stored: string, password: string): Promise<boolean> {
  argon2Checks.count++;
  try {
    return await threads.run<boolean>({ op: 'verify', password, stored });
  } catch {
    return false;
  }
}

let unknownHash: Promise<string> | null = null;
/** An argon2id hash of a password nobody knows: checking against it costs what checking a real one does. */
export function dummyHash(): Promise<string> {
  unknownHash ??= hashPassword(randomBytes(16).toString('hex'));
  return unknownHash;
}

/**
 * Checks a password against its stored hash, always with exactly one argon2id verification: a generated password's
 * fast hash is checked beside one against a hash nobody knows, so that the time a sign-in takes does not tell users
 * with generated passwords (imported, never signed in) from the others.
 */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  if (stored.startsWith(GENERATED_PREFIX)) {
    await argon2Verify(await dummyHash(), password);
    return verifyGeneratedPassword(stored, password);
  }
  return argon2Verify(stored, password);
}

const ALPHABETS = ['abcdefghijkmnpqrstuvwxyz', 'ABCDEFGHJKLMNPQRSTUVWXYZ', '23456789', '-_.!#%+='];

const SYMBOLS = ALPHABETS[3] as string;

/**
 * A random password of every class (which the default policy needs), from `below(n)`, a uniform draw in [0, n).
 * It never starts with a symbol: `-`, `+` or `=` first would make a spreadsheet read it as a formula, and the CSV
 * that hands it over would then neutralize it with a leading quote the user would have to leave out.
 */
function composePassword(length: number, below: (n: number) => number): string {
  const all = ALPHABETS.join('');
  const chars = ALPHABETS.map((set) => set[below(set.length)] as string);
  while (chars.length < length) chars.push(all[below(all.length)] as string);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = below(i + 1);
    [chars[i], chars[j]] = [chars[j] as string, chars[i] as string];
  }
  if (SYMBOLS.includes(chars[0] as string)) {
    const first = chars.findIndex((char) => !SYMBOLS.includes(char));
    [chars[0], chars[first]] = [chars[first] as string, chars[0] as string];
  }
  return chars.join('');
}

/** A random password of every class (16 characters by default: past the standard minimum of 15). */
export function generatePassword(length = 16): string {
  return composePassword(length, randomInt);
}

// Generated temporary passwords (imports): 16 random characters carry about 98 bits of entropy, so no attacker can
// guess one whatever the hash costs; a salted SHA-256 then protects them as well as argon2id protects a chosen
// password, at a few microseconds each instead of ~23 ms. They are temporary: the first sign-in must replace them,
// and the replacement is hashed with argon2id.
const GENERATED_PREFIX = '$roster-random-sha256$';

export function hashGeneratedPassword(password: string, salt: Buffer = randomBytes(16)): string {
  const digest = createHash('sha256').update(salt).update(password).digest();
  return `${GENERATED_PREFIX}${salt.toString('base64url')}$${digest.toString('base64url')}`;
}

function verifyGeneratedPassword(stored: string, password: string): boolean {
  const [salt, digest] = stored.slice(GENERATED_PREFIX.length).split('$');
  if (!salt || !digest) return false;
  const expected = Buffer.from(digest, 'base64url');
  const actual = createHash('sha256').update(Buffer.from(salt, 'base64url')).update(password).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Random passwords in bulk (one randomBytes call for many), each meeting the default policy. */
export class PasswordGenerator {
  private pool = Buffer.alloc(0);
  private at = 0;

  private byte(): number {
    if (this.at >= this.pool.length) {
      this.pool = randomBytes(64 * 1024);
      this.at = 0;
    }
    return this.pool[this.at++] as number;
  }

  /** Uniform in [0, n) by rejection sampling (n <= 256). */
  private below(n: number): number {
    const limit = 256 - (256 % n);
    for (;;) {
      const b = this.byte();
      if (b < limit) return b % n;
    }
  }

  /** 16 random bytes for a salt, from the same pool (one system call per 4,000 salts). */
  salt(): Buffer {
    if (this.at + 16 > this.pool.length) {
      this.pool = randomBytes(64 * 1024);
      this.at = 0;
    }
    this.at += 16;
    return this.pool.subarray(this.at - 16, this.at);
  }

  next(length = 16): string {
    return composePassword(length, (n) => this.below(n));
  }
}
