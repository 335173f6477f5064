import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PASSWORD_POLICY,
  isRepetitiveOrSequential,
  minimumLength,
  passwordLength,
  passwordPolicySchema,
  passwordProblems,
  passwordRules,
  resolvePasswordPolicy,
} from './password-policy.js';

const rules = (password: string, context = {}, policy = {}) =>
  passwordProblems(
    password,
    { username: 'jdoe', email: 'jane.doe@example.com', ...context },
    {
      ...DEFAULT_PASSWORD_POLICY,
      ...policy,
    },
  ).map((p) => p.rule);

describe('password policy rules', () => {
  it('asks for 15 characters alone, 8 with a second factor, more when the admin says so', () => {
    expect(rules('Tall-tree-2026')).toEqual(['minLength']);
    expect(rules('Tall-trees-2026')).toEqual([]);
    expect(rules('Kq7#vBn2', { secondFactor: true })).toEqual([]);
    expect(rules('Kq7#vB2', { secondFactor: true })).toEqual(['minLength']);
    expect(minimumLength({ ...DEFAULT_PASSWORD_POLICY, minLength: 20 }, true)).toBe(20);
    expect(minimumLength({ ...DEFAULT_PASSWORD_POLICY, minLength: 10 }, false)).toBe(15);
    expect(rules('Tall-trees-2026', {}, { minLength: 16 })).toEqual(['minLength']);
  });

  it('counts Unicode code points after NFC normalisation, not UTF-16 units', () => {
    // 14 emoji are 28 UTF-16 units but 14 characters.
    const emoji = '🦊🐙🦉🐢🦋🐝🐬🦜🐧🦔🐿🦩🐌🦀';
    expect(emoji.length).toBe(28);
    expect(passwordLength(emoji)).toBe(14);
    expect(rules(emoji)).toEqual(['minLength']);
    expect(rules(`${emoji}🐳`)).toEqual([]);
    // "é" as e + combining accent is one character once normalised.
    const decomposed = 'cafe\u0301 au lait noir';
    expect(decomposed.length).toBe(18);
    expect(passwordLength(decomposed)).toBe(17);
    expect(rules('crème brûlée 2x')).toEqual([]);
  });

  it('allows spaces and every printable character, up to 256, without truncating', () => {
    expect(rules('correct horse battery staple')).toEqual([]);
    expect(rules('Пароль для входа 2026')).toEqual([]);
    expect(rules(`${'Abc-123 xyZ!'.repeat(21)}Qw9`)).toEqual([]);
    expect(rules(`${'x'.repeat(250)}Abc-1234`)).toEqual(['maxLength']);
    expect(rules('tab\there and there')).toEqual(['characters']);
  });

  it('adds composition rules only when the admin asks for them', () => {
    expect(rules('all lower case words')).toEqual([]);
    expect(rules('all lower case words', {}, { minClasses: 2 })).toEqual(['classes']);
    expect(rules('all lower case words 2', {}, { minClasses: 2 })).toEqual([]);
    expect(rules('All lower case words 2', {}, { minClasses: 4 })).toEqual(['classes']);
    expect(rules('All lower case words 2!', {}, { minClasses: 4 })).toEqual([]);
  });

  it('refuses the username, the email and its local part, in any case, alone or contained', () => {
    expect(rules('JDOE', { username: 'jdoe' })).toContain('username');
    expect(rules('my-name-is-JDOE-really', { username: 'jdoe' })).toEqual(['username']);
    // A username under 4 characters is refused only as the whole password.
    expect(rules('the cat ate the bob', { username: 'bob' })).toEqual([]);
    expect(rules('JANE.DOE@EXAMPLE.COM')).toEqual(['email']);
    expect(rules('hello jane.doe friends')).toEqual(['email']);
    expect(rules('no email here at all', { email: null })).toEqual([]);
  });

  it('refuses context words, repeated and sequential strings', () => {
    expect(rules('my Roster password!')).toEqual(['context']);
    expect(rules('welcome to acme-corp 1', { accountWords: ['acme-corp', 'Acme Corporation'] })).toEqual(['context']);
    for (const s of ['aaaaaaaaaaaaaaa', '123456789012345', 'abcdefghijklmnop', '987654321098765', 'abcabcabcabcabc']) {
      expect(isRepetitiveOrSequential(s)).toBe(true);
      expect(rules(s)).toEqual(['repetitive']);
    }
    expect(isRepetitiveOrSequential('Tall-trees-2026')).toBe(false);
  });

  it('lists the rules a checklist shows, the server-only ones marked', () => {
    const lines = passwordRules({ username: 'a', email: 'a@b.c' }, { ...DEFAULT_PASSWORD_POLICY, minClasses: 3 });
    expect(lines.map((l) => l.rule)).toEqual([
      'minLength',
      'maxLength',
      'characters',
      'classes',
      'username',
      'email',
      'context',
      'repetitive',
      'breached',
      'history',
    ]);
    expect(lines.filter((l) => l.serverOnly).map((l) => l.rule)).toEqual(['breached', 'history']);
    expect(lines[0]?.label).toBe('At least 15 characters');
  });

  it('reads a stored policy with defaults for what is missing or wrong', () => {
    expect(resolvePasswordPolicy({})).toEqual(DEFAULT_PASSWORD_POLICY);
    expect(resolvePasswordPolicy({ minClasses: 3, historyCount: 99, maxAgeDays: 'x' })).toEqual({
      ...DEFAULT_PASSWORD_POLICY,
      minClasses: 3,
    });
    expect(
      passwordPolicySchema.safeParse({ minLength: 7, minClasses: 0, historyCount: 0, maxAgeDays: 0 }).success,
    ).toBe(false);
  });
});
