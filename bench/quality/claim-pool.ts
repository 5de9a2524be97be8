/**
 * A generated pool of claims said the way unseen speech says them, by mechanism: medical outcome
 * talk in plain words (a condition, a use over a time span or dose, the symptom gone or better)
 * and extreme rankings ("first among all …") and slang for the very best. Templates × vocabulary,
 * seeded; written for this generator, never taken from a labeled corpus. Its recall is read with
 * the innocent pool's false-positive rate, so a rule that widens recall shows its cost at once.
 */
import { prng } from '../corpus.js';

export interface ClaimLine {
  group: string;
  kind: 'transcript' | 'chat';
  text: string;
  gold: string[];
}

type Rnd = () => number;
const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const split = (s: string): string[] => s.split('|');

const SLOTS: Record<string, readonly string[]> = {
  人: split('我妈|我爸|我婆婆|我老公|我姐|我同事|隔壁阿姨|我舅舅|我奶奶|好几个老粉|我闺女|我自己|一个老顾客'),
  病: split('老胃病|胃疼|腰疼|腿疼|膝盖疼|关节疼|失眠|便秘|湿疹|脚气|鼻炎|咽炎|高血压|血糖高|三高|痛风|口腔溃疡|偏头痛|颈椎病|肩周炎|老寒腿|荨麻疹|痔疮|咳嗽|哮喘|尿频|痛经|手脚冰凉|脂肪肝|皮炎|牙疼|老慢支|风湿|胃胀|心慌'),
  用: split('喝了|吃了|贴了|泡了|用了|抹了|涂了|敷了|坚持喝|坚持吃|天天泡|每天贴|连着喝|早晚各喝一杯'),
  时长: split('半个月|一个月|两个月|三个月|一周|十天|两盒|三瓶|一个疗程|两个疗程|没几天|大半年|不到一个月'),
  好: split('好了|全好了|好利索了|没事了|彻底好了|再也没犯过|一次都没犯|没再疼过|不疼了|不痒了|不咳了|能睡整觉了|消下去了|就没了|不见了|轻多了|减轻了一大半|好转了|缓解了很多|明显改善了|药都停了|不用吃药了|恢复正常了|不复发了|稳住了|一点感觉都没有了|跟没得过一样'),
  指标: split('血压|血糖|血脂|尿酸|转氨酶'),
  高数: split('一百六|一百八|十二|九点五|五百多|一百七'),
  低数: split('一百二|六点多|正常值|三百多|一百三'),
  类: split('保温杯|面霜|防晒|电热毯|空气炸锅|羽绒服|洗发水|扫地机|蓝牙耳机|吹风机|奶粉|猫粮|行李箱|辣椒酱|护手霜'),
  范围: split('全网|全平台|整个平台|全国|市面上|所有直播间|全行业|这个价位'),
  所有: split('所有|全部|这么多|市面上所有|同价位所有|同类的所有|一众'),
  排: split('排第一|排名第一|是第一名|稳居第一|数第一|排在第一位|拿了第一|位列第一|名列第一|是头一名|占第一'),
  俚: split('真的绝绝子|天花板级别的|是天花板|顶配中的顶配|无敌了|是封神之作|吊打所有同类|秒杀一切同类|碾压同价位|断层第一|是王炸|独一档|一骑绝尘|无人能及|没有对手|天下无敌|首屈一指|当之无愧的冠军|是冠军款|是销冠|T0级别|夯爆了|是爆款之王|是神中神|是天花板中的天花板'),
  英: split('hands down the best|second to none|nothing beats it|the best on the market|unbeatable|the GOAT of|top of the line|ranked number one among all|beats every other|the #1 pick of all'),
};

const TEMPLATES: Record<string, { kind: 'transcript' | 'chat'; gold: string[]; lines: readonly string[] }> = {
  'med-outcome': {
    kind: 'transcript',
    gold: ['medical'],
    lines: [
      '{人}{病}好多年了，{用}{时长}，现在{好}',
      '{病}的家人们，{用}{时长}就{好}',
      '{人}以前{病}，{用}这个以后{好}',
      '{人}的{病}，{用}{时长}，{好}',
      '有{病}的，{用}{时长}，{好}',
      '{人}{病}，自从{用}这个，{好}',
      '{病}这个老毛病，{用}{时长}{好}',
      '一天三次，{时长}下来{人}的{病}{好}',
      '{人}{病}，{用}这个{时长}，多休息，{好}',
      '{人}{病}，贴了过两天{好}',
    ],
  },
  'med-reading': {
    kind: 'transcript',
    gold: ['medical'],
    lines: [
      '{人}{指标}以前{高数}，{用}{时长}，现在{低数}',
      '{用}{时长}，{人}的{指标}从{高数}到了{低数}',
      '{人}{用}{时长}，{指标}都正常了',
    ],
  },
  'med-chat': {
    kind: 'chat',
    gold: ['medical'],
    lines: ['我{病}{用}{时长}{好}，谢谢主播', '{人}{病}，{用}{时长}真的{好}'],
  },
  'med-negform': {
    kind: 'transcript',
    gold: ['medical'],
    // Claims said as a negation of their own: a refutation case must not take them for a denial.
    lines: [
      '这款{类}纯天然，没有任何副作用',
      '{人}{用}{时长}，再也不用吃药了',
      '{病}的家人们，{用}{时长}，药都停了',
      '绝对没有副作用，{人}{用}{时长}了',
    ],
  },
  'ext-rank': {
    kind: 'transcript',
    gold: ['extreme'],
    lines: [
      '在{所有}{类}里，这款{排}',
      '{所有}{类}当中，它{排}',
      '{范围}的{类}，我们家{排}',
      '论口碑，它在{所有}{类}里{排}',
      '{范围}{类}销量{排}',
    ],
  },
  'ext-slang': {
    kind: 'transcript',
    gold: ['extreme'],
    lines: ['这个{类}{俚}', '{称}{类}，{俚}', '说实话，这款{类}{俚}'],
  },
  'ext-en': {
    kind: 'chat',
    gold: ['extreme'],
    lines: ['this one is {英}', 'honestly {英}, grab it'],
  },
};

function fill(rnd: Rnd, template: string): string {
  return template.replace(/\{([^}]+)\}/g, (whole, name: string) => {
    if (name === '称') return pick(rnd, ['家人们', '姐妹们', '说真的', '我跟你们讲']);
    const members = SLOTS[name];
    return members ? pick(rnd, members) : whole;
  });
}

export function claimPool(seed = 20261207, perTemplate = 40): ClaimLine[] {
  const rnd = prng(seed);
  const out: ClaimLine[] = [];
  for (const [group, { kind, gold, lines }] of Object.entries(TEMPLATES)) {
    for (const template of lines) {
      const seen = new Set<string>();
      for (let tries = 0; tries < perTemplate * 4 && seen.size < perTemplate; tries++) seen.add(fill(rnd, template));
      for (const text of seen) out.push({ group, kind, text, gold });
    }
  }
  return out;
}
