/**
 * Contact numbers that a word list cannot express, linear in the input and free of regular
 * expressions over whole messages:
 *
 * - `phone`: runs of digits in the text lane (noise already skipped, so 189.3417.2056 and
 *   １３８ ０００ are runs; styled and Chinese digits already folded; 幺 两 洞 拐 勾 read here only).
 *   Mainland mobiles (1[3-9] + 9 digits, optionally after 86), landlines (0 + area + number, 10–12
 *   digits), 400/800 numbers, and 7–8 digit numbers right after a phone cue. A run that continues
 *   into the next chunk is completed there.
 * - `qq`: 5–11 digits right after a QQ cue (qq, 扣扣, 球球, 企鹅, 🐧).
 *
 * Links and account ids are contact-links.ts.
 */
import type { Lane } from '../normalize/normalizer.js';
import { foldTables } from '../normalize/tables.js';
import { addContact, type Candidate, type CandidateSink } from './candidate.js';

/** Longest digit run read (two 11-digit numbers with a separator between fit). */
const MAX_RUN = 24;

/** A digit run left open at the end of a chunk, kept for the next chunk of the same stream. */
export class DigitCarry {
  /** Allocated when a run first has to be carried: most streams never end a chunk inside a number. */
  values: Int8Array | undefined;
  strong: Uint8Array | undefined;
  /** Stream-global original offsets of each digit. */
  starts: Int32Array | undefined;
  ends: Int32Array | undefined;
  length = 0;
  /** Bit k: noise (a space, a dash, the chunk seam) came before digit k. */
  gaps = 0;
  start = 0; // stream-global original offset of the first digit
  end = 0;
  reported = false;
  /**
   * What the open run already reads as (a 7-digit number after a cue: 电话138 1234) while it may
   * still grow into a longer one (a mobile's 11 digits): reported only when the next chunk does not
   * go on with digits, so the number is flagged once, on the chunk that completes it.
   */
  readonly held: Candidate[] = [];
  clear(): void {
    this.length = 0;
    this.gaps = 0;
    this.reported = false;
    this.held.length = 0;
  }
}

// Scratch for the run being read; detectNumbers is not re-entrant (JS is single-threaded).
const runValues = new Int8Array(MAX_RUN);
const runStrong = new Uint8Array(MAX_RUN);
const runStarts = new Int32Array(MAX_RUN);
const runEnds = new Int32Array(MAX_RUN);

const QQ_CUES = ['qq', '扣扣', '球球', '企鹅', 'q号', 'q'];
const PHONE_CUES = ['电话', '手机', '座机', '热线', 'tel', '联系'];
/** Units between a cue and its number (扣扣号码是, 电话为): 号码 alone is a phone cue only when no other cue comes before it. */
/** By code unit: looked up once per unit before a number, without building a string each time. */
const CUE_FILLERS = new Set([...'号码是为的我'].map((c) => c.charCodeAt(0)));
const MAX_CUE_FILLERS = 4;

export type CueKind = 'qq' | 'phone';

/** Does lane `codes` hold `cue` ending just before `at`? */
function cueEndsAt(codes: Uint16Array, at: number, cue: string): boolean {
  if (at - cue.length < 0) return false;
  for (let j = 0; j < cue.length; j++) if (codes[at - cue.length + j] !== cue.charCodeAt(j)) return false;
  return true;
}

/**
 * The cue right before lane index `at` (fillers allowed between): the nearest cue decides, so a
 * 扣扣号码 number is QQ although 号码 alone reads as a phone cue. Reads at most MAX_CUE_FILLERS units back.
 */
export function cueKindBefore(lane: Lane, at: number): CueKind | undefined {
  let i = at;
  let numberWord = false;
  for (let skipped = 0; skipped <= MAX_CUE_FILLERS; skipped++) {
    for (const cue of QQ_CUES) if (cueEndsAt(lane.codes, i, cue)) return cue === 'q' && i >= 2 && isLatin(lane.codes[i - 2]!) ? undefined : 'qq';
    for (const cue of PHONE_CUES) if (cueEndsAt(lane.codes, i, cue)) return 'phone';
    if (i === 0 || !CUE_FILLERS.has(lane.codes[i - 1]!)) break;
    if (cueEndsAt(lane.codes, i, '号码')) numberWord = true;
    i--;
  }
  return numberWord ? 'phone' : undefined;
}

const isLatin = (c: number) => c >= 0x61 && c <= 0x7a;
/** Written as a digit (ASCII or full-width), not a word that reads as one (一, 两, 幺). */
const isStrongDigit = (u: number) => (u >= 0x30 && u <= 0x39) || (u >= 0xff10 && u <= 0xff19);

/**
 * Words that may stand between the groups of a number read aloud (一三八，记一下，零零一三): at most
 * MAX_BRIDGE lane units, never a unit that makes the digits a quantity (元, 件, 斤 …) or a Latin
 * letter (an id is contact-links' job), and only after a contact cue (see `bridgeCue`).
 */
const MAX_BRIDGE = 6;
const QUANTITY_UNITS = new Set([...'元块件单号个斤克米岁折分秒点天年月日人次瓶盒箱包袋条只台套份支张位期集毫升度码倍万千百亿%'].map((c) => c.charCodeAt(0)));
/** Cues a bridged number needs within BRIDGE_CUE_WINDOW lane units before it. */
const BRIDGE_CUES = [...QQ_CUES.filter((c) => c !== 'q'), ...PHONE_CUES, '号码', '微信', '加我', 'vx', 'wx', '打给', '拨打'];
const BRIDGE_CUE_WINDOW = 12;

/** Bit u: some BRIDGE_CUES word ends in unit u (a lane position is compared with the cues only when one may end there). */
const BRIDGE_LAST = new Int32Array(2048);
for (const cue of BRIDGE_CUES) {
  const u = cue.charCodeAt(cue.length - 1);
  BRIDGE_LAST[u >>> 5]! |= 1 << (u & 31);
}

/** Is one of BRIDGE_CUES among the `BRIDGE_CUE_WINDOW` lane units before `at`? */
function bridgeCue(lane: Lane, at: number): boolean {
  const codes = lane.codes;
  for (let end = at; end > 0 && end > at - BRIDGE_CUE_WINDOW; end--) {
    const u = codes[end - 1]!;
    if (((BRIDGE_LAST[u >>> 5]! >>> (u & 31)) & 1) === 0) continue;
    for (const cue of BRIDGE_CUES) if (cueEndsAt(codes, end, cue)) return true;
  }
  return false;
}

function classify(d: Int8Array, from: number, to: number, afterPhoneCue: boolean): 'phone' | undefined {
  const n = to - from;
  // Digits read directly, not through a closure (one allocated per call: ~70 KB per 64K of mixed speech).
  const d0 = d[from]!;
  const d1 = d[from + 1]!;
  if (n === 11 && d0 === 1 && d1 >= 3) return 'phone';
  if (n === 13 && d0 === 8 && d1 === 6 && d[from + 2] === 1 && d[from + 3]! >= 3) return 'phone';
  if (n >= 10 && n <= 12 && d0 === 0 && d1 !== 0) return 'phone';
  if (n === 10 && (d0 === 4 || d0 === 8) && d1 === 0 && d[from + 2] === 0) return 'phone';
  if (afterPhoneCue && n >= 7 && n <= 8 && d0 !== 0) return 'phone';
  return undefined;
}

/** The digit run being read; detectNumbers is not re-entrant (JS is single-threaded). */
const run = {
  len: 0,
  gaps: 0, // bit k: noise before digit k (see DigitCarry.gaps)
  decimal: false, // starts "0." (0.35、0.45…, 0.9 1.2 1.5): sizes, never a number to call
  start: 0, // global offset
  end: 0,
  laneStart: 0,
  carried: 0, // digits of the run that came from the previous chunk
  reported: false,
  group: 0, // digits since the last gap
  bridge: 0, // lane units of words read since the last digit (0: not bridging)
  bridgeOk: -1, // a cue came before the run (1) or not (0); -1: not looked up yet
};

/**
 * Finds phone and QQ numbers in `lane`, the text lane of the chunk `text`. Offsets in candidates
 * are `base` + lane origins. With a `carry`, a run open at the end of the previous chunk continues
 * into this one. Noise inside a run (spaces, dashes, even commas: 幺三三，四五六七，八九零一) joins
 * its groups; when the whole run is no number, digit words at its edges are trimmed
 * (13857206431，一会儿) and then the groups before or after each gap are tried.
 * `skipShortRuns` passes over runs too short to report without reading them digit by digit; it is
 * turned off only by the test that checks the skip never changes what is found.
 */
export function detectNumbers(lane: Lane, text: string, base: number, carry: DigitCarry | undefined, out: CandidateSink, skipShortRuns = true): void {
  // The skip loops read the bitset (8 KiB) rather than the 64 KiB table: it stays in L1 next to
  // the fold and automaton tables.
  const { digit, digitBits: bits } = foldTables();
  const codes = lane.codes;
  const n = lane.length;
  resetRun();
  // The held reading of a run the previous chunk left open stands when this chunk does not go on with digits.
  if (carry && carry.held.length > 0 && !(n > 0 && digit[codes[0]!]! >= 0)) for (const h of carry.held) out.push(h);
  if (carry && carry.length > 0 && n > 0 && digit[codes[0]!]! >= 0) {
    runValues.set(carry.values!.subarray(0, carry.length));
    runStrong.set(carry.strong!.subarray(0, carry.length));
    runStarts.set(carry.starts!.subarray(0, carry.length));
    runEnds.set(carry.ends!.subarray(0, carry.length));
    run.len = carry.length;
    run.gaps = carry.gaps | (1 << carry.length); // the seam may be a group boundary
    run.carried = run.len;
    run.start = carry.start;
    run.end = carry.end;
    run.reported = carry.reported;
  }
  if (carry) carry.clear();

  let i = 0;
  for (;;) {
    // Most units are not digits: skip them in a tight loop.
    if (run.len === 0) {
      while (i < n && ((bits[codes[i]! >>> 5]! >>> codes[i]!) & 1) === 0) i++;
      if (i >= n) break;
      // Most runs are a price or a 第1: under 5 digits nothing is reported, so such a run is
      // passed over whole unless it reaches the chunk's end and may be carried into the next.
      if (skipShortRuns) {
        let j = i + 1;
        while (j < n && ((bits[codes[j]! >>> 5]! >>> codes[j]!) & 1) !== 0) j++;
        // A group of 3 or 4 before words may be the first of a number read aloud (see mayBridge).
        const bridgeable = j - i >= 3 && j < n && !QUANTITY_UNITS.has(codes[j]!) && !isLatin(codes[j]!) && bridgeCue(lane, i);
        if (j - i < 5 && (j < n || !carry) && !bridgeable) {
          i = j;
          continue;
        }
      }
    }
    if (i >= n) break;
    let v = digit[codes[i]!]!;
    // Inside words between groups, a lone numeral is a word (记一下, 等一会儿), not a digit.
    if (v >= 0 && run.bridge > 0 && !isStrongDigit(text.charCodeAt(lane.starts[i]!)) && (i + 1 >= n || digit[codes[i + 1]!]! < 0)) v = -1;
    if (v < 0) {
      if (mayBridge(lane, i)) run.bridge++;
      else finishRun(lane, carry, false, out);
      i++;
      continue;
    }
    const from = lane.starts[i]!;
    if (run.len > 0 && i > 0 && (lane.ends[i - 1]! < from || run.bridge > 0)) {
      // Noise or words between this digit and the last: a group boundary.
      if (run.len < MAX_RUN) run.gaps |= 1 << run.len;
      run.group = 0;
      run.bridge = 0;
      if (run.len === 1 && runValues[0] === 0 && text.charCodeAt(lane.ends[i - 1]!) === 0x2e) run.decimal = true;
    }
    if (run.len === 0) {
      run.start = base + from;
      run.laneStart = i;
    }
    if (run.len < MAX_RUN) {
      runValues[run.len] = v;
      runStrong[run.len] = isStrongDigit(text.charCodeAt(from)) ? 1 : 0;
      runStarts[run.len] = base + from;
      runEnds[run.len] = base + lane.ends[i]!;
    }
    run.len++;
    run.group++;
    run.end = base + lane.ends[i]!;
    i++;
  }
  // Words after the last digit: the run does not reach the chunk's end.
  finishRun(lane, carry, run.bridge === 0, out);
}

/**
 * May the word unit at lane index `i` stand between two groups of the open run? Only after a
 * group of 3 or more digits, while the run is shorter than a mobile number, within MAX_BRIDGE
 * units, never a quantity unit or a letter, and only when a contact cue came before the run.
 * Each unit is read once either way, so bridging keeps the detector linear.
 */
function mayBridge(lane: Lane, i: number): boolean {
  if (run.len < 3 || run.len >= 11 || run.carried > 0) return false;
  if (run.bridge === 0 && run.group < 3) return false;
  if (run.bridge >= MAX_BRIDGE) return false;
  const u = lane.codes[i]!;
  // A quantity unit right after the digits makes them a quantity (139件); further on it is a word (就是那个).
  if ((run.bridge === 0 && QUANTITY_UNITS.has(u)) || isLatin(u)) return false;
  if (run.bridgeOk < 0) run.bridgeOk = bridgeCue(lane, run.laneStart) ? 1 : 0;
  return run.bridgeOk === 1;
}

/** May the digits `d[0, len)` still grow into a longer number (a mobile's 11, a landline's 12, +86's 13)? */
function mayGrow(d: Int8Array, len: number): boolean {
  if (d[0] === 1) return len < 11 && (len < 2 || d[1]! >= 3);
  if (d[0] === 0) return len < 12;
  if (d[0] === 8 && d[1] === 6) return len < 13;
  return false;
}

/** Classifies the run just read (`open`: it reaches the end of the chunk) and resets it. */
function finishRun(lane: Lane, carry: DigitCarry | undefined, open: boolean, sink: CandidateSink): void {
  const len = run.len;
  if (len === 0) return;
  const values = runValues;
  const strong = runStrong;
  // A run open at the chunk's end that may still grow is read now but reported on the next chunk (DigitCarry.held).
  const hold = open && carry !== undefined && len < MAX_RUN && !run.reported && mayGrow(values, len);
  const out: CandidateSink = hold ? carry.held : sink;
  if (open && carry && len < MAX_RUN) {
    // Keep it for the next chunk; report now only if it is already a whole number.
    (carry.values ??= new Int8Array(MAX_RUN)).set(values.subarray(0, len));
    (carry.strong ??= new Uint8Array(MAX_RUN)).set(strong.subarray(0, len));
    (carry.starts ??= new Int32Array(MAX_RUN)).set(runStarts.subarray(0, len));
    (carry.ends ??= new Int32Array(MAX_RUN)).set(runEnds.subarray(0, len));
    carry.length = len;
    carry.gaps = run.gaps;
    carry.start = run.start;
    carry.end = run.end;
  }
  // Fewer than 5 digits is neither a phone nor a QQ number, whatever the cue.
  if (!run.reported && !run.decimal && len >= 5 && len <= MAX_RUN) {
    // Spoken digits (两, 洞) at the edges are more often words than digits: trim them if that helps.
    let from = 0;
    let to = len;
    // The nearest cue decides QQ against phone: a 扣扣号码 number is QQ however it looks.
    const cue = run.carried === 0 ? cueKindBefore(lane, run.laneStart) : undefined;
    if (cue === 'qq' && len <= 11 && values[0] !== 0) {
      addContact(out, 'qq', run.start, run.end);
      run.reported = true;
    }
    const phoneCue = cue === 'phone';
    let kind = run.reported ? 'qq' : classify(values, from, to, phoneCue);
    while (!kind && to > from && !strong[to - 1]) kind = classify(values, from, --to, phoneCue);
    if (!kind) {
      to = len;
      while (!kind && from < to && !strong[from]) kind = classify(values, ++from, to, phoneCue);
    }
    // Still nothing: a number written in groups may have a neighbouring number after or before it
    // (手机 17739204856 8点以后): try the groups up to, or from, each gap.
    // Two numbers in one run (13712345678、15912345678) are both reported.
    for (let g = len - 1; !kind && g > 0; g--) {
      if (((run.gaps >>> g) & 1) === 0) continue;
      const before = classify(values, 0, g, phoneCue);
      const after = classify(values, g, len, phoneCue);
      if (before && after) addContact(out, before, runStarts[0]!, runEnds[g - 1]!);
      if (after) [from, to, kind] = [g, len, after];
      else if (before) [from, to, kind] = [0, g, before];
    }
    if (kind === 'qq') {
      // Reported above, from the cue.
    } else if (kind) {
      // The span is the digits read as the number, without trimmed words or a neighbouring group.
      addContact(out, kind, runStarts[from]!, runEnds[to - 1]!);
      run.reported = true;
    } else if (cue === 'qq' && len <= 11 && values[0] !== 0) {
      addContact(out, 'qq', run.start, run.end);
      run.reported = true;
    }
  }
  if (open && carry) carry.reported = hold ? false : run.reported;
  resetRun();
}

/** The digit run being read, back to empty (at the start of a lane and after each run ends). */
function resetRun(): void {
  run.len = 0;
  run.gaps = 0;
  run.decimal = false;
  run.carried = 0;
  run.reported = false;
  run.group = 0;
  run.bridge = 0;
  run.bridgeOk = -1;
}
