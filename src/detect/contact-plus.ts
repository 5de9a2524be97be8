/**
 * A plus sign standing for 加 before a handle's short name: `+V`, `+vx`, `＋wx`, `+Q` (add me on
 * WeChat / QQ). The fold drops `+` as noise (it is inside +86 numbers and 1+1 offers), so the word
 * list sees only a bare `v`; here a Latin word that is such a name, with a plus right before it
 * (a space allowed) and no digit or letter before the plus, is the cue. Linear: one look per Latin word.
 */
import { addContact, type CandidateSink } from './candidate.js';

const NAMES = new Set(['v', 'vx', 'wx', 'vx号', 'wx号', 'q', 'qq', 'weixin', 'wechat']);
const isPlus = (u: number) => u === 0x2b || u === 0xff0b;
const isAlnum = (u: number) => (u >= 0x30 && u <= 0x39) || (u >= 0x41 && u <= 0x5a) || (u >= 0x61 && u <= 0x7a) || (u >= 0xff10 && u <= 0xff19);

/** Finds `+name` cues among the Latin words `spans[0, 2 * words)` of `text` (at stream offset `base`). */
export function detectPlusCues(text: string, base: number, spans: Int32Array, words: number, out: CandidateSink): void {
  for (let w = 0; w < words; w++) {
    const from = spans[2 * w]!;
    const end = spans[2 * w + 1]!;
    if (end - from > 6) continue;
    let p = from - 1;
    if (p >= 0 && text.charCodeAt(p) === 0x20) p--;
    if (p < 0 || !isPlus(text.charCodeAt(p))) continue;
    if (p > 0 && isAlnum(text.charCodeAt(p - 1))) continue;
    const name = text.slice(from, end).toLowerCase();
    if (!NAMES.has(name)) continue;
    addContact(out, name.startsWith('q') ? '加qq' : '加v', base + p, base + end, 'text');
  }
}
