/**
 * `pkguard scan` as a real child process: NDJSON in, exactly one NDJSON line out per non-empty input
 * line, in order. The exact-expectation tests use a small lexicon written here (`--lexicons DIR`).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { lexiconDir, ndjson, runCli, stdoutLines } from './run-cli.js';

interface OutFlag {
  id: string;
  category: string;
  term: string;
  matched: string;
  start: number;
  end: number;
  severity: string;
  stream?: string;
  kind?: string;
  carried?: string;
}
interface OutLine {
  id: string | null;
  flags?: OutFlag[];
  error?: string;
}

const LONG = 60_000;
let dir: string;
let lex: string[];

beforeAll(() => {
  dir = lexiconDir({
    'extreme.tsv': '# test lexicon\n全网最低价\thigh\nlowest price\tmedium\n',
    'contact.tsv': '加微信\thigh\n',
    'medical.tsv': '降血压\tcritical\n',
    'allow.tsv': '最近\t*\n',
  });
  lex = ['--lexicons', dir];
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function scan(input: string, extra: string[] = []) {
  const r = await runCli(['scan', ...lex, ...extra], input);
  const lines = stdoutLines(r.stdout);
  return { ...r, lines, out: lines.map((l) => JSON.parse(l) as OutLine) };
}

function expectSpans(text: string, flags: OutFlag[] | undefined) {
  expect(flags).toBeDefined();
  for (const f of flags!) expect(text.slice(f.start, f.end)).toBe(f.matched);
}

describe('pkguard scan: one line out per line in', () => {
  test('ids echoed in order, blank lines skipped, flags point at the original text', { timeout: LONG }, async () => {
    const reqs = [
      { id: 'm1', text: '各位家人们今天这款真的是全网最低价了' },
      { id: 'm2', text: '没有任何问题的一句话' },
      { id: 'm3', text: '想要的 加 微.信 私聊我', kind: 'chat' },
      { id: 'm4', text: 'This is the LOWEST price you will find', kind: 'transcript' },
      { id: 'm5', text: '这个茶喝了能降血压吗' },
    ];
    const input = reqs.map((r) => JSON.stringify(r)).join('\n\n   \n') + '\r\n\n';
    const { code, out } = await scan(input);
    expect(code).toBe(0);
    expect(out.map((o) => o.id)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    expect(out.map((o) => (o.flags ?? []).map((f) => f.term))).toEqual([['全网最低价'], [], ['加微信'], ['lowest price'], ['降血压']]);
    expect(out[0]!.flags![0]).toMatchObject({ category: 'extreme', severity: 'high', matched: '全网最低价', start: 12, end: 17 });
    expect(out[2]!.flags![0]).toMatchObject({ category: 'contact', matched: '加 微.信', start: 4, end: 9, kind: 'chat' });
    expect(out[3]!.flags![0]).toMatchObject({ category: 'extreme', matched: 'LOWEST price' });
    expect(out[4]!.flags![0]).toMatchObject({ category: 'medical', severity: 'critical' });
    reqs.forEach((r, i) => expectSpans(r.text, out[i]!.flags));
  });

  test('a malformed JSON line gets {"id":null,"error"} and the next lines are still scanned', { timeout: LONG }, async () => {
    const input = ['{"id":"a","text":"全网最低价"}', '{"id":"b","text":', 'not json at all', '{"id":"c","text":"快来加微信"}'].join('\n') + '\n';
    const { code, out, lines } = await scan(input);
    expect(code).toBe(0);
    expect(lines).toHaveLength(4);
    expect(out[0]!.flags!.map((f) => f.term)).toEqual(['全网最低价']);
    for (const bad of [out[1]!, out[2]!]) {
      expect(bad.id).toBeNull();
      expect(typeof bad.error).toBe('string');
      expect(bad.error!.length).toBeGreaterThan(0);
      expect(bad).not.toHaveProperty('flags');
    }
    expect(out[3]).toMatchObject({ id: 'c' });
    expect(out[3]!.flags!.map((f) => f.term)).toEqual(['加微信']);
  });

  test('JSON that is not a request object gets id null and an error', { timeout: LONG }, async () => {
    const { code, out } = await scan('[1,2]\n"just a string"\nnull\n42\n{"id":"ok","text":"降血压"}\n');
    expect(code).toBe(0);
    expect(out).toHaveLength(5);
    for (const o of out.slice(0, 4)) {
      expect(o.id).toBeNull();
      expect(typeof o.error).toBe('string');
    }
    expect(out[4]!.flags!.map((f) => f.term)).toEqual(['降血压']);
  });

  test.each([
    { name: 'text is a number', req: { id: 'w1', text: 5 }, id: 'w1', field: 'text' },
    { name: 'text missing', req: { id: 'w2' }, id: 'w2', field: 'text' },
    { name: 'id missing', req: { text: '全网最低价' }, id: null, field: 'id' },
    { name: 'id is a number', req: { id: 7, text: '全网最低价' }, id: null, field: 'id' },
    { name: 'kind is not transcript|chat', req: { id: 'w3', text: 'hi', kind: 'video' }, id: 'w3', field: 'kind' },
    { name: 'stream is not a string', req: { id: 'w4', text: 'hi', stream: 3 }, id: 'w4', field: 'stream' },
  ])('wrong type ($name) → error naming the field, id echoed when readable', { timeout: LONG }, async ({ req, id, field }) => {
    const input = ndjson([req, { id: 'after', text: '全网最低价' }]);
    const { code, out } = await scan(input);
    expect(code).toBe(0);
    expect(out).toHaveLength(2);
    expect(out[0]!.id).toBe(id);
    expect(out[0]!.error).toMatch(new RegExp(`\\b${field}\\b`));
    expect(out[0]).not.toHaveProperty('flags');
    expect(out[1]).toMatchObject({ id: 'after' });
    expect(out[1]!.flags).toHaveLength(1);
  });

  test('exit code stays 0 when every line is bad', { timeout: LONG }, async () => {
    const { code, out } = await scan('{\n{"id":1}\n]\n');
    expect(code).toBe(0);
    expect(out).toHaveLength(3);
    expect(out.every((o) => typeof o.error === 'string')).toBe(true);
  });

  test('empty input gives no output and exit 0', { timeout: LONG }, async () => {
    const { code, stdout } = await scan('');
    expect(code).toBe(0);
    expect(stdout).toBe('');
  });
});

describe('pkguard scan: large and odd input', () => {
  test('thousands of lines (past any output buffering) keep count, order and unique flag ids', { timeout: LONG }, async () => {
    const reqs = Array.from({ length: 3000 }, (_, i) => ({ id: `n${i}`, text: i % 3 === 0 ? `第${'一二三'[i % 3]}件，全网最低价` : '换一件看看' }));
    const { code, out } = await scan(ndjson(reqs));
    expect(code).toBe(0);
    expect(out.map((o) => o.id)).toEqual(reqs.map((r) => r.id));
    out.forEach((o, i) => expect(o.flags!.length).toBe(i % 3 === 0 ? 1 : 0));
    const ids = out.flatMap((o) => o.flags!.map((f) => f.id));
    expect(ids).toHaveLength(1000);
    expect(new Set(ids).size).toBe(1000);
  });

  test('raw U+2028 / U+2029 inside a JSON string do not split the line', { timeout: LONG }, async () => {
    const text = 'a\u2028全网最低价\u2029b';
    const line = JSON.stringify({ id: 'ls', text }).replace(/\\u2028/g, '\u2028').replace(/\\u2029/g, '\u2029');
    expect(line).toContain('\u2028');
    const { code, out } = await scan(line + '\n' + JSON.stringify({ id: 'next', text: 'ok' }) + '\n');
    expect(code).toBe(0);
    expect(out.map((o) => o.id)).toEqual(['ls', 'next']);
    expect(out[0]!.flags!.map((f) => [f.start, f.end])).toEqual([[2, 7]]);
  });

  test('a 1,000,000-character line is scanned and flag offsets are right', { timeout: LONG }, async () => {
    const filler = '今天给大家看看这件外套, nice fabric 🌸 好看吧。';
    const head = '开场先说降血压不行。';
    const tail = '顺便说一句全网最低价啦';
    let body = head;
    while (body.length + filler.length + tail.length < 999_900) body += filler;
    const text = (body + tail).padEnd(1_000_000, '好');
    expect(text.length).toBe(1_000_000);
    const { code, out } = await scan(ndjson([{ id: 'big', text }, { id: 'small', text: '加微信' }]));
    expect(code).toBe(0);
    expect(out).toHaveLength(2);
    expect(out[0]!.id).toBe('big');
    const flags = out[0]!.flags!;
    expectSpans(text, flags);
    const medical = flags.filter((f) => f.term === '降血压');
    const extreme = flags.filter((f) => f.term === '全网最低价');
    expect(medical.map((f) => f.start)).toEqual([head.indexOf('降血压')]);
    expect(extreme.map((f) => [f.start, f.end])).toEqual([[body.length + 5, body.length + 10]]);
    expect(flags).toHaveLength(2);
    expect(out[1]!.flags!.map((f) => f.term)).toEqual(['加微信']);
  });

  test('lone surrogates do not crash and the output is valid JSON', { timeout: LONG }, async () => {
    // Written as JSON escapes: a lone surrogate cannot be encoded in UTF-8.
    const input = [
      '{"id":"s1","text":"\\ud800abc"}',
      '{"id":"s2","text":"\\udc00\\ud800加微信\\ud83d"}',
      '{"id":"s3","text":"全网\\udfff最低价"}',
      '{"id":"s4","text":"还在吗"}',
    ].join('\n') + '\n';
    const { code, out, lines, stderr } = await scan(input);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(lines).toHaveLength(4);
    expect(out.map((o) => o.id)).toEqual(['s1', 's2', 's3', 's4']);
    for (const o of out) expect(Array.isArray(o.flags)).toBe(true);
    expect(out[0]!.flags).toEqual([]);
    const s2 = '\udc00\ud800加微信\ud83d';
    expect(out[1]!.flags!.map((f) => [f.term, f.start, f.end])).toEqual([['加微信', 2, 5]]);
    expectSpans(s2, out[1]!.flags);
    expectSpans('全网\udfff最低价', out[2]!.flags);
  });
});

describe('pkguard scan: streams', () => {
  test('a phrase split across two chunks of a stream is flagged on the completing chunk, another stream in between', { timeout: LONG }, async () => {
    const { code, out } = await scan(
      ndjson([
        { id: 'r-1', stream: 'room-r', text: '我们这次真的是全网' },
        { id: 'q-1', stream: 'room-q', text: '最低价' },
        { id: 'r-2', stream: 'room-r', text: '最低价，赶紧下单' },
        { id: 'q-2', stream: 'room-q', kind: 'transcript', text: '欢迎新来的朋友' },
      ]),
    );
    expect(code).toBe(0);
    expect(out.map((o) => o.id)).toEqual(['r-1', 'q-1', 'r-2', 'q-2']);
    expect(out[0]!.flags).toEqual([]);
    // room-q's "最低价" is not the end of room-r's "全网"
    expect(out[1]!.flags).toEqual([]);
    expect(out[2]!.flags).toHaveLength(1);
    expect(out[2]!.flags![0]).toMatchObject({ term: '全网最低价', category: 'extreme', start: 0, end: 3, matched: '最低价', stream: 'room-r' });
    expect(out[3]!.flags).toEqual([]);
  });

  test('a split phrase with noise on both sides of the cut is still found on the completing chunk', { timeout: LONG }, async () => {
    const { out } = await scan(
      ndjson([
        { id: 'k1', stream: 'room-k', text: '今天 加 🌸' },
        { id: 'k2', stream: 'room-k', text: '微.信 领券' },
      ]),
    );
    expect(out[0]!.flags).toEqual([]);
    expect(out[1]!.flags).toHaveLength(1);
    const f = out[1]!.flags![0]!;
    expect(f).toMatchObject({ term: '加微信', category: 'contact', start: 0, stream: 'room-k' });
    expect('微.信 领券'.slice(f.start, f.end)).toBe(f.matched);
    expect(f.matched).toContain('微.信');
  });

  test('the same split without a stream is not joined', { timeout: LONG }, async () => {
    const { out } = await scan(ndjson([{ id: 'a', text: '真的是全网' }, { id: 'b', text: '最低价' }]));
    expect(out.map((o) => o.flags)).toEqual([[], []]);
  });

  test('chat lines with a stream are never joined', { timeout: LONG }, async () => {
    const { code, out } = await scan(
      ndjson([
        { id: 'c1', stream: 'room-c', kind: 'chat', text: '主播说的是全网' },
        { id: 'c2', stream: 'room-c', kind: 'chat', text: '最低价吗' },
        { id: 't1', stream: 'room-d', kind: 'transcript', text: '今天真的是全网' },
        { id: 'c3', stream: 'room-d', kind: 'chat', text: '最低价？' },
        { id: 'c4', stream: 'room-d', kind: 'chat', text: '快加微信' },
      ]),
    );
    expect(code).toBe(0);
    expect(out.map((o) => o.id)).toEqual(['c1', 'c2', 't1', 'c3', 'c4']);
    expect(out.slice(0, 4).map((o) => o.flags)).toEqual([[], [], [], []]);
    expect(out[4]!.flags).toHaveLength(1);
    expect(out[4]!.flags![0]).toMatchObject({ term: '加微信', kind: 'chat', start: 1, end: 4 });
  });
});

describe('pkguard scan: invocation', () => {
  test('`pkguard scan FILE` reads the file instead of stdin', { timeout: LONG }, async () => {
    const file = join(dir, 'input.ndjson');
    writeFileSync(file, ndjson([{ id: 'f1', text: '加微信领红包' }, { id: 'f2', text: '没事' }]));
    const { code, out } = await scan('{"id":"from-stdin","text":"全网最低价"}\n', [file]);
    expect(code).toBe(0);
    expect(out.map((o) => o.id)).toEqual(['f1', 'f2']);
    expect(out[0]!.flags!.map((f) => f.term)).toEqual(['加微信']);
    expect(out[1]!.flags).toEqual([]);
  });

  test('an unreadable input file → exit 1 and a message on stderr', { timeout: LONG }, async () => {
    const { code, stdout, stderr } = await scan('', [join(dir, 'no-such-file.ndjson')]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('no-such-file.ndjson');
  });

  test('unknown command → exit 2 with usage on stderr', { timeout: LONG }, async () => {
    const r = await runCli(['frobnicate', '--now']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('frobnicate');
    expect(r.stderr).toMatch(/usage:/);
    expect(r.stderr).toContain('pkguard scan');
  });

  test('no command at all → exit 2 with usage', { timeout: LONG }, async () => {
    const r = await runCli([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/usage:/);
  });

  test('--lexicons pointing at a broken dir → exit 1, file:line on stderr, no stdout', { timeout: LONG }, async () => {
    const broken = lexiconDir({ 'extreme.tsv': '全网最低价\thigh\n销量第一\tenormous\n' });
    try {
      const r = await runCli(['scan', '--lexicons', broken], ndjson([{ id: 'x', text: '全网最低价' }]));
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`${join(broken, 'extreme.tsv')}:2`);
      expect(r.stderr).toMatch(/severity/);
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });

  test('--lexicons pointing at a missing dir → exit 1, no stdout', { timeout: LONG }, async () => {
    const r = await runCli(['scan', '--lexicons', join(dir, 'missing')], ndjson([{ id: 'x', text: 'hi' }]));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(join(dir, 'missing'));
  });

  test('stdout holds only NDJSON (no banner from dependencies), English stemming included', { timeout: LONG }, async () => {
    const withCure = lexiconDir({ 'medical.tsv': 'cure\thigh\n' });
    try {
      const reqs = [
        { id: 'e1', text: 'This cream cures everything' },
        { id: 'e2', text: 'nothing here' },
        { id: 'e3', text: 'it was cured overnight' },
      ];
      const r = await runCli(['scan', '--lexicons', withCure], ndjson(reqs));
      expect(r.code).toBe(0);
      const lines = stdoutLines(r.stdout);
      expect(lines).toHaveLength(3);
      for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
      const out = lines.map((l) => JSON.parse(l) as OutLine);
      expect(out.map((o) => o.id)).toEqual(['e1', 'e2', 'e3']);
      expect(out.map((o) => o.flags!.length)).toEqual([1, 0, 1]);
      reqs.forEach((q, i) => expectSpans(q.text, out[i]!.flags));
    } finally {
      rmSync(withCure, { recursive: true, force: true });
    }
  });
});

describe('pkguard scan with the bundled lexicons', () => {
  test('加微信 is flagged contact and stdout is only NDJSON', { timeout: LONG }, async () => {
    const text = '有问题的宝宝直接加微信问我';
    const r = await runCli(['scan'], ndjson([{ id: 'b1', text }, { id: 'b2', text: 'hello there' }]));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = stdoutLines(r.stdout);
    expect(lines).toHaveLength(2);
    const out = lines.map((l) => JSON.parse(l) as OutLine);
    expect(out.map((o) => o.id)).toEqual(['b1', 'b2']);
    const contact = out[0]!.flags!.filter((f) => f.category === 'contact');
    expect(contact.length).toBeGreaterThan(0);
    expect(contact.some((f) => f.matched.includes('微信'))).toBe(true);
    expectSpans(text, out[0]!.flags);
  });
});
