import { describe, expect, it } from 'vitest';
import { foldText, highlightParts, matchRanges, searchTerms } from './search-text.js';

describe('search text', () => {
  it('folds case and accents', () => {
    expect(foldText('José ÁLVAREZ Müller Ærø')).toBe('jose alvarez muller ærø');
  });

  it('splits a query into folded terms', () => {
    expect(searchTerms('  Jo   SMI ')).toEqual(['jo', 'smi']);
    expect(searchTerms('')).toEqual([]);
    expect(searchTerms(undefined)).toEqual([]);
  });

  it('maps matches in folded text back onto the original string', () => {
    expect(matchRanges('José Álvarez', ['jose'])).toEqual([[0, 4]]);
    expect(matchRanges('José Álvarez', ['alv'])).toEqual([[5, 8]]);
    // Decomposed input (e + combining acute) keeps its own offsets.
    const decomposed = 'Jose\u0301 Smith';
    expect(matchRanges(decomposed, ['smi'])).toEqual([[6, 9]]);
  });

  it('merges overlapping and adjacent-overlapping ranges and finds every occurrence', () => {
    expect(matchRanges('banana', ['ana'])).toEqual([[1, 6]]);
    expect(matchRanges('John Johnson', ['jo', 'hn'])).toEqual([
      [0, 4],
      [5, 9],
    ]);
    expect(matchRanges(null, ['x'])).toEqual([]);
  });

  it('splits text into highlighted parts', () => {
    expect(
      highlightParts('John Smith', [
        [0, 2],
        [5, 8],
      ]),
    ).toEqual([
      { text: 'Jo', hit: true },
      { text: 'hn ', hit: false },
      { text: 'Smi', hit: true },
      { text: 'th', hit: false },
    ]);
  });
});
