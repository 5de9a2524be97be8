/**
 * A Scanner reuses its columns, near-part records, pairing checks, stream meta and tails from one
 * short line to the next (issue 16: no per-scan garbage besides the flags). Reused over thousands
 * of short lines, interleaved across streams, it must give exactly what a fresh scanner gives each
 * line (or each stream, for its own lines in order): nothing may leak from one scan into the next.
 */
import { describe, expect, test } from 'vitest';
import { compile, Scanner, type Flag } from '../../src/index.js';
import { FlagIdAllocator } from '../../src/flag.js';
import { loadLexiconDir } from '../../src/lexicon/load.js';
import { TAIL_UNITS } from '../../src/detect/stream-context.js';
import { makeMessages, prng } from '../../bench/corpus.js';

const lexicon = compile();
const fresh = () => new Scanner(lexicon, new FlagIdAllocator(1));
const noId = (flags: Flag[]) => flags.map(({ id: _, ...rest }) => rest);

/**
 * Lines of 30–60 units: host speech with bundled claims, near terms with their parts apart (some
 * cut across lines), contact cues with numbers and Latin handles, English words.
 */
function shortLines(count: number, seed: number): string[] {
  const rnd = prng(seed);
  const terms = loadLexiconDir().terms.map((t) => t.phrase).filter((p) => !p.includes('{'));
  const whole = terms.filter((p) => !p.includes('…'));
  const near = terms.filter((p) => p.includes('…')).map((p) => p.split('…'));
  const speech = makeMessages(count * 50, whole, 0.3, seed);
  const extras = [
    () => { const [a, b] = near[Math.floor(rnd() * near.length)]!; return `${a}我们家的${b}`; },
    () => { const [a, b] = near[Math.floor(rnd() * near.length)]!; return `${a}，${b}`; },
    () => `加我微信 vx${Math.floor(rnd() * 1e6)} 电话13${Math.floor(rnd() * 1e9)}`,
    () => `best price in the world, add me on wechat: shop_${Math.floor(rnd() * 1e4)}`,
    () => `扣扣${Math.floor(rnd() * 1e8)}私聊`,
    () => '不是全网最低价，',
  ];
  const out: string[] = [];
  for (let i = 0, p = 0; i < count; i++) {
    const want = 30 + Math.floor(rnd() * 31);
    let text = '';
    while (text.length < want) text += rnd() < 0.25 ? extras[Math.floor(rnd() * extras.length)]!() : speech[p++ % speech.length];
    text = text.slice(0, want);
    if (/[\ud800-\udbff]$/.test(text)) text = text.slice(0, -1);
    out.push(text);
  }
  return out;
}

describe('a scanner reused over many short lines', () => {
  const lines = shortLines(3000, 16);

  test('scan: the same flags as a fresh scanner for each line', () => {
    const reused = fresh();
    let flagged = 0;
    for (const text of lines) {
      const got = reused.scan(text, { kind: 'chat' });
      expect(noId(got), text).toEqual(noId(fresh().scan(text, { kind: 'chat' })));
      flagged += got.length;
    }
    // The lines must exercise the paths reused (or this proves nothing).
    expect(flagged).toBeGreaterThan(lines.length / 4);
  });

  test('streams: interleaved over one scanner, the same flags as a fresh scanner per stream', () => {
    const reused = fresh();
    const own = new Map<string, Scanner>();
    /** The model of a stream's tail: all its transcript text so far, cut to the last TAIL_UNITS. */
    const said = new Map<string, string>();
    let carried = 0;
    let flagged = 0;
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i]!;
      // Streams of varying lengths, some with chat lines mixed in (scanned on their own, carry untouched).
      const id = `s${(i * 7919) % 23}`;
      const kind = i % 5 === 0 ? ('chat' as const) : ('transcript' as const);
      const meta = { seq: i, ts: 1000 + i, kind };
      const got = reused.stream(id).push(text, meta);
      if (!own.has(id)) own.set(id, fresh());
      const want = own.get(id)!.stream(id).push(text, meta);
      expect(noId(got), `${id} #${i}: ${text}`).toEqual(noId(want));
      if (kind === 'transcript') said.set(id, ((said.get(id) ?? '') + text).slice(-TAIL_UNITS));
      expect(reused.stream(id).tail).toBe(said.get(id) ?? '');
      flagged += got.length;
      carried += got.filter((f) => f.carried !== undefined).length;
    }
    expect(flagged).toBeGreaterThan(lines.length / 4);
    // Some flags must span a seam (carry, tails, held parts exercised).
    expect(carried).toBeGreaterThan(0);
  });
});
