/**
 * Live-commerce messages for the load generator: host speech and viewer chat of about the requested
 * length, with a configurable share of violations, and a share of those disguised the way hosts
 * disguise them (noise inside the phrase, traditional characters, homophones). Seeded, so a run is
 * reproducible; a pool is generated up front so the generator spends its time sending.
 */
import { prng } from '../corpus.js';

type Rnd = () => number;
const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

const HOST = [
  '家人们晚上好', '新进来的宝宝点点关注', '今天这个价格真的很划算', '这款面霜质地很清爽', '三号链接已经上车了', '库存不多了抓紧时间',
  '我们的主播自己也在用', '喜欢的扣个一', '这个颜色特别显白', '拍一发二还送小样', '对面的主播也很努力', '我们比一比谁家的福利多',
  '这个保温杯保温十二个小时', '大码的姐妹也能穿', '羽绒服是九十白鸭绒', '茶叶是今年的新茶', '下单备注主播名字', '今晚还有两轮福利',
];
const CHAT = ['好看', '多少钱', '主播好', '已拍', '有没有优惠券', '什么时候发货', '能便宜点吗', '支持主播', '链接在哪', '尺码怎么选', '666', '来了来了'];
const CLAIMS = ['全网最低价', '销量第一', '史上最强', '国家级产品', '独家合作', '只有我家有', '可以根治鼻炎', '喝了能降血压', '加微信领券', '私聊加vx', '百分百有效', '行业第一'];
/** Disguised forms of claims, as hosts say them to dodge filters. */
const EVASIONS = ['全*网*最*低*价', '全網最低價', '销量第①', '加 薇 信', '加威信', '扣扣联系', '根 治', '降xue压', 'jia wei xin', '史上最強'];

export interface TextOptions {
  /** Target length in UTF-16 units (messages vary ±30% around it). */
  chars: number;
  /** Share of messages holding a violation, 0..1. */
  violationRate: number;
  /** Share of violations that are disguised, 0..1. */
  evasionRate: number;
  seed: number;
}

export class TextPool {
  readonly transcripts: string[] = [];
  readonly chats: string[] = [];
  #t = 0;
  #c = 0;

  constructor(opts: TextOptions, size = 4096) {
    const rnd = prng(opts.seed);
    for (let i = 0; i < size; i++) {
      this.transcripts.push(compose(rnd, HOST, opts));
      this.chats.push(compose(rnd, CHAT, { ...opts, chars: Math.max(4, Math.round(opts.chars / 3)) }));
    }
  }

  nextTranscript(): string {
    const t = this.transcripts[this.#t];
    this.#t = (this.#t + 1) % this.transcripts.length;
    return t!;
  }

  nextChat(): string {
    const c = this.chats[this.#c];
    this.#c = (this.#c + 1) % this.chats.length;
    return c!;
  }
}

function compose(rnd: Rnd, parts: readonly string[], opts: TextOptions): string {
  const target = Math.max(2, Math.round(opts.chars * (0.7 + rnd() * 0.6)));
  let text = '';
  const violation = rnd() < opts.violationRate;
  const claim = violation ? (rnd() < opts.evasionRate ? pick(rnd, EVASIONS) : pick(rnd, CLAIMS)) : '';
  while (text.length + claim.length < target) text += (text ? '，' : '') + pick(rnd, parts);
  if (claim) {
    const at = text.lastIndexOf('，', Math.floor(rnd() * text.length));
    text = at < 0 ? claim + '，' + text : text.slice(0, at + 1) + claim + text.slice(at);
  }
  return text.slice(0, Math.max(target, claim.length + 1));
}
