// The password policy: its settings (an account's, with defaults), and its rules, written once for the server and the
// console's password fields. Pure: no Node APIs. The breached-password list and the password history can only be
// checked on the server (server/services/password-policy.ts adds them).
//
// Defaults follow NIST SP 800-63B-4 (section 3.1.1.2, "Password Verifiers") and OWASP ASVS 5.0 chapter V6
// (Authentication, V6.2 "Password Security"): length over composition (15 characters when the password is the only
// factor, 8 with a second factor), at least 64 characters allowed and never truncated, every printable character and
// the space allowed, no composition rules, no forced rotation, and passwords checked against breached ones and
// context-specific words.
import { z } from 'zod';
import { bodyId } from './ids.js';

/** The longest password accepted (the API's schemas accept no more); NIST asks for at least 64. */
export const PASSWORD_MAX_LENGTH = 256;
/** The minimum length when the password is the only factor (NIST SP 800-63B-4, ASVS 5.0 V6.2.1). */
export const SINGLE_FACTOR_MIN_LENGTH = 15;
/** The minimum length when the user must also present a second factor. */
export const MULTI_FACTOR_MIN_LENGTH = 8;

export const CHARACTER_CLASSES = ['lower-case letter', 'upper-case letter', 'digit', 'symbol'] as const;

export const passwordPolicySchema = z
  .object({
    /** The admin's minimum length; null = the standard one (15, or 8 with a second factor). Never lowers those. */
    minLength: z
      .number({ message: 'A whole number of characters' })
      .int('A whole number of characters')
      .min(MULTI_FACTOR_MIN_LENGTH, `At least ${MULTI_FACTOR_MIN_LENGTH}`)
      .max(PASSWORD_MAX_LENGTH, `At most ${PASSWORD_MAX_LENGTH}`)
      .nullable(),
    /** How many of the four character classes a password must have (0 = no composition rule). */
    minClasses: z
      .number({ message: 'A whole number from 0 to 4' })
      .int('A whole number from 0 to 4')
      .min(0, 'From 0 to 4')
      .max(4, 'From 0 to 4'),
    /** How many of a user's last passwords may not be chosen again (0 = no history). */
    historyCount: z
      .number({ message: 'A whole number from 0 to 24' })
      .int('A whole number from 0 to 24')
      .min(0, 'From 0 to 24')
      .max(24, 'From 0 to 24'),
    /** Days after which a password must be changed at the next sign-in (0 = never). */
    maxAgeDays: z
      .number({ message: 'A whole number of days from 0 to 3650' })
      .int('A whole number of days from 0 to 3650')
      .min(0, 'From 0 (never) to 3650 days')
      .max(3650, 'From 0 (never) to 3650 days'),
  })
  .strict();

export type PasswordPolicy = z.infer<typeof passwordPolicySchema>;

/** A password checked as it is typed: one's own, another user's (userId), or a user being created (newUser). */
export const passwordCheckSchema = z
  .object({
    password: z.string().max(1024),
    userId: bodyId().optional(),
    newUser: z
      .object({
        username: z.string().max(200),
        email: z.string().max(320).nullable().optional(),
        accessType: z.string().max(40).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type PasswordCheckInput = z.infer<typeof passwordCheckSchema>;

/** The policy of an account that has set none. History: 5, as many admins expect and ASVS leaves open. */
export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = {
  minLength: null,
  minClasses: 0,
  historyCount: 5,
  maxAgeDays: 0,
};

/** An account's stored policy (JSON) with the defaults for what it leaves out or gets wrong. */
export function resolvePasswordPolicy(stored: unknown): PasswordPolicy {
  const policy = { ...DEFAULT_PASSWORD_POLICY };
  if (!stored || typeof stored !== 'object') return policy;
  for (const key of Object.keys(policy) as (keyof PasswordPolicy)[]) {
    const value = (stored as Record<string, unknown>)[key];
    const field = passwordPolicySchema.shape[key].safeParse(value);
    if (value !== undefined && field.success) (policy as Record<string, unknown>)[key] = field.data;
  }
  return policy;
}

/** Who the password is for, and where: what it may not be or contain. */
export interface PasswordContext {
  username: string;
  email?: string | null;
  /** The account's slug and name (context-specific words, with "roster"). */
  accountWords?: string[];
  /** Whether the user must also present a second factor to sign in (then 8 characters are enough). */
  secondFactor?: boolean;
}

export type PasswordRule =
  | 'minLength'
  | 'maxLength'
  | 'characters'
  | 'classes'
  | 'username'
  | 'email'
  | 'context'
  | 'repetitive'
  | 'breached'
  | 'history';

export interface PasswordProblem {
  rule: PasswordRule;
  message: string;
}

export interface PasswordRuleLine {
  rule: PasswordRule;
  /** What the rule asks, as a console's checklist shows it. */
  label: string;
  /** Checked only by the server. */
  serverOnly?: boolean;
  /** Checked only when the password is saved, never as one types (a live answer would confirm an old password). */
  atSave?: boolean;
}

/** The minimum length that applies: the standard one, or the admin's when higher. */
export function minimumLength(policy: PasswordPolicy, secondFactor = false): number {
  const standard = secondFactor ? MULTI_FACTOR_MIN_LENGTH : SINGLE_FACTOR_MIN_LENGTH;
  return Math.max(standard, policy.minLength ?? 0);
}

/** Length in Unicode code points after NFC normalisation (an emoji or an accented letter counts once). */
export function passwordLength(password: string): number {
  let count = 0;
  for (const _ of password.normalize('NFC')) count++;
  return count;
}

const CLASS_TESTS = [/\p{Ll}/u, /\p{Lu}/u, /\p{N}/u, /[^\p{L}\p{N}\s]/u];

/** The rules a password must meet for this user and policy, in the order they are checked. */
export function passwordRules(context: PasswordContext, policy: PasswordPolicy): PasswordRuleLine[] {
  const min = minimumLength(policy, context.secondFactor);
  const lines: PasswordRuleLine[] = [
    { rule: 'minLength', label: `At least ${min} characters` },
    { rule: 'maxLength', label: `At most ${PASSWORD_MAX_LENGTH} characters` },
    { rule: 'characters', label: 'Letters, digits, symbols and spaces only (no control characters)' },
  ];
  if (policy.minClasses > 0) {
    lines.push({
      rule: 'classes',
      label:
        policy.minClasses === 4
          ? 'A lower-case letter, an upper-case letter, a digit and a symbol'
          : `${policy.minClasses} of: lower-case letter, upper-case letter, digit, symbol`,
    });
  }
  lines.push({ rule: 'username', label: 'Not the username, nor containing it' });
  if (context.email) lines.push({ rule: 'email', label: 'Not the email address, nor containing it' });
  lines.push(
    { rule: 'context', label: 'Not containing the name of this service or account' },
    { rule: 'repetitive', label: 'Not a repeated or sequential string (aaaa…, 1234…)' },
    { rule: 'breached', label: 'Not a commonly used or breached password', serverOnly: true },
  );
  if (policy.historyCount > 0) {
    lines.push({
      rule: 'history',
      label:
        policy.historyCount === 1
          ? 'Not your last password (checked when you save)'
          : `Not one of your last ${policy.historyCount} passwords (checked when you save)`,
      serverOnly: true,
      atSave: true,
    });
  }
  return lines;
}

/** Words of four characters or more (shorter ones would refuse too much when contained). */
const contains = (haystack: string, word: string) => word.length >= 4 && haystack.includes(word);

/** A string made of one short unit repeated (aaaa, abcabc, passwordpassword) or a run of consecutive characters. */
export function isRepetitiveOrSequential(password: string): boolean {
  const chars = [...password.toLowerCase()];
  const n = chars.length;
  if (n < 4) return false;
  for (let unit = 1; unit <= n / 2; unit++) {
    if (n % unit !== 0 && unit > 3) continue;
    let repeats = true;
    for (let i = unit; i < n && repeats; i++) repeats = chars[i] === chars[i - unit];
    if (repeats) return true;
  }
  // Each character one after (or before) the previous one: abcdef, 987654, 1234567890123 (digits wrap round).
  const step = (a: string, b: string) => {
    const x = a.codePointAt(0) as number;
    const y = b.codePointAt(0) as number;
    if (/\d/.test(a) && /\d/.test(b))
      return (((y - x) % 10) + 10) % 10 === 1 ? 1 : (((x - y) % 10) + 10) % 10 === 1 ? -1 : 0;
    return y - x === 1 ? 1 : x - y === 1 ? -1 : 0;
  };
  const first = step(chars[0] as string, chars[1] as string);
  if (first === 0) return false;
  for (let i = 2; i < n; i++) if (step(chars[i - 1] as string, chars[i] as string) !== first) return false;
  return true;
}

/**
 * The rules this password breaks, in the order of passwordRules (the first is the one to show); empty when it meets
 * them all. The breached list and the history are the server's: see server/services/password-policy.ts.
 */
export function passwordProblems(
  password: string,
  context: PasswordContext,
  policy: PasswordPolicy,
): PasswordProblem[] {
  const problems: PasswordProblem[] = [];
  const normalised = password.normalize('NFC');
  const length = passwordLength(normalised);
  const min = minimumLength(policy, context.secondFactor);
  if (length < min) problems.push({ rule: 'minLength', message: `Use at least ${min} characters` });
  if (length > PASSWORD_MAX_LENGTH) {
    problems.push({ rule: 'maxLength', message: `Use at most ${PASSWORD_MAX_LENGTH} characters` });
  }
  if (/\p{Cc}/u.test(normalised)) {
    problems.push({ rule: 'characters', message: 'Leave out control characters (tabs, line breaks)' });
  }
  if (policy.minClasses > 0) {
    const classes = CLASS_TESTS.filter((re) => re.test(normalised)).length;
    if (classes < policy.minClasses) {
      problems.push({
        rule: 'classes',
        message: `Use ${policy.minClasses} of: lower-case letter, upper-case letter, digit, symbol`,
      });
    }
  }
  const lower = normalised.toLowerCase();
  const username = context.username.trim().toLowerCase();
  if (username && (lower === username || contains(lower, username))) {
    problems.push({ rule: 'username', message: 'Do not use the username in the password' });
  }
  const email = (context.email ?? '').trim().toLowerCase();
  if (email) {
    const local = email.split('@')[0] ?? '';
    if (lower === email || lower === local || contains(lower, email) || contains(lower, local)) {
      problems.push({ rule: 'email', message: 'Do not use the email address in the password' });
    }
  }
  const words = ['roster', ...(context.accountWords ?? [])].map((w) => w.trim().toLowerCase());
  if (words.some((word) => lower === word || contains(lower, word))) {
    problems.push({ rule: 'context', message: 'Do not use the name of this service or account in the password' });
  }
  if (isRepetitiveOrSequential(normalised)) {
    problems.push({ rule: 'repetitive', message: 'Avoid repeated or sequential characters' });
  }
  return problems;
}

/** One sentence for an error: the first rule broken, and how many more. */
export function describePasswordProblems(problems: PasswordProblem[]): string {
  const first = problems[0];
  if (!first) return '';
  return problems.length === 1 ? first.message : `${first.message} (and ${problems.length - 1} more rule(s))`;
}

/** The policy as the console and the API show it, with the standard values that apply when not raised. */
export const passwordPolicyView = (policy: PasswordPolicy) => ({
  ...policy,
  singleFactorMinLength: minimumLength(policy, false),
  secondFactorMinLength: minimumLength(policy, true),
  maxLength: PASSWORD_MAX_LENGTH,
});
