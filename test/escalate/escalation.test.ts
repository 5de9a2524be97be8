/**
 * Escalation driven by event time (a virtual clock: every call carries its `ts`), with the default
 * weights documented in src/escalate/risk.ts.
 */
import { describe, expect, test } from 'vitest';
import { Escalation, type EscalationEvent } from '../../src/escalate/escalation.js';
import { DEFAULT_ESCALATION, escalationConfigSchema, flagWeight } from '../../src/escalate/risk.js';
import type { Severity } from '../../src/flag.js';

let next = 1;
const flag = (term: string, severity: Severity = 'high', evasion = false) => ({ id: `f${next++}`, term, severity, evasion });
const T0 = 1_700_000_000_000;
const S = 1000;

const levels = (events: EscalationEvent[]) => events.filter((e) => e.type === 'level').map((e) => (e.type === 'level' ? e.level : ''));
const shutdowns = (events: EscalationEvent[]) => events.filter((e) => e.type === 'shutdown');

describe('levels rise with flags and fall with time', () => {
  test('normal → watch → alert → shutdown, each change reported once', () => {
    const esc = new Escalation(DEFAULT_ESCALATION);
    const all: EscalationEvent[] = [];
    all.push(...esc.onFlag('r1', flag('全网最低价'), T0)); // 4 → watch
    all.push(...esc.onFlag('r1', flag('销量第一'), T0 + 5 * S)); // 4·0.97 + 4 ≈ 7.9, still watch
    all.push(...esc.onFlag('r1', flag('根治'), T0 + 10 * S)); // ≈ 11.7 → alert
    expect(esc.level('r1')).toBe('alert');
    all.push(...esc.onFlag('r1', flag('降血压'), T0 + 15 * S)); // ≈ 15.3: not yet
    all.push(...esc.onFlag('r1', flag('抗癌', 'medium'), T0 + 16 * S)); // ≈ 17.2 → shutdown
    expect(levels(all)).toEqual(['watch', 'alert', 'shutdown']);
    expect(shutdowns(all)).toHaveLength(1);
    expect(esc.isShutDown('r1')).toBe(true);
  });

  test('risk decays with a two-minute half-life and the level falls back', () => {
    const esc = new Escalation(DEFAULT_ESCALATION);
    esc.onFlag('r1', flag('最低价'), T0);
    esc.onFlag('r1', flag('第一品牌'), T0);
    expect(esc.level('r1')).toBe('alert');
    expect(levels(esc.onTick('r1', T0 + 120 * S))).toEqual(['watch']); // 8 → 4
    expect(esc.risk('r1')).toBeCloseTo(4, 5);
    expect(levels(esc.onTick('r1', T0 + 240 * S))).toEqual(['normal']); // → 2
  });

  test('an event with an older timestamp does not make time run backwards', () => {
    const esc = new Escalation(DEFAULT_ESCALATION);
    esc.onFlag('r1', flag('最低价'), T0 + 60 * S);
    esc.onFlag('r1', flag('第一品牌'), T0); // late: adds weight without decaying or rewinding
    expect(esc.risk('r1')).toBeCloseTo(8, 5);
  });

  test('streams are independent', () => {
    const esc = new Escalation(DEFAULT_ESCALATION);
    esc.onFlag('a', flag('最低价'), T0);
    esc.onFlag('a', flag('第一品牌'), T0);
    expect(esc.level('a')).toBe('alert');
    expect(esc.level('b')).toBe('normal');
  });
});

describe('what raises the weight', () => {
  test('repetition of one term, evasion and an active PK each add weight', () => {
    const w = (o: Partial<Parameters<typeof flagWeight>[1]>) =>
      flagWeight(DEFAULT_ESCALATION, { severity: 'medium', evasion: false, priorSameTerm: 0, pkActive: false, ...o });
    expect(w({})).toBe(2);
    expect(w({ priorSameTerm: 1 })).toBe(3);
    expect(w({ priorSameTerm: 10 })).toBe(6); // capped at ×3
    expect(w({ evasion: true })).toBe(3);
    expect(w({ pkActive: true })).toBe(3);
    expect(w({ severity: 'high', evasion: true, pkActive: true })).toBe(9);
  });

  test('the same high claim three times shuts a stream down; three different ones do not', () => {
    const same = new Escalation(DEFAULT_ESCALATION);
    for (let i = 0; i < 3; i++) same.onFlag('r1', flag('全网最低价'), T0 + i * S);
    expect(same.isShutDown('r1')).toBe(true);
    const different = new Escalation(DEFAULT_ESCALATION);
    ['全网最低价', '销量第一', '根治'].forEach((t, i) => different.onFlag('r1', flag(t), T0 + i * S));
    expect(different.level('r1')).toBe('alert');
  });

  test('two disguised high claims during a PK shut a stream down', () => {
    const esc = new Escalation(DEFAULT_ESCALATION);
    esc.onPk('r1', 'start', T0);
    esc.onFlag('r1', flag('加微信', 'high', true), T0 + S);
    const events = esc.onFlag('r1', flag('全网最低价', 'high', true), T0 + 2 * S);
    expect(shutdowns(events)).toHaveLength(1);
  });

  test('after the PK ends the same claims weigh less', () => {
    const esc = new Escalation(DEFAULT_ESCALATION);
    esc.onPk('r1', 'start', T0);
    esc.onPk('r1', 'end', T0 + S);
    esc.onFlag('r1', flag('加微信', 'high', true), T0 + 2 * S);
    expect(esc.risk('r1')).toBeCloseTo(6, 5);
  });
});

describe('exactly one shutdown per epoch', () => {
  test('a critical flag shuts down at once; later flags and manual shutdowns emit nothing more', () => {
    const esc = new Escalation(DEFAULT_ESCALATION);
    const first = esc.onFlag('r1', flag('治癌', 'critical'), T0);
    expect(shutdowns(first)).toMatchObject([{ stream: 'r1', epoch: 1, manual: false }]);
    expect(shutdowns(esc.onFlag('r1', flag('治癌', 'critical'), T0 + S))).toEqual([]);
    for (let i = 0; i < 10; i++) expect(shutdowns(esc.onFlag('r1', flag('最低价'), T0 + i * S))).toEqual([]);
    expect(esc.shutdown('r1', 'moderator', T0 + 20 * S)).toEqual([]);
  });

  test('the shutdown names the flags that led to it', () => {
    const esc = new Escalation(DEFAULT_ESCALATION);
    const a = flag('全网最低价');
    const b = flag('全网最低价');
    const c = flag('全网最低价');
    esc.onFlag('r1', a, T0);
    esc.onFlag('r1', b, T0);
    const [shutdown] = shutdowns(esc.onFlag('r1', c, T0));
    expect(shutdown).toMatchObject({ flagIds: [a.id, b.id, c.id] });
  });

  test('restore lifts it and starts a new epoch from zero risk; a later shutdown is epoch 2', () => {
    const esc = new Escalation(DEFAULT_ESCALATION);
    esc.shutdown('r1', 'moderator saw a QR code', T0);
    expect(esc.isShutDown('r1')).toBe(true);
    const restored = esc.restore('r1', T0 + S);
    expect(restored.map((e) => e.type)).toEqual(['restore', 'level']);
    expect(esc.risk('r1')).toBe(0);
    expect(esc.level('r1')).toBe('normal');
    const again = esc.onFlag('r1', flag('治癌', 'critical'), T0 + 2 * S);
    expect(shutdowns(again)).toMatchObject([{ epoch: 2 }]);
  });

  test('restore on a stream that is not shut down does nothing', () => {
    const esc = new Escalation(DEFAULT_ESCALATION);
    esc.onFlag('r1', flag('最低价'), T0);
    expect(esc.restore('r1', T0 + S)).toEqual([]);
    expect(esc.restore('unknown', T0 + S)).toEqual([]);
  });

  test('ending a shut-down stream keeps it shut down; ending a normal one forgets it', () => {
    const esc = new Escalation(DEFAULT_ESCALATION);
    esc.shutdown('a', 'x', T0);
    esc.onFlag('b', flag('最低价'), T0);
    esc.end('a');
    esc.end('b');
    expect(esc.isShutDown('a')).toBe(true);
    expect(esc.risk('b')).toBe(0);
  });
});

describe('chat', () => {
  const chat = (term: string, severity: Severity = 'high') => ({ ...flag(term, severity), kind: 'chat' as const });

  test('viewers’ chat raises no risk by default, not even a critical claim', () => {
    const e = new Escalation(DEFAULT_ESCALATION);
    for (let i = 0; i < 10; i++) expect(e.onFlag('r', chat('全网最低价'), T0 + i * S)).toEqual([]);
    expect(e.onFlag('r', chat('治癌', 'critical'), T0 + 11 * S)).toEqual([]);
    expect(e.risk('r')).toBe(0);
    // ...and does not count as a repetition of the host's claims.
    e.onFlag('r', flag('全网最低价'), T0 + 12 * S);
    expect(e.risk('r')).toBe(4);
  });

  test('a platform that holds hosts responsible for chat sets chatMultiplier', () => {
    const e = new Escalation(escalationConfigSchema.parse({ chatMultiplier: 0.5 }));
    e.onFlag('r', chat('全网最低价'), T0);
    expect(e.risk('r')).toBe(2);
    expect(shutdowns(e.onFlag('r', chat('治癌', 'critical'), T0))).toEqual([]);
  });

  test('recover sets the journaled shutdown state without emitting anything', () => {
    const e = new Escalation(DEFAULT_ESCALATION);
    e.recover('r', { shutDown: true, epoch: 3 }, T0);
    expect(e.isShutDown('r')).toBe(true);
    expect(e.onFlag('r', flag('治癌', 'critical'), T0 + S)).toEqual([]);
    const restored = e.restore('r', T0 + 2 * S);
    expect(restored[0]).toMatchObject({ type: 'restore', epoch: 3 });
    expect(shutdowns(e.onFlag('r', flag('治癌', 'critical'), T0 + 3 * S))[0]).toMatchObject({ epoch: 4 });
  });
});

describe('dismiss', () => {
  test('removes the flag’s weight as decayed so far, and the level falls', () => {
    const esc = new Escalation(DEFAULT_ESCALATION);
    const a = flag('最低价');
    esc.onFlag('r1', a, T0);
    esc.onFlag('r1', flag('第一品牌'), T0);
    expect(esc.level('r1')).toBe('alert');
    const events = esc.dismiss('r1', a.id, T0 + 120 * S)!;
    expect(esc.risk('r1')).toBeCloseTo(2, 5); // both halved to 2 each; one removed
    expect(levels(events)).toEqual(['normal']);
  });

  test('a dismissed flag no longer counts as a repetition', () => {
    const esc = new Escalation(DEFAULT_ESCALATION);
    const a = flag('最低价');
    esc.onFlag('r1', a, T0);
    esc.dismiss('r1', a.id, T0);
    esc.onFlag('r1', flag('最低价'), T0);
    expect(esc.risk('r1')).toBeCloseTo(4, 5);
  });

  test('an unknown flag id is reported as such', () => {
    const esc = new Escalation(DEFAULT_ESCALATION);
    expect(esc.dismiss('r1', 'f999', T0)).toBeUndefined();
  });
});

describe('config', () => {
  test('thresholds must rise', () => {
    const r = escalationConfigSchema.safeParse({ thresholds: { watch: 5, alert: 4, shutdown: 10 } });
    expect(r.success).toBe(false);
  });
  test('unknown fields are refused', () => {
    expect(escalationConfigSchema.safeParse({ halfLife: 3 }).success).toBe(false);
  });
});

test('an epoch outlives the end of its stream: a shutdown after restore, end and new flags is the next epoch, in snapshots too', () => {
  const e = new Escalation(DEFAULT_ESCALATION);
  expect(e.shutdown('s', 'first', 1).find((x) => x.type === 'shutdown')).toMatchObject({ epoch: 1 });
  e.restore('s', 2);
  e.end('s');
  expect(e.epochs()).toEqual({ s: 1 });
  expect(e.shutdown('s', 'second', 3).find((x) => x.type === 'shutdown')).toMatchObject({ epoch: 2 });
});
