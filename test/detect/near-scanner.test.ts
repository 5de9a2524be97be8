/**
 * The linear near-term pairing against the reference (near-reference.ts) on the parts the scanner
 * really hands it, whole messages and stream chunks: every call is wrapped and compared, which
 * also checks the order the pairing relies on (parts by lane end, carried ones first).
 */
import fc from 'fast-check';
import { expect, test, vi } from 'vitest';
import type { CandidateList } from '../../src/detect/candidate.js';
import type { NearParts } from '../../src/detect/near.js';
import type { ScanTables } from '../../src/lexicon/scan-tables.js';
import type { CompiledLexicon } from '../../src/lexicon/compile.js';
import { createScanner } from '../../src/index.js';

const seen = vi.hoisted(() => ({ calls: 0, pairs: 0, mismatches: [] as string[], lex: undefined as CompiledLexicon | undefined }));

vi.mock('../../src/detect/near.js', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../../src/detect/near.js')>();
  const { naivePairs } = await import('./near-reference.js');
  const gaps = { chinese: mod.NEAR_GAP, latin: mod.NEAR_GAP_LATIN };
  return {
    ...mod,
    pairNear(tables: ScanTables, buf: NearParts, earlier: number, breakBetween: (f: number, t: number) => boolean, accept: Parameters<typeof mod.pairNear>[4], out: CandidateList) {
      const from = out.count;
      mod.pairNear(tables, buf, earlier, breakBetween, accept, out);
      const got = Array.from({ length: out.count - from }, (_, k) => out.get(from + k, tables));
      const parts = Array.from({ length: buf.count }, (_, i) => buf.get(i));
      const want = naivePairs(seen.lex!, tables, parts.slice(earlier), parts.slice(0, earlier), breakBetween, accept, gaps);
      seen.calls++;
      seen.pairs += got.length;
      if (JSON.stringify(got) !== JSON.stringify(want)) seen.mismatches.push(JSON.stringify({ got, want }));
    },
  };
});

test('property: texts of near-term pieces, whole and cut into stream chunks, pair as the reference does', { timeout: 60_000 }, () => {
  const pieces = ['全网', '全国', '同类', '史上', '最低', '最低价', '第一', '最好', '价格', '的', '我们家', '是', '最', ' ', '，', '🎁', 'best', 'blender', 'in the world', '别家', '买不到', '湿疹', '好了', '它是', '最大'];
  const scanner = createScanner();
  seen.lex = scanner.lexicon; // the reference reads the entries, the pairing only the tables
  let stream = 0;
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 40 }), fc.array(fc.nat(40), { maxLength: 3 }), (words, cuts) => {
      const text = words.join('');
      scanner.scan(text);
      const st = scanner.stream(`s${stream++}`);
      let at = 0;
      for (const cut of [...cuts.map((c) => Math.min(c, text.length)).sort((a, b) => a - b), text.length]) {
        st.push(text.slice(at, Math.max(at, cut)));
        at = Math.max(at, cut);
      }
    }),
    { numRuns: 2000 },
  );
  expect(seen.mismatches.slice(0, 3)).toEqual([]);
  expect(seen.calls).toBeGreaterThan(400);
  expect(seen.pairs).toBeGreaterThan(200);
});
