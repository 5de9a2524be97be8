/** The e2e generator's connections (bench/e2e/loadgen.ts dealStreams) and the hint they send (src/client/ingest-socket.ts). */
import { describe, expect, it } from 'vitest';
import { dealStreams } from '../../bench/e2e/loadgen.js';
import { ingestUrl } from '../../src/client/ingest-socket.js';
import { hintedOwner } from '../../src/node/connection-hint.js';
import { ownerOfStream } from '../../src/node/owner-of.js';

describe('dealStreams', () => {
  it('one owner: round-robin over the connections', () => {
    expect(dealStreams(7, 3, 1)).toEqual([[0, 3, 6], [1, 4], [2, 5]]);
  });

  it('several owners: every stream on exactly one connection, each connection one owner\'s, spread evenly, and its hint names that owner', () => {
    for (const [streams, connections, owners] of [[2000, 20, 2], [2000, 20, 3], [50, 4, 2], [10, 1, 2], [30, 2, 3]] as const) {
      const dealt = dealStreams(streams, connections, owners);
      expect(dealt.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: streams }, (_, s) => s));
      if (connections < owners) continue;
      for (const [c, ss] of dealt.entries()) {
        expect(new Set(ss.map((s) => ownerOfStream(`s${s}`, owners)))).toEqual(new Set([c % owners]));
        const url = ingestUrl('ws://h:1', false, ss.map((s) => `s${s}`));
        expect(hintedOwner(`GET ${url.pathname}${url.search} HTTP/1.1`, owners)).toBe(c % owners);
      }
      const sizes = dealt.map((ss) => ss.length);
      if (streams >= 2000) expect(Math.max(...sizes) / Math.min(...sizes)).toBeLessThan(1.3);
    }
  });
});
