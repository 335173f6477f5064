// The breached-password list as bytes in a hash table: the same answers whether it was read by a first check or
// before a serving process listens.
import { beforeEach, describe, expect, it, vi } from 'vitest';

type Module = typeof import('../services/breached-passwords.js');

const CASES: [password: string, listed: boolean][] = [
  ['password', true],
  ['PassWord', true], // compared in lower case
  ['  12345678 ', true], // and without the spaces around it
  ['jule2012', true],
  ['qwertzuiopÃ¼', true], // a line with other letters than ASCII
  ['QWERTZUIOPÃ¼', true],
  ['1234567', false], // shorter than any minimum
  ['Correct-Horse-Battery-9', false],
  ['zq8#Lm2!vv', false],
];

describe('breached passwords', () => {
  beforeEach(() => vi.resetModules());

  it('answers from a list read at once by the first check', async () => {
    const list: Module = await import('../services/breached-passwords.js');
    for (const [password, listed] of CASES) expect(list.isBreachedPassword(password), password).toBe(listed);
  });

  it('answers the same from a list read before serving', async () => {
    const list: Module = await import('../services/breached-passwords.js');
    list.loadBreachedPasswords();
    for (const [password, listed] of CASES) expect(list.isBreachedPassword(password), password).toBe(listed);
  });
});
