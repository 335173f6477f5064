import { describe, expect, it } from 'vitest';
import { foldAccents, foldText, highlightParts, matchRanges, searchTerms } from './search-text.js';

describe('search text', () => {
  it('folds case and accents', () => {
    expect(foldText('José ÁLVAREZ Müller Ærø')).toBe('jose alvarez muller aero');
    expect(foldAccents('José ÁLVAREZ Müller Ærø')).toBe('jose alvarez muller ærø');
  });

  it('folds the letters Unicode does not decompose as people type them', () => {
    expect(foldText('Straße STRAẞE')).toBe('strasse strasse');
    expect(foldText('Ødegård')).toBe('odegard');
    expect(foldText('Żółć Łukasz')).toBe('zolc lukasz');
    expect(foldText('Yılmaz İnce')).toBe('yilmaz ince');
    expect(foldText('Đorđević Þórunn Guðrún')).toBe('dordevic thorunn gudrun');
    expect(foldText('Œuvre Cæsar')).toBe('oeuvre caesar');
    // Twice in a row, as a stateful pattern would get it wrong.
    expect(foldText('ß')).toBe('ss');
    expect(foldText('ß')).toBe('ss');
  });

  it('highlights the characters a folded term came from', () => {
    expect(matchRanges('Straße', ['strasse'])).toEqual([[0, 6]]);
    // A term that ends inside a letter folded to two takes the whole letter.
    expect(matchRanges('Straße', ['stras'])).toEqual([[0, 5]]);
    expect(matchRanges('Ødegård', ['odeg'])).toEqual([[0, 4]]);
    expect(matchRanges('Żółć', ['zolc'])).toEqual([[0, 4]]);
    expect(matchRanges('Yılmaz', ['yilm'])).toEqual([[0, 4]]);
    expect(matchRanges('Þórunn', ['thor'])).toEqual([[0, 3]]);
  });

  it('matches digits typed without separators in a number written with them', () => {
    expect(matchRanges('(212) 555-0199', ['5550199'])).toEqual([[6, 14]]);
    expect(matchRanges('+49 30 1234 5678', ['3012'])).toEqual([[4, 9]]);
    expect(matchRanges('(212) 555-0199', ['555'])).toEqual([[6, 9]]);
    // Letters are not matched across separators.
    expect(matchRanges('Anne-Marie', ['annemarie'])).toEqual([]);
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
    expect(matchRanges('John Johnson', ['joh', 'ohn'])).toEqual([
      [0, 4],
      [5, 9],
    ]);
    // Two letters only where a word starts.
    expect(matchRanges('John Johnson', ['jo', 'hn'])).toEqual([
      [0, 2],
      [5, 7],
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
