import { beforeAll, describe, expect, test } from 'vitest';
import { styledForms } from '../../src/normalize/styled.js';
import { foldPhrase, foldTables } from '../../src/normalize/tables.js';

// Building the tables takes a while on a loaded machine: not inside the first case's time limit.
beforeAll(() => void foldTables(), 60_000);
import { EMOJI_FOR } from '../../src/normalize/symbols.js';

describe('styled letters and digits come from Unicode data', () => {
  const cases: [string, string, string][] = [
    ['mathematical bold digits', '𝟏𝟑𝟖𝟎𝟎', '13800'],
    ['mathematical double-struck, sans, monospace digits', '𝟙𝟛 𝟤𝟦 𝟿𝟶', '13249' + '0'],
    ['mathematical script and fraktur letters', '𝓿𝔁 𝔴𝔢𝔦', 'vxwei'],
    ['mathematical bold capitals lower-case', '𝐐𝐐', 'qq'],
    ['enclosed alphanumeric supplement', '🄰🄱 🄐', 'ab' + 'a'],
    ['negative circled and squared letters (no NFKC form)', '🅥🅧 🆅🆇', 'vxvx'],
    ['regional indicators used as letters', '🇻🇽', 'vx'],
    ['dingbat circled digits (no NFKC form)', '❶❸➇➓', '13810'],
    ['segmented digits', '🯱🯳🯸', '138'],
    ['digits of other scripts', '١٣٨ १३८ ໑໓໘', '138138138'],
    ['squared ideographs', '只🈶我们🈚第二家', '只有我们无第2家'],
  ];
  for (const [name, input, expected] of cases) test(name, () => expect(foldPhrase(input)).toBe(expected));

  test('every decimal digit of every script folds to its ASCII value', () => {
    const forms = styledForms();
    for (let cp = 0x80; cp <= 0x1ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const ch = String.fromCodePoint(cp);
      if (!/\p{Nd}/u.test(ch)) continue;
      const folded = foldPhrase(ch);
      expect(folded, `U+${cp.toString(16)}`).toMatch(/^[0-9]$/);
      // The value agrees with NFKC where NFKC has one, and digits of one run count up from 0.
      const nfkc = ch.normalize('NFKC');
      if (/^[0-9]$/.test(nfkc)) expect(folded).toBe(nfkc);
      else expect(forms.get(cp)).toBe(folded);
    }
  });

  test('every mathematical alphanumeric letter folds to one ASCII letter', () => {
    for (let cp = 0x1d400; cp <= 0x1d6a3; cp++) {
      const ch = String.fromCodePoint(cp);
      if (ch.normalize('NFKC') === ch) continue; // reserved holes of the block
      expect(foldPhrase(ch), `U+${cp.toString(16)}`).toMatch(/^[a-z]$/);
    }
  });

  test('each emoji row folds to its word', () => {
    for (const [word, emoji] of EMOJI_FOR) for (const e of emoji) expect(foldPhrase(e)).toBe(foldPhrase(word));
  });
});
