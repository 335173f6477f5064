// Password hashing (argon2id) and the password policy, which applies to temporary passwords too.
import { randomInt } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

// OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
const ARGON2 = {
  algorithm: 2 /* Algorithm.Argon2id, a const enum */,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;

export interface PasswordPolicy {
  minLength: number;
  minClasses: number;
}

export const DEFAULT_POLICY: PasswordPolicy = { minLength: 10, minClasses: 3 };

/** The reasons a password breaks the policy; empty when it is acceptable. */
export function policyProblems(password: string, username: string, policy: PasswordPolicy = DEFAULT_POLICY): string[] {
  const problems: string[] = [];
  if (password.length < policy.minLength) problems.push(`at least ${policy.minLength} characters`);
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  if (classes < policy.minClasses) {
    problems.push(`${policy.minClasses} of: lower-case, upper-case, digit, symbol`);
  }
  if (username && password.toLowerCase().includes(username.toLowerCase())) problems.push('not containing the username');
  return problems;
}

export function describeProblems(problems: string[]): string {
  return `Password must have ${problems.join('; ')}`;
}

export const hashPassword = (password: string) => hash(password, ARGON2);

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

const ALPHABETS = ['abcdefghijkmnpqrstuvwxyz', 'ABCDEFGHJKLMNPQRSTUVWXYZ', '23456789', '-_.!#%+='];

/** A random password that always satisfies the default policy (16 characters, every class). */
export function generatePassword(length = 16): string {
  const all = ALPHABETS.join('');
  const chars = ALPHABETS.map((set) => set[randomInt(set.length)] as string);
  while (chars.length < length) chars.push(all[randomInt(all.length)] as string);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j] as string, chars[i] as string];
  }
  return chars.join('');
}
