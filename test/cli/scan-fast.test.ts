/**
 * The scan CLI's two roads give the same bytes: a line read by scan-request.ts and answered by hand
 * must produce exactly what JSON.parse + the schema + JSON.stringify produce (DESIGN "CLI: pkguard
 * scan"), on tricky lines written here and on random ones (fast-check), whole runs included.
 */
import fc from 'fast-check';
import { PassThrough, Readable, Writable } from 'node:stream';
import { beforeAll, describe, expect, test } from 'vitest';
import { Scanner } from '../../src/detect/scanner.js';
import { FlagIdAllocator } from '../../src/flag.js';
import { compileLexicon, type CompiledLexicon } from '../../src/lexicon/compile.js';
import { validateLexicon } from '../../src/lexicon/load.js';
import { readRequest, RequestFields } from '../../src/cli/scan-request.js';
import { runScan, scanLine, scanLineParsed } from '../../src/cli/scan.js';

let lexicon: CompiledLexicon;
beforeAll(() => {
  lexicon = compileLexicon(
    validateLexicon({
      terms: [
        { phrase: '全网最低价', category: 'extreme', severity: 'high' },
        { phrase: 'lowest price', category: 'extreme', severity: 'medium' },
        { phrase: '加微信', category: 'contact', severity: 'high' },
        { phrase: '降血压', category: 'medical', severity: 'critical' },
      ],
      allow: [{ phrase: '最近' }],
    }),
  );
});

/** Both roads over the same lines, each with its own scanner (same lexicon, flag ids from 1). */
function bothRoads(lines: readonly string[]): { fast: string[]; slow: string[] } {
  const a = new Scanner(lexicon, new FlagIdAllocator(1));
  const b = new Scanner(lexicon, new FlagIdAllocator(1));
  return { fast: lines.map((l) => scanLine(a, l)), slow: lines.map((l) => scanLineParsed(b, l)) };
}

const CLAIM = '全网最低价';
const TRICKY: string[] = [
  `{"id":"1","text":"今天${CLAIM}"}`,
  `{"text":"${CLAIM}","id":"2"}`,
  `{"id":"3","text":"${CLAIM}","kind":"chat"}`,
  `{"id":"4","text":"加 微 信","kind":"transcript","stream":"s1"}`,
  `{"stream":"s1","kind":"transcript","text":"全网最","id":"5"}`,
  `{"id":"5b","text":"低价","stream":"s1"}`,
  `{"id":"6","text":"${CLAIM}","kind":"chat","stream":"s1"}`,
  `  {  "id" : "7" ,  "text" : "${CLAIM}"  }  `,
  `{"id":"8","text":"${CLAIM}","user":"u1","ts":123,"extra":{"a":[1,2]},"n":null}`,
  `{"id":"9","text":"${CLAIM}","user":"u1"}`,
  `{"id":"10","text":"a \\"quoted\\" ${CLAIM} \\\\ back\\nslash"}`,
  `{"id":"11","text":"\\u5168\\u7f51\\u6700\\u4f4e\\u4ef7"}`,
  `{"id":"12","text":"emoji 😀 ${CLAIM} \\ud83d\\ude00"}`,
  `{"id":"13","text":"lone \\ud800 ${CLAIM}"}`,
  `{"id":"14","text":"raw line separators \u2028${CLAIM}\u2029 end"}`,
  `{"id":"15","text":"raw tab\tinside"}`,
  `{"id":"16",\t"text":"tab between tokens"}`,
  `{"id":"17","text":"${CLAIM}","id":"17b"}`,
  `{"id":"18","text":"x"} trailing`,
  `{"id":"19","text":"x",}`,
  `{}`,
  `[]`,
  `null`,
  `"just a string"`,
  `{"id":20,"text":"x"}`,
  `{"id":"21"}`,
  `{"text":"no id"}`,
  `{"id":"22","text":5}`,
  `{"id":"23","text":"x","kind":"speech"}`,
  `{"id":"24","text":"x","stream":7}`,
  `{"id":"25","text":""}`,
  `{"id":"a\\"b","text":"${CLAIM}"}`,
  `{"id":"ids \u2028 and 😀 and é","text":"${CLAIM}"}`,
  `\ufeff{"id":"26","text":"BOM first"}`,
  `{"id":"27","text":"${CLAIM}"`,
  `{"id":"28","text":"unterminated}`,
  `{"id":"29","text":"The LOWEST   price, 加V信 降 血 压"}`,
  `{"id":"30","text":"lone raw \ud800 surrogate"}`,
  `{"id":"31\udc00","text":"${CLAIM}"}`,
  `{"id":"32","text":"x","kind":"chat","kind":"transcript"}`,
  `{"id":"33","text":"x"}\r`,
  `{"id":"34","text":"${CLAIM}","__proto__":"p"}`,
  `{"id":"35","text":"\u0000nul"}`,
  `{"id":"36","text":"del \u007f ok"}`,
  `{"id":"","text":"empty id"}`,
];

describe('scan: the hand-read road equals the JSON.parse road', () => {
  test('tricky lines: escapes, surrogates, line separators, extra fields, key order, invalid lines', () => {
    const { fast, slow } = bothRoads(TRICKY);
    for (let i = 0; i < TRICKY.length; i++) expect(fast[i], TRICKY[i]).toBe(slow[i]);
    // The fixture is not vacuous: both roads are taken, flags and errors both occur.
    const f = new RequestFields();
    const fastRead = TRICKY.filter((l) => readRequest(l, f)).length;
    expect(fastRead).toBeGreaterThan(10);
    expect(fastRead).toBeLessThan(TRICKY.length - 10);
    expect(slow.filter((l) => l.includes('"error"')).length).toBeGreaterThan(10);
    expect(slow.filter((l) => l.includes('"category"')).length).toBeGreaterThan(10);
  });

  test('random request lines and mutations of them', { timeout: 120_000 }, () => {
    const f = new RequestFields();
    let read = 0;
    let total = 0;
    const unit = fc.oneof(
      fc.constantFrom('全', '网', '最', '低', '价', '加', '微', '信', 'a', 'Z', ' ', '"', '\\', '\n', '\t', '\u2028', '\u0001', 'é', '😀', '\ud800', '\udfff', '{', '}', ':', ','),
      fc.string({ maxLength: 3 }),
    );
    const str = fc.array(unit, { maxLength: 12 }).map((a) => a.join(''));
    const request = fc.record(
      {
        id: fc.oneof(str, fc.integer(), fc.constant(null)),
        text: fc.oneof(str.map((s) => s + CLAIM), str, fc.integer()),
        kind: fc.constantFrom('chat', 'transcript', 'other'),
        stream: fc.oneof(fc.constantFrom('s1', 's2'), fc.integer()),
        user: fc.oneof(str, fc.integer(), fc.array(fc.integer(), { maxLength: 2 })),
      },
      { requiredKeys: [] },
    );
    // Lines of the common shape (what most real input is): safe strings, optional fields, any key order.
    const safe = fc.array(fc.constantFrom('全', '网', '最', '低', '价', '加', '微', '信', 'a', ' ', 'é', '😀', '\u2028', '1', CLAIM), { maxLength: 10 }).map((a) => a.join(''));
    const common = fc
      .record({ id: safe, text: safe, kind: fc.constantFrom('chat', 'transcript'), stream: fc.constantFrom('s1', 's2', 's3'), user: safe }, { requiredKeys: ['id', 'text'] })
      .chain((r) => fc.shuffledSubarray(Object.keys(r), { minLength: Object.keys(r).length }).map((keys) => JSON.stringify(Object.fromEntries(keys.map((k) => [k, r[k as keyof typeof r]])))));
    const spaced = (json: string, spaces: number) => (spaces === 0 ? json : json.replace(/([{,:])/g, `$1${' '.repeat(spaces)}`));
    const line = fc.oneof(
      common,
      common,
      fc.tuple(request, fc.nat(2)).map(([r, s]) => spaced(JSON.stringify(r), s)),
      fc.tuple(request, fc.nat(200), fc.constantFrom('', '"', '\\', ',', '}', ' ', '\t', '\u2028', 'x')).map(([r, at, ins]) => {
        const j = JSON.stringify(r);
        const k = at % (j.length + 1);
        return j.slice(0, k) + ins + j.slice(k + (ins === '' ? 1 : 0));
      }),
    );
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 20 }), (lines) => {
        total += lines.length;
        read += lines.filter((l) => readRequest(l, f)).length;
        const { fast, slow } = bothRoads(lines);
        expect(fast).toEqual(slow);
      }),
      { numRuns: 1500 },
    );
    // Both roads are exercised by the random lines.
    expect(read / total).toBeGreaterThan(0.05);
    expect(read / total).toBeLessThan(0.95);
  });

  test('a whole run: output bytes equal the per-line JSON.parse road, blank lines skipped, order kept', async () => {
    const lines = [...TRICKY, '', '   ', '\u2028', ...TRICKY.map((l) => l.replace(/"id":"(\d+)"/, '"id":"r$1"'))];
    const input = lines.join('\n') + '\n';
    let got = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        got += chunk.toString('utf8');
        cb();
      },
    });
    // Small chunks: lines cut across chunk edges, and a surrogate pair cut in its UTF-8 bytes.
    const bytes = Buffer.from(input, 'utf8');
    const chunks = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) => bytes.subarray(i * 7, i * 7 + 7));
    const code = await runScan(new Scanner(lexicon, new FlagIdAllocator(1)), Readable.from(chunks), sink, () => {});
    expect(code).toBe(0);
    const ref = new Scanner(lexicon, new FlagIdAllocator(1));
    // What the contract says: one line per non-blank input line (as a UTF-8 decoder reads it).
    const decoded = Buffer.from(input, 'utf8').toString('utf8').split('\n').slice(0, -1);
    const want = decoded.filter((l) => l.replace(/\r$/, '').trim() !== '').map((l) => scanLineParsed(ref, l.replace(/\r$/, '')) + '\n').join('');
    expect(got).toBe(want);
  });

  test('a caller that sends a line and waits gets each answer before sending the next', { timeout: 30_000 }, async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const answers: string[] = [];
    let wake: (() => void) | undefined;
    output.on('data', (b: Buffer) => {
      answers.push(...b.toString('utf8').split('\n').filter((l) => l !== ''));
      wake?.();
    });
    const done = runScan(new Scanner(lexicon, new FlagIdAllocator(1)), input, output, () => {});
    for (let i = 0; i < 5; i++) {
      const answered = new Promise<void>((r) => (wake = r));
      input.write(JSON.stringify({ id: `q${i}`, text: i % 2 ? CLAIM : 'clean' }) + '\n');
      await answered; // no answer would hang here until the test times out
      expect(answers.length).toBe(i + 1);
      expect(JSON.parse(answers[i]!).id).toBe(`q${i}`);
    }
    input.end();
    expect(await done).toBe(0);
  });
});
