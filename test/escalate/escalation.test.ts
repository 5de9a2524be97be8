/**
 * Escalation driven by event time (a virtual clock: every call carries its `ts`), with the default
 * weights documented in src/escalate/risk.ts: incidents (one per message), sustain, critical claims,
 * recommend mode, dismiss and retract.
 */
import { describe, expect, test } from 'vitest';
import { Escalation, type EscalationEvent, type MessageFacts } from '../../src/escalate/escalation.js';
import { DEFAULT_ESCALATION, escalationConfigSchema, flagWeight, type EscalationConfig } from '../../src/escalate/risk.js';
import type { Severity } from '../../src/flag.js';

let next = 1;
let seq = 1;
const flag = (term: string, severity: Severity = 'high', evasion = false) => ({ id: `f${next++}`, term, severity, evasion });
type F = ReturnType<typeof flag>;
const T0 = 1_700_000_000_000;
const S = 1000;

/** One final transcript message (one incident) with these flags. */
const say = (e: Escalation, stream: string, ts: number, ...flags: F[]) => e.onMessage(stream, { seq: seq++, kind: 'transcript', final: true }, flags, ts);
const msg = (e: Escalation, stream: string, ts: number, facts: Partial<MessageFacts>, ...flags: F[]) =>
  e.onMessage(stream, { seq: seq++, kind: 'transcript', final: true, ...facts }, flags, ts);

const levels = (events: readonly EscalationEvent[]) => events.filter((e) => e.type === 'level').map((e) => (e.type === 'level' ? e.level : ''));
const shutdowns = (events: readonly EscalationEvent[]) => events.filter((e) => e.type === 'shutdown');
const config = (o: object): EscalationConfig => escalationConfigSchema.parse(o);

describe('incidents, not flags', () => {
  test('flags of one sentence weigh as its strongest flag, not their sum', () => {
    const e = new Escalation(DEFAULT_ESCALATION);
    say(e, 'r', T0, flag('全网最低价'), flag('别家都没有'), flag('销量第一'), flag('第一', 'medium'));
    expect(e.risk('r')).toBe(4);
  });

  test('one sentence, however loaded, never shuts a stream down without a critical claim', () => {
    const e = new Escalation(DEFAULT_ESCALATION);
    e.onPk('r', 'start', T0);
    const flags = Array.from({ length: 30 }, (_, i) => flag(`claim${i}`, 'high', true));
    const events = say(e, 'r', T0 + S, ...flags);
    expect(shutdowns(events)).toEqual([]);
    expect(e.level('r')).toBe('alert');
  });

  test('repetition counts across incidents: the same claim in three sentences shuts down; within one sentence it does not repeat', () => {
    const same = new Escalation(DEFAULT_ESCALATION);
    say(same, 'r', T0, flag('全网最低价'));
    say(same, 'r', T0 + 5 * S, flag('全网最低价'));
    expect(same.risk('r')).toBeCloseTo(4 * Math.pow(0.5, 5 / 120) + 6, 5);
    const [shut] = shutdowns(say(same, 'r', T0 + 10 * S, flag('全网最低价')));
    expect(shut).toMatchObject({ manual: false, epoch: 1 });
    expect(shut!.reason).toMatch(/over 3 incidents/);

    const once = new Escalation(DEFAULT_ESCALATION);
    say(once, 'r', T0, flag('全网最低价'), flag('全网最低价'), flag('全网最低价'));
    expect(once.risk('r')).toBe(4);
  });

  test('risk over the threshold with too few incidents stays at alert (sustain)', () => {
    const e = new Escalation(config({ weights: { low: 1, medium: 2, high: 15 } }));
    say(e, 'r', T0, flag('a'));
    say(e, 'r', T0 + S, flag('b'));
    expect(e.risk('r')).toBeGreaterThan(20);
    expect(e.level('r')).toBe('alert');
    expect(shutdowns(say(e, 'r', T0 + 2 * S, flag('c')))).toHaveLength(1);
  });

  test('incidents outside the sustain window do not count toward it, and repetition forgets them', () => {
    const e = new Escalation(DEFAULT_ESCALATION);
    say(e, 'r', T0, flag('全网最低价'));
    say(e, 'r', T0 + 400 * S, flag('全网最低价')); // the first is > 5 min back
    expect(e.risk('r')).toBeCloseTo(4 * Math.pow(0.5, 400 / 120) + 4, 5);
  });

  test('a critical claim shuts down at once; later flags and manual shutdowns emit nothing more', () => {
    const e = new Escalation(DEFAULT_ESCALATION);
    const first = say(e, 'r1', T0, flag('治癌', 'critical'));
    expect(shutdowns(first)).toMatchObject([{ stream: 'r1', epoch: 1, manual: false }]);
    expect(shutdowns(say(e, 'r1', T0 + S, flag('治癌', 'critical')))).toEqual([]);
    expect(e.shutdown('r1', 'moderator', T0 + 20 * S)).toEqual([]);
  });

  test('levels rise and decay with a two-minute half-life', () => {
    const e = new Escalation(DEFAULT_ESCALATION);
    expect(levels(say(e, 'r', T0, flag('最低价')))).toEqual(['watch']);
    expect(levels(say(e, 'r', T0, flag('第一品牌')))).toEqual(['alert']);
    expect(levels(e.onTick('r', T0 + 120 * S))).toEqual(['watch']);
    expect(e.risk('r')).toBeCloseTo(4, 5);
    expect(levels(e.onTick('r', T0 + 240 * S))).toEqual(['normal']);
  });

  test('the shutdown names the flags that led to it', () => {
    const e = new Escalation(DEFAULT_ESCALATION);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const f = flag('全网最低价');
      ids.push(f.id);
      const events = say(e, 'r', T0 + i * S, f);
      if (i === 2) expect(shutdowns(events)[0]).toMatchObject({ flagIds: ids });
    }
  });
});

describe('what raises the weight', () => {
  test('repetition, evasion, PK and the speaker each change it', () => {
    const w = (o: Partial<Parameters<typeof flagWeight>[1]>) => flagWeight(DEFAULT_ESCALATION, { severity: 'medium', evasion: false, priorIncidents: 0, pkActive: false, ...o });
    expect(w({})).toBe(2);
    expect(w({ priorIncidents: 1 })).toBe(3);
    expect(w({ priorIncidents: 10 })).toBe(6); // capped at ×3
    expect(w({ evasion: true })).toBe(3);
    expect(w({ pkActive: true })).toBe(3);
    expect(w({ speaker: 'guest' })).toBe(2);
    expect(w({ speaker: 'opponent' })).toBe(0);
    expect(w({ severity: 'high', evasion: true, pkActive: true })).toBe(9);
  });

  test('a PK opponent heard in the host’s stream raises nothing there, not even a critical claim', () => {
    const e = new Escalation(DEFAULT_ESCALATION);
    for (let i = 0; i < 5; i++) expect(msg(e, 'r', T0 + i * S, { speaker: 'opponent' }, flag('全网最低价'))).toEqual([]);
    expect(msg(e, 'r', T0 + 6 * S, { speaker: 'opponent' }, flag('治癌', 'critical'))).toEqual([]);
    expect(e.risk('r')).toBe(0);
  });

  test('a co-stream guest’s critical claim shuts the stream down like the host’s', () => {
    const e = new Escalation(DEFAULT_ESCALATION);
    expect(shutdowns(msg(e, 'r', T0, { speaker: 'guest' }, flag('治癌', 'critical')))).toHaveLength(1);
  });
});

describe('chat', () => {
  const chat = (e: Escalation, stream: string, ts: number, ...flags: F[]) => e.onMessage(stream, { seq: seq++, kind: 'chat', final: true }, flags, ts);

  test('viewers’ chat raises no risk by default, not even a critical claim, and is no repetition of the host', () => {
    const e = new Escalation(DEFAULT_ESCALATION);
    for (let i = 0; i < 10; i++) expect(chat(e, 'r', T0 + i * S, flag('全网最低价'))).toEqual([]);
    expect(chat(e, 'r', T0 + 11 * S, flag('治癌', 'critical'))).toEqual([]);
    expect(e.risk('r')).toBe(0);
    say(e, 'r', T0 + 12 * S, flag('全网最低价'));
    expect(e.risk('r')).toBe(4);
  });

  test('with chatMultiplier a chat line adds weight but a critical one does not shut down by itself', () => {
    const e = new Escalation(config({ chatMultiplier: 0.5 }));
    chat(e, 'r', T0, flag('全网最低价'));
    expect(e.risk('r')).toBe(2);
    expect(shutdowns(chat(e, 'r', T0, flag('治癌', 'critical')))).toEqual([]);
  });
});

describe('partials', () => {
  test('a partial’s critical claim waits for its final; a retracted one never shuts down', () => {
    const e = new Escalation(DEFAULT_ESCALATION);
    const c = flag('治癌', 'critical');
    expect(shutdowns(e.onMessage('r', { seq: 50, kind: 'transcript', final: false }, [c], T0))).toEqual([]);
    expect(e.risk('r')).toBe(4);
    const retract = e.retract('r', 50, c.id, T0 + S);
    expect(retract[0]).toEqual({ type: 'retract', stream: 'r', seq: 50, flagId: c.id, ts: T0 + S });
    expect(levels(retract)).toEqual(['normal']);
    expect(e.risk('r')).toBe(0);
    expect(shutdowns(e.onMessage('r', { seq: 50, kind: 'transcript', final: true }, [], T0 + S))).toEqual([]);
  });

  test('a partial’s critical claim the final keeps shuts down on the final (which reports nothing new)', () => {
    const e = new Escalation(DEFAULT_ESCALATION);
    e.onMessage('r', { seq: 60, kind: 'transcript', final: false }, [flag('治癌', 'critical')], T0);
    expect(shutdowns(e.onMessage('r', { seq: 60, kind: 'transcript', final: true }, [], T0 + S))).toHaveLength(1);
  });

  test('a partial and its final are one incident', () => {
    const e = new Escalation(DEFAULT_ESCALATION);
    e.onMessage('r', { seq: 70, kind: 'transcript', final: false }, [flag('全网最低价')], T0);
    e.onMessage('r', { seq: 70, kind: 'transcript', final: true }, [flag('销量第一')], T0);
    expect(e.risk('r')).toBe(4);
  });
});

describe('recommend mode', () => {
  const rec = config({ mode: 'recommend' });

  test('a critical claim recommends instead of shutting down; confirm turns it into the shutdown', () => {
    const e = new Escalation(rec);
    const c = flag('治癌', 'critical');
    const events = say(e, 'r', T0, c);
    expect(shutdowns(events)).toEqual([]);
    expect(events.find((x) => x.type === 'recommend')).toMatchObject({ stream: 'r', flagIds: [c.id] });
    expect(e.level('r')).toBe('alert');
    expect(e.recommendation('r')).toMatch(/critical/);
    // Further incidents do not recommend again while one waits.
    expect(say(e, 'r', T0 + S, flag('治癌', 'critical')).filter((x) => x.type === 'recommend')).toEqual([]);
    const [shut] = shutdowns(e.confirm('r', T0 + 2 * S));
    expect(shut).toMatchObject({ confirmed: true, manual: true, epoch: 1, flagIds: [c.id] });
    expect(e.isShutDown('r')).toBe(true);
    expect(e.confirm('r', T0 + 3 * S)).toEqual([]);
  });

  test('decline clears it; the next incident that warrants it recommends again', () => {
    const e = new Escalation(rec);
    say(e, 'r', T0, flag('治癌', 'critical'));
    expect(e.decline('r', T0 + S).map((x) => x.type)).toEqual(['decline', 'level']);
    expect(e.recommendation('r')).toBeUndefined();
    expect(e.decline('r', T0 + S)).toEqual([]);
    expect(say(e, 'r', T0 + 2 * S, flag('治癌', 'critical')).some((x) => x.type === 'recommend')).toBe(true);
  });

  test('snapshots keep pending recommendations', () => {
    const e = new Escalation(rec);
    say(e, 'r', T0, flag('治癌', 'critical'));
    const again = new Escalation(rec);
    for (const r of e.recommendations()) again.recoverRecommendation(r.stream, r);
    expect(again.recommendation('r')).toBe(e.recommendation('r'));
    expect(again.level('r')).toBe('alert');
  });
});

describe('epochs, restore, recover', () => {
  test('restore lifts it and starts a new epoch from zero risk; a later shutdown is epoch 2', () => {
    const e = new Escalation(DEFAULT_ESCALATION);
    e.shutdown('r1', 'moderator saw a QR code', T0);
    const restored = e.restore('r1', T0 + S);
    expect(restored.map((x) => x.type)).toEqual(['restore', 'level']);
    expect(e.risk('r1')).toBe(0);
    expect(shutdowns(say(e, 'r1', T0 + 2 * S, flag('治癌', 'critical')))).toMatchObject([{ epoch: 2 }]);
  });

  test('ending a shut-down stream keeps it shut down; ending a normal one forgets it', () => {
    const e = new Escalation(DEFAULT_ESCALATION);
    e.shutdown('a', 'x', T0);
    say(e, 'b', T0, flag('最低价'));
    e.end('a');
    e.end('b');
    expect(e.isShutDown('a')).toBe(true);
    expect(e.risk('b')).toBe(0);
  });

  test('recover sets the journaled shutdown state without emitting anything', () => {
    const e = new Escalation(DEFAULT_ESCALATION);
    e.recover('r', { shutDown: true, epoch: 3 }, T0);
    expect(say(e, 'r', T0 + S, flag('治癌', 'critical'))).toEqual([]);
    expect(e.restore('r', T0 + 2 * S)[0]).toMatchObject({ type: 'restore', epoch: 3 });
    expect(shutdowns(say(e, 'r', T0 + 3 * S, flag('治癌', 'critical')))[0]).toMatchObject({ epoch: 4 });
  });

  test('a snapshot’s incidents keep counting: repetition and sustain go on after it', () => {
    const e = new Escalation(DEFAULT_ESCALATION);
    say(e, 'r', T0, flag('全网最低价'));
    say(e, 'r', T0 + S, flag('全网最低价'));
    const again = new Escalation(DEFAULT_ESCALATION);
    again.restoreRisk('r', e.risks().toJSON()['r']!);
    expect(shutdowns(say(again, 'r', T0 + 2 * S, flag('全网最低价')))).toHaveLength(1);
  });

  test('an epoch outlives the end of its stream', () => {
    const e = new Escalation(DEFAULT_ESCALATION);
    expect(e.shutdown('s', 'first', 1).find((x) => x.type === 'shutdown')).toMatchObject({ epoch: 1 });
    e.restore('s', 2);
    e.end('s');
    expect(e.epochs()).toEqual({ s: 1 });
    expect(e.shutdown('s', 'second', 3).find((x) => x.type === 'shutdown')).toMatchObject({ epoch: 2 });
  });
});

describe('dismiss', () => {
  test('removes the flag’s weight as decayed so far, and the level falls', () => {
    const e = new Escalation(DEFAULT_ESCALATION);
    const a = flag('最低价');
    say(e, 'r1', T0, a);
    say(e, 'r1', T0, flag('第一品牌'));
    const events = e.dismiss('r1', a.id, T0 + 120 * S)!;
    expect(e.risk('r1')).toBeCloseTo(2, 5);
    expect(levels(events)).toEqual(['normal']);
  });

  test('dismissing the strongest flag of an incident leaves the next strongest', () => {
    const e = new Escalation(DEFAULT_ESCALATION);
    const a = flag('全网最低价');
    say(e, 'r', T0, a, flag('第一', 'medium'));
    e.dismiss('r', a.id, T0);
    expect(e.risk('r')).toBe(2);
  });

  test('a dismissed flag no longer counts as a repetition; an unknown one is reported as such', () => {
    const e = new Escalation(DEFAULT_ESCALATION);
    const a = flag('最低价');
    say(e, 'r1', T0, a);
    e.dismiss('r1', a.id, T0);
    say(e, 'r1', T0, flag('最低价'));
    expect(e.risk('r1')).toBeCloseTo(4, 5);
    expect(e.dismiss('r1', 'f999999', T0)).toBeUndefined();
  });
});

describe('config', () => {
  test('thresholds must rise; unknown fields and modes are refused', () => {
    expect(escalationConfigSchema.safeParse({ thresholds: { watch: 5, alert: 4, shutdown: 10 } }).success).toBe(false);
    expect(escalationConfigSchema.safeParse({ halfLife: 3 }).success).toBe(false);
    expect(escalationConfigSchema.safeParse({ mode: 'warn' }).success).toBe(false);
    expect(DEFAULT_ESCALATION.mode).toBe('enforce');
  });
});
