/** TurnQueue (src/runtime/turn-queue.ts): one flush per event-loop turn, in order, nothing lost or repeated. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TurnQueue } from '../../src/runtime/turn-queue.js';

const turn = () => new Promise((r) => setImmediate(r));

describe('TurnQueue', () => {
  it('everything pushed in one turn (sync code, microtasks, I/O callbacks) is flushed together, once', async () => {
    const flushes: number[][] = [];
    const q = new TurnQueue<number>((items) => flushes.push(items));
    q.push(1);
    q.push(2);
    await Promise.resolve();
    q.push(3);
    expect(flushes).toEqual([]);
    expect(q.length).toBe(3);
    await turn();
    expect(flushes).toEqual([[1, 2, 3]]);
    expect(q.length).toBe(0);
    await turn();
    expect(flushes).toHaveLength(1);
  });

  it('a push during a flush goes into the next flush', async () => {
    const flushes: string[][] = [];
    const q: TurnQueue<string> = new TurnQueue((items) => {
      flushes.push(items);
      if (items.includes('a')) q.push('during');
    });
    q.push('a');
    await turn();
    await turn();
    expect(flushes).toEqual([['a'], ['during']]);
  });

  it('against a model: over random turns, the flushes concatenate to the pushes in order, one flush per turn that pushed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(fc.integer(), { maxLength: 5 }), { maxLength: 12 }), async (turns) => {
        const flushes: number[][] = [];
        const q = new TurnQueue<number>((items) => flushes.push(items));
        for (const items of turns) {
          for (const x of items) q.push(x);
          await turn();
        }
        expect(flushes).toEqual(turns.filter((t) => t.length > 0));
      }),
      { numRuns: 50 },
    );
  });
});
