import { describe, expect, it } from 'vitest';
import { matchRanges, UNSPACED_LETTER } from '../../shared/search-text.js';
import { searchForm, termForm, trigramReadable } from './form.js';

describe('search form', () => {
  it('keeps letters, digits and spaces, writes a space after every other character, and before unspaced letters', () => {
    for (let code = 0; code < 0x3100; code++) {
      const char = String.fromCodePoint(code);
      const expected = UNSPACED_LETTER.test(char) ? ` ${char}` : /[\p{L}\p{N} ]/u.test(char) ? char : `${char} `;
      expect(searchForm(char), `U+${code.toString(16)}`).toBe(expected);
    }
    expect(searchForm('o.brien@north-wind.com')).toBe('o. brien@ north- wind. com');
    expect(searchForm('иванов 小明 𠀋x สม')).toBe('иванов  小 明  𠀋x  ส ม');
    // The punctuation of those scripts is a separator like any other: a word starts after it.
    expect(searchForm('๏john。ann')).toBe('๏ john。 ann');
  });

  it('keeps substrings: a term occurs in a text exactly where its form occurs in the text’s form', () => {
    const text = 'a.river@x-y.com (212) 555-0199, o’neil 王小明 ab小c';
    const forms = ` ${searchForm(text)}\n`;
    for (let start = 0; start < text.length; start++) {
      for (let end = start + 1; end <= text.length; end++) {
        const term = text.slice(start, end);
        if (/\s/.test(term)) continue;
        expect(forms.includes(searchForm(term)), JSON.stringify(term)).toBe(true);
      }
    }
    for (const absent of ['a.r.', 'x.y', '-0199,x', 'river@y', ')555', '王明', 'b小x', 'l王', '小c.']) {
      expect(text.includes(absent), absent).toBe(false);
      expect(forms.includes(searchForm(absent)), absent).toBe(false);
    }
  });

  it('looks for two letters or digits at the start of a word, and any other term anywhere', () => {
    expect(termForm('jo')).toBe(' jo');
    expect(termForm('ив')).toBe(' ив');
    expect(termForm('小明')).toBe(' 小 明');
    expect(termForm('a小')).toBe('a 小');
    expect(termForm('55')).toBe(' 55');
    expect(termForm('joh')).toBe('joh');
    expect(termForm('a.')).toBe('a. ');
    expect(termForm('@')).toBe('@ ');
    expect(termForm('j')).toBe('j');
  });

  it('highlights two letters only where a word starts', () => {
    expect(matchRanges('Major John', ['jo'])).toEqual([[6, 8]]);
    expect(matchRanges('Jean-Joseph', ['jo'])).toEqual([[5, 7]]);
    expect(matchRanges('Bjorn', ['jo'])).toEqual([]);
    expect(matchRanges('Bjorn', ['jor'])).toEqual([[1, 4]]);
    expect(matchRanges('(212) 555-0199', ['55'])).toEqual([[6, 8]]);
    expect(matchRanges('𠀋jo jo', ['jo'])).toEqual([[5, 7]]);
    expect(matchRanges('王小明', ['小明'])).toEqual([[1, 3]]);
  });

  it('sends PostgreSQL to the trigram index only with a form pg_trgm takes a trigram from', () => {
    for (const form of [' jo', ' 王', ' 小 明', 'abc', 'ab. ', 'a. river', '@ north']) {
      expect(trigramReadable(form), form).toBe(true);
    }
    for (const form of ['a. ', '. . ', '@ ', 'ab', 'j']) expect(trigramReadable(form), form).toBe(false);
  });
});
