/**
 * `npm run bench:partials`: what scanning a partial ASR hypothesis with the stream's carry costs
 * (src/stream/partials.ts scanPartial: the stream's last 64 units + the hypothesis, one stateless
 * scan) against scanning the hypothesis alone, A/B in one process, 5 rounds; min and median µs.
 */
import { createScanner } from '../src/index.js';
import { FlagIdAllocator } from '../src/flag.js';
import { scanPartial } from '../src/stream/partials.js';

const scanner = createScanner();
const ids = new FlagIdAllocator(1);
scanner.stream('live').push('家人们晚上好，今天给大家带来几款冬天的围巾，这款围巾是羊毛混纺的，摸起来很软，有需要的宝宝可以点下面的小黄车。'.repeat(4), { kind: 'transcript' });
const N = 20_000;
const time = (f: () => unknown) => {
  const t = performance.now();
  for (let i = 0; i < N; i++) f();
  return ((performance.now() - t) / N) * 1000;
};
for (const text of ['尺码有S到XL，按平时的尺码拍就可以，我们发的是顺丰', '我们发的是顺丰，下单后两天内发货，喜欢的话点点关注，下次开播会提醒你，洗的时候建议手洗，不要用热水，大家有什么问题可以在评论区问我']) {
  const alone: number[] = [];
  const carry: number[] = [];
  for (let r = 0; r < 5; r++) {
    alone.push(time(() => scanner.scan(text, { stream: 'live', kind: 'transcript' })));
    carry.push(time(() => scanPartial(scanner, ids, 'live', text, { kind: 'transcript' })));
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[2]!;
  process.stdout.write(
    `${JSON.stringify({ units: text.length, aloneUs: { min: +Math.min(...alone).toFixed(1), median: +med(alone).toFixed(1) }, withCarryUs: { min: +Math.min(...carry).toFixed(1), median: +med(carry).toFixed(1) }, ratioOfMedians: +(med(carry) / med(alone)).toFixed(2) })}\n`,
  );
}
