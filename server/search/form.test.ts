import { describe, expect, it } from 'vitest';
import { FOLLOWERS, searchForm } from './form.js';

describe('search form', () => {
  it('keeps exactly the characters that may follow two letters, and writes every other one after a space', () => {
    for (const char of FOLLOWERS) expect(searchForm(char), JSON.stringify(char)).toBe(char);
    expect(new Set(FOLLOWERS).size).toBe(FOLLOWERS.length);
    // Every other character of the first planes' blocks a name may hold is written after a space.
    for (let code = 0; code < 0x3000; code++) {
      const char = String.fromCodePoint(code);
      if (!FOLLOWERS.includes(char)) expect(searchForm(char), `U+${code.toString(16)}`).toBe(` ${char}`);
    }
  });
});
