/**
 * Counters and a histogram for the per-message path, in the Prometheus text prom-client writes,
 * registered in its registry. prom-client's `observe`/`inc` allocate a labels object and hash the
 * labels into a string on every call (about 1% of the server's busy time at 10k msg/s in
 * bench:e2e --profile, for three calls per message); these do a bucket search or a Map lookup and
 * an add. Read only when `/metrics` is scraped.
 */
import type { Metric, Registry } from 'prom-client';

type Labels<L extends string> = Partial<Record<L, string | number>>;

interface Registered {
  name: string;
  help: string;
  registers: Registry[];
}

function register(metric: object, registers: Registry[]): void {
  for (const r of registers) r.registerMetric(metric as Metric);
}

/** A histogram without labels. */
export class FastHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #bounds: Float64Array;
  /** Per bucket (not cumulative); the last one is +Inf. */
  readonly #counts: Float64Array;
  #sum = 0;
  #count = 0;

  constructor(o: Registered & { buckets: number[] }) {
    this.name = o.name;
    this.help = o.help;
    this.#bounds = Float64Array.from(o.buckets);
    this.#counts = new Float64Array(o.buckets.length + 1);
    register(this, o.registers);
  }

  observe(value: number): void {
    const b = this.#bounds;
    let i = 0;
    while (i < b.length && value > b[i]!) i++;
    this.#counts[i]!++;
    this.#sum += value;
    this.#count++;
  }

  reset(): void {
    this.#counts.fill(0);
    this.#sum = 0;
    this.#count = 0;
  }

  async get() {
    const values: { value: number; labels: Record<string, string | number>; metricName: string }[] = [];
    let acc = 0;
    for (let i = 0; i < this.#bounds.length; i++) {
      acc += this.#counts[i]!;
      values.push({ value: acc, labels: { le: this.#bounds[i]! }, metricName: `${this.name}_bucket` });
    }
    values.push({ value: this.#count, labels: { le: '+Inf' }, metricName: `${this.name}_bucket` });
    values.push({ value: this.#sum, labels: {}, metricName: `${this.name}_sum` });
    values.push({ value: this.#count, labels: {}, metricName: `${this.name}_count` });
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

/** A counter with zero, one or two labels. */
export class FastCounter<L extends string = never> {
  readonly name: string;
  readonly help: string;
  readonly type = 'counter';
  readonly aggregator = 'sum';
  readonly #labelNames: readonly L[];
  readonly #values = new Map<string, { labels: Labels<L>; value: number }>();

  constructor(o: Registered & { labelNames?: readonly L[] }) {
    this.name = o.name;
    this.help = o.help;
    this.#labelNames = o.labelNames ?? [];
    register(this, o.registers);
  }

  inc(labels?: Labels<L> | number, value?: number): void {
    let by = 1;
    let l: Labels<L> = {};
    if (typeof labels === 'number') by = labels;
    else {
      if (labels) l = labels;
      if (value !== undefined) by = value;
    }
    if (!(by >= 0) || !Number.isFinite(by)) throw new TypeError(`${this.name}: a counter only goes up (got ${by})`);
    const names = this.#labelNames;
    const key = names.length === 0 ? '' : names.length === 1 ? String(l[names[0]!]) : names.map((n) => String(l[n])).join('\u0000');
    const slot = this.#values.get(key);
    if (slot) slot.value += by;
    else {
      const kept: Labels<L> = {};
      for (const n of names) if (l[n] !== undefined) kept[n] = l[n];
      this.#values.set(key, { labels: kept, value: by });
    }
  }

  reset(): void {
    this.#values.clear();
  }

  async get() {
    const values = [...this.#values.values()].map((v) => ({ value: v.value, labels: { ...v.labels } as Record<string, string | number> }));
    if (values.length === 0 && this.#labelNames.length === 0) values.push({ value: 0, labels: {} });
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}
