// How people type a name on a plain keyboard: accents dropped, letters Unicode does not decompose spelled out
// (ß -> ss, ø -> o, ł -> l), Cyrillic and Hangul transliterated; used for email local parts and ASCII queries.

const LETTERS: Record<string, string> = {
  ß: 'ss',
  æ: 'ae',
  ø: 'o',
  œ: 'oe',
  ł: 'l',
  đ: 'd',
  ı: 'i',
  þ: 'th',
  ð: 'd',
  ħ: 'h',
  ŋ: 'ng',
};

// ISO 9-like, as companies write Russian and Ukrainian names in email addresses.
const CYRILLIC: Record<string, string> = {
  а: 'a',
  б: 'b',
  в: 'v',
  г: 'g',
  ґ: 'g',
  д: 'd',
  е: 'e',
  ё: 'e',
  є: 'ye',
  ж: 'zh',
  з: 'z',
  и: 'i',
  і: 'i',
  ї: 'yi',
  й: 'y',
  к: 'k',
  л: 'l',
  м: 'm',
  н: 'n',
  о: 'o',
  п: 'p',
  р: 'r',
  с: 's',
  т: 't',
  у: 'u',
  ф: 'f',
  х: 'kh',
  ц: 'ts',
  ч: 'ch',
  ш: 'sh',
  щ: 'shch',
  ъ: '',
  ы: 'y',
  ь: '',
  э: 'e',
  ю: 'yu',
  я: 'ya',
  "'": '',
};

// Revised Romanization of Korean, syllable by syllable (initial, vowel, final).
const HANGUL_INITIAL = [
  'g',
  'kk',
  'n',
  'd',
  'tt',
  'r',
  'm',
  'b',
  'pp',
  's',
  'ss',
  '',
  'j',
  'jj',
  'ch',
  'k',
  't',
  'p',
  'h',
];
const HANGUL_VOWEL = [
  'a',
  'ae',
  'ya',
  'yae',
  'eo',
  'e',
  'yeo',
  'ye',
  'o',
  'wa',
  'wae',
  'oe',
  'yo',
  'u',
  'wo',
  'we',
  'wi',
  'yu',
  'eu',
  'ui',
  'i',
];
const HANGUL_FINAL = [
  '',
  'k',
  'k',
  'k',
  'n',
  'n',
  'n',
  't',
  'l',
  'k',
  'm',
  'l',
  'l',
  'l',
  'p',
  'l',
  'm',
  'p',
  'p',
  't',
  't',
  'ng',
  't',
  't',
  'k',
  't',
  'p',
  't',
];

const GERMAN_UMLAUTS: Record<string, string> = { ä: 'ae', ö: 'oe', ü: 'ue' };

const cache = new Map<string, string | null>();

/**
 * The name as plain lower-case ASCII letters and digits, or null when its script has no transliteration here
 * (Han, Kana, Arabic). `umlauts` writes ä, ö, ü as ae, oe, ue, as German companies often do in addresses.
 */
export function plainAscii(value: string, umlauts = false): string | null {
  const key = umlauts ? `u${value}` : `-${value}`;
  const known = cache.get(key);
  if (known !== undefined) return known;
  let out = '';
  for (const char of value.toLowerCase()) {
    const code = char.codePointAt(0) as number;
    if (umlauts && GERMAN_UMLAUTS[char]) out += GERMAN_UMLAUTS[char];
    else if (LETTERS[char] !== undefined) out += LETTERS[char];
    else if (CYRILLIC[char] !== undefined) out += CYRILLIC[char];
    else if (code >= 0xac00 && code <= 0xd7a3) {
      const index = code - 0xac00;
      out += `${HANGUL_INITIAL[Math.floor(index / 588)]}${HANGUL_VOWEL[Math.floor((index % 588) / 28)]}${HANGUL_FINAL[index % 28]}`;
    } else out += char.normalize('NFD').replace(/\p{M}/gu, '');
  }
  const result = /[^a-z0-9 '’.-]/.test(out) ? null : out.replace(/[^a-z0-9]/g, '');
  cache.set(key, result || null);
  return result || null;
}

/** What a search box should treat as equal: lower case, accents off, ß/ø/ł... spelled out, other scripts kept. */
export function searchFold(value: string): string {
  let out = '';
  for (const char of value.toLowerCase()) out += LETTERS[char] ?? char.normalize('NFD').replace(/\p{M}/gu, '');
  return out;
}
