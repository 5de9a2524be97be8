/**
 * Scans a few kinds of text on a throwaway scanner over the live lexicon before a server takes
 * traffic, so the scan path is compiled by the JIT before the first clients arrive: cold, the first
 * flag-dense lines cost 20-50 times their warm time, and a server that opens under a flood stalls
 * everyone for its first second. The throwaway scanner has its own flag ids (none of the live ones
 * are used) and shares the compiled tables, not any stream state.
 */
import { FlagIdAllocator } from '../flag.js';
import type { CompiledLexicon } from '../lexicon/compile.js';
import { Scanner } from './scanner.js';

/** Ordinary speech, claims in disguise, contact details, English and a flag-dense line: the paths traffic takes. */
const TEXTS = [
  '家人们今天这个价格真的很划算，喜欢的扣个一，库存不多了抓紧时间，三号链接马上上车',
  '全網最低價，全网最低价，别家都没有，只有我们直播间有，效果百分之百',
  'quan wang zui di jia wei xin 加威芯 一三八 零零一三 八零零零 ＶＸ：ａｂｃ１２３ ⑮',
  'the best product ever, number one in the world, cures everything, call 13800138000',
  '吃了三个月血糖就正常了，医生都说奇怪，祛痘祛斑一次见效',
  '全网最低价，'.repeat(200),
];

/** Scans the texts until about `budgetMs` has passed (at least once each); returns the ms spent. */
export function warmUp(lexicon: CompiledLexicon, budgetMs = 150): number {
  const scanner = new Scanner(lexicon, new FlagIdAllocator(1));
  const started = performance.now();
  let round = 0;
  do {
    for (const text of TEXTS) scanner.scan(text);
    const stream = scanner.stream(`warm-up-${round}`);
    for (const text of TEXTS) stream.push(text);
    scanner.endStream(`warm-up-${round}`);
    round++;
  } while (performance.now() - started < budgetMs);
  return performance.now() - started;
}
