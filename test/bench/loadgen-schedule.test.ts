/** The e2e generator's schedule (bench/e2e/loadgen.ts): frames of exactly `--batch` messages, each due when its last message is. */
import { describe, expect, it } from 'vitest';
import { batchesDue, frameDueMs, phaseLead } from '../../bench/e2e/loadgen.js';

describe('batchesDue', () => {
  it('a connection at 2,000 msg/s with batches of 20 owes no frame before 10 ms, then one per 10 ms', () => {
    expect(batchesDue(0.001, 2000, 0, 20)).toBe(0); // 2 messages due: not a frame yet
    expect(batchesDue(0.0099, 2000, 0, 20)).toBe(0);
    expect(batchesDue(0.01, 2000, 0, 20)).toBe(1);
    expect(batchesDue(0.0255, 2000, 0, 20)).toBe(2);
    expect(batchesDue(0.0255, 2000, 40, 20)).toBe(0); // both sent
    expect(batchesDue(0.031, 2000, 40, 20)).toBe(1);
  });

  it('a generator that woke late owes every whole frame since, and never a partial one', () => {
    expect(batchesDue(1, 2000, 0, 20)).toBe(100);
    expect(batchesDue(1, 2000, 1990, 20)).toBe(0); // 10 due: waits for the other 10
    expect(batchesDue(0.5, 500, 300, 20)).toBe(0); // ahead of schedule
  });

  it('sending what it owes at every wake-up makes frames of exactly the batch size', () => {
    const rate = 2000;
    const batch = 20;
    let sent = 0;
    const frames: number[] = [];
    for (let ms = 0; ms <= 1001; ms += 1.3) {
      for (let b = batchesDue(ms / 1000, rate, sent, batch); b > 0; b--) {
        frames.push(frameDueMs(sent, batch, rate));
        sent += batch;
      }
    }
    expect(sent).toBe(2000 - (2000 % batch));
    // Each frame is due when its last message is: every 10 ms, from 10 ms.
    expect(frames.slice(0, 3)).toEqual([10, 20, 30]);
    expect(frames.length).toBe(100);
  });
});

describe('frameDueMs', () => {
  it("is the frame's last message's due time", () => {
    expect(frameDueMs(0, 20, 2000)).toBe(10);
    expect(frameDueMs(20, 20, 2000)).toBe(20);
    expect(frameDueMs(0, 1, 100)).toBe(10);
  });
});

describe('phaseLead', () => {
  it("spreads the connections' frames evenly over a batch's interval instead of all at one instant", () => {
    const rate = 50; // msg/s per connection: a batch of 20 every 400 ms
    const firstDue = Array.from({ length: 20 }, (_, c) => {
      const lead = phaseLead(c, 20, 20);
      // The first moment (1 ms steps) at which the connection owes a frame, and that frame's due time.
      let ms = 0;
      while (batchesDue(ms / 1000, rate, 0, 20, lead) === 0) ms++;
      return { ms, due: frameDueMs(0, 20, rate, lead) };
    });
    expect(new Set(firstDue.map((f) => f.due)).size).toBe(20);
    const dues = firstDue.map((f) => f.due).sort((a, b) => a - b);
    for (let i = 1; i < dues.length; i++) expect(dues[i]! - dues[i - 1]!).toBeCloseTo(20, 6); // 400 ms / 20 connections
    // Each is sent when due (to the millisecond), and never before.
    for (const f of firstDue) expect(f.ms).toBe(Math.ceil(f.due));
  });

  it('connection 0 keeps the common schedule', () => {
    expect(phaseLead(0, 20, 20)).toBe(0);
  });
});
