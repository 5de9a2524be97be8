/**
 * Shadow lexicon metrics, in the server's registry: `pkguard_shadow_flags_total{category}` (flags the
 * shadow lexicon raised) and `pkguard_shadow_changes_total{category,change}` (`gained`: shadow flags
 * no live flag matches; `lost`: live flags no shadow flag matches).
 */
import { Counter, type Registry } from 'prom-client';
import type { ShadowOutcome } from './shadow-lane.js';

export class ShadowMetrics {
  readonly flags: Counter<'category'>;
  readonly changes: Counter<'category' | 'change'>;

  constructor(registry: Registry) {
    this.flags = new Counter({ name: 'pkguard_shadow_flags_total', help: 'Flags the shadow lexicon raised (never escalated), by category', labelNames: ['category'] as const, registers: [registry] });
    this.changes = new Counter({ name: 'pkguard_shadow_changes_total', help: 'Shadow lexicon against live, per message: flags gained (shadow only) and lost (live only), by category', labelNames: ['category', 'change'] as const, registers: [registry] });
  }

  count(o: ShadowOutcome): void {
    for (const f of o.flags) this.flags.inc({ category: f.category });
    const gained = new Set(o.gained);
    for (const f of o.flags) if (gained.has(f.id)) this.changes.inc({ category: f.category, change: 'gained' });
    const lost = new Set(o.lost);
    for (const f of o.live) if (lost.has(f.id)) this.changes.inc({ category: f.category, change: 'lost' });
  }
}
