import { describe, expect, it } from 'vitest';
import { DEFAULT_PASSWORD_POLICY, passwordProblems } from '../../shared/password-policy.js';
import { csvCell, csvLine } from '../http/csv.js';
import { type Actor, authorize, can, canOnAccount, canOnUser } from '../policy.js';
import { slugify } from '../services/accounts.js';
import { generatePassword, hashPassword, PasswordGenerator, verifyPassword } from '../services/passwords.js';
import { derivedColumns } from '../services/user-presenter.js';

const actor = (overrides: Partial<Actor> = {}): Actor => ({
  userId: 1,
  accountId: 10,
  username: 'a',
  accessType: 'admin',
  isOwner: false,
  ...overrides,
});

const policyProblems = (password: string, username: string) =>
  passwordProblems(password, { username }, { ...DEFAULT_PASSWORD_POLICY, minClasses: 4 });

describe('password policy', () => {
  it('generates passwords that satisfy it, every character class included', () => {
    for (let i = 0; i < 200; i++) expect(policyProblems(generatePassword(), 'someone')).toEqual([]);
  });

  it('generates passwords that a CSV hands over as they are (no leading formula character)', () => {
    const pooled = new PasswordGenerator();
    for (let i = 0; i < 2000; i++) {
      for (const password of [generatePassword(), pooled.next()]) {
        expect(csvCell(password)).toBe(password);
        expect(policyProblems(password, 'someone')).toEqual([]);
      }
    }
  });

  it('hashes with argon2id and verifies', async () => {
    const stored = await hashPassword('Correct-horse-1');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(stored, 'Correct-horse-1')).toBe(true);
    expect(await verifyPassword(stored, 'wrong')).toBe(false);
    expect(await verifyPassword('garbage', 'x')).toBe(false);
  });
});

describe('policy', () => {
  const user = { id: 2, accountId: 10, isOwner: false, isAdmin: false };
  it('lets admins and the owner manage users of their own account only', () => {
    expect(canOnAccount(actor(), 'users.manage', 10)).toBe(true);
    expect(canOnAccount(actor({ accessType: 'standard', isOwner: true }), 'users.manage', 10)).toBe(true);
    expect(canOnAccount(actor(), 'users.manage', 11)).toBe(false);
    for (const accessType of ['standard', 'read_only', 'identified_only', 'no_access', 'scorer']) {
      expect(canOnAccount(actor({ accessType }), 'users.manage', 10)).toBe(false);
      expect(canOnUser(actor({ accessType }), 'user.update', user)).toBe(false);
    }
    expect(canOnUser(actor(), 'user.update', { ...user, accountId: 11 })).toBe(false);
  });

  it('protects the owner and oneself', () => {
    const owner = { id: 5, accountId: 10, isOwner: true, isAdmin: false };
    expect(canOnUser(actor(), 'user.delete', owner)).toBe(false);
    expect(canOnUser(actor(), 'user.update', owner)).toBe(false);
    expect(canOnUser(actor({ userId: 5, isOwner: true }), 'user.update', owner)).toBe(true);
    expect(canOnUser(actor({ userId: 2 }), 'user.delete', user)).toBe(false);
    expect(canOnUser(actor({ userId: 2, accessType: 'standard' }), 'user.read', user)).toBe(true);
  });
});

describe('CSV cells', () => {
  it('quotes per RFC 4180 and neutralizes formulas', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('line\nbreak')).toBe('"line\nbreak"');
    for (const formula of ['=1+1', '+1+1', '-2+3', '+cmd|calc', '-A1', '+', '@SUM(A1)', '\tx', '\rx'])
      expect(csvCell(formula).replace(/^"/, ''), formula).toMatch(/^'/);
    // A signed number such as a phone is not a formula: it stays as it is.
    for (const number of ['+1', '-1', '+34 612 34 56 78', '+52 (55) 1234-5678', '-1.5']) {
      expect(csvCell(number)).toBe(number);
    }
    expect(csvCell('nul\u0000here')).toBe('nul\uFFFDhere');
    expect(csvCell('tab\there')).toBe('"tab\there"');
    expect(csvCell(new Date('2026-01-31T10:00:00Z'))).toBe('2026-01-31T10:00:00.000Z');
    expect(csvCell(null)).toBe('');
    expect(csvCell(['a', 'b'])).toBe('"a, b"');
    expect(csvLine(['a', 1, true])).toBe('a,1,true\r\n');
  });
});

describe('derived columns', () => {
  it('folds search fields one per line, each word after a space, and adds phone digits', () => {
    const row = {
      first_name: 'José',
      last_name: 'Álvarez',
      username: 'jose',
      email: 'Jose@Example.com',
      phone: '+1 (555) 0100',
      department: 'Ventas',
      nicknames: '["Pepe"]',
    };
    const derived = derivedColumns(row);
    expect(derived.search_doc).toBe(
      ' jose\n alvarez\n jose\n jose@ example. com\n + 1 ( 555)  0100\n pepe\n ventas\n 15550100\n',
    );
    expect(derived.name_key < derivedColumns({ ...row, last_name: 'Baker' }).name_key).toBe(true);
  });

  it('makes account slugs', () => {
    expect(slugify('Acme Contact Center, Inc.')).toBe('acme-contact-center-inc');
    expect(slugify('Café Ñandú')).toBe('cafe-nandu');
    expect(slugify('!!!')).toBe('account');
  });
});

describe('the policy table', () => {
  const user = { id: 2, accountId: 10, isOwner: false, isAdmin: false, department: 'Sales' };
  const owner = { id: 3, accountId: 10, isOwner: true, isAdmin: false, department: '' };

  it('denies an action no rule names, whoever asks', () => {
    expect(can(actor({ isOwner: true }), 'user.frobnicate', 'user', user)).toBe(false);
    expect(() => authorize(actor({ isOwner: true }), 'user.frobnicate', 'user', user)).toThrow('You are not allowed');
  });

  it('lets any admin in reach unlock the owner, but only the owner edit the owner', () => {
    expect(can(actor(), 'user.unlock', 'user', owner)).toBe(true);
    expect(can(actor(), 'user.update', 'user', owner)).toBe(false);
    expect(can(actor({ accessType: 'standard' }), 'user.unlock', 'user', owner)).toBe(false);
  });

  it('answers "not found" for a user out of reach and "forbidden" for one in reach', () => {
    const limited = actor({
      profile: { id: 1, name: 'P', rules: { users: { access: 'some', items: ['Support'] } } as never },
    });
    expect(() => authorize(limited, 'user.delete', 'user', user)).toThrow('User not found');
    expect(() => authorize(actor(), 'user.delete', 'user', owner)).toThrow('You are not allowed');
  });

  it('lets a non-admin ask decisions about themselves only, by id or by username', () => {
    const standard = actor({ accessType: 'standard', username: 'Ann' });
    expect(can(standard, 'decision.ask', 'question', { accountId: 10, userId: 1 })).toBe(true);
    expect(can(standard, 'decision.ask', 'question', { accountId: 10, username: 'ann' })).toBe(true);
    expect(can(standard, 'decision.ask', 'question', { accountId: 10, userId: 2 })).toBe(false);
    expect(can(standard, 'decision.ask', 'question', { accountId: 10, username: 'owner' })).toBe(false);
    expect(can({ apiKeyAccountId: 10 }, 'decision.ask', 'question', { accountId: 10, username: 'owner' })).toBe(true);
    expect(can({ apiKeyAccountId: 11 }, 'decision.ask', 'question', { accountId: 10, userId: 2 })).toBe(false);
  });

  it('refuses Scorer changes from the console only', () => {
    const change = { accountId: 10, from: 'standard', to: 'scorer' };
    expect(can(actor({ channel: 'console' }), 'accessType.set', 'accessType', change)).toBe(false);
    expect(can(actor({ channel: 'api' }), 'accessType.set', 'accessType', change)).toBe(true);
  });
});
