/**
 * A minimal Prometheus registry: counters, gauges and histograms with labels, rendered in the
 * text exposition format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/).
 * Small on purpose: Tandem's metrics are a fixed set, so there is no need for prom-client; an
 * application that already runs prom-client can scrape `server.metrics()` beside its own.
 */

import { ErrorCodes, TandemError } from '../../src/errors.js';

/** Label name → value of one series. */
export type Labels = Readonly<Record<string, string | number>>;

// Exposition format: label values escape backslash, double quote and newline; HELP escapes
// backslash and newline.
function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labelText(labels: Labels | undefined, extra?: string): string {
  if (labels === undefined && extra === undefined) return ''; // the unlabelled series, on hot paths
  const parts = labels === undefined ? [] : Object.keys(labels).map((k) => `${k}="${escapeLabel(String(labels[k]))}"`);
  if (extra !== undefined) parts.push(extra);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function num(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** One metric family: what the registry renders. */
export interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  lines(): string[];
}

/**
 * One series of a {@link Counter}. A hot path that counts under the same labels again and again
 * keeps this (see {@link Counter.series}) so each count is an add, not a label key built per call.
 */
export class CounterSeries {
  value = 0;

  constructor(readonly labels: Labels | undefined) {}

  /** Adds `by` (default 1). */
  inc(by = 1): void {
    this.value += by;
  }
}

/** A counter (only goes up), one series per distinct label set. */
export class Counter implements Family {
  readonly type = 'counter';
  readonly #series = new Map<string, CounterSeries>();

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  /** Adds `by` (default 1) to the series of `labels`. */
  inc(labels?: Labels, by = 1): void {
    this.series(labels).value += by;
  }

  /** The series of `labels`, made (at 0) on first use: keep it to count without a lookup. */
  series(labels?: Labels): CounterSeries {
    const key = labelText(labels);
    let series = this.#series.get(key);
    if (series === undefined) this.#series.set(key, (series = new CounterSeries(labels)));
    return series;
  }

  /** The value of one series (0 when never incremented). */
  get(labels?: Labels): number {
    return this.#series.get(labelText(labels))?.value ?? 0;
  }

  lines(): string[] {
    return [...this.#series.values()].map((s) => `${this.name}${labelText(s.labels)} ${num(s.value)}`);
  }
}

/**
 * A gauge (or a counter kept elsewhere) whose series are read when the registry is rendered, so
 * it is never stale and costs nothing between scrapes.
 */
export class Collected implements Family {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'gauge' | 'counter',
    readonly collect: () => ReadonlyArray<readonly [labels: Labels | undefined, value: number]>,
  ) {}

  lines(): string[] {
    return this.collect().map(([labels, value]) => `${this.name}${labelText(labels)} ${num(value)}`);
  }
}

/** A histogram with fixed upper bounds (cumulative buckets, `_sum` and `_count`). */
export class Histogram implements Family {
  readonly type = 'histogram';
  readonly #series = new Map<string, { labels: Labels | undefined; counts: number[]; sum: number; count: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {}

  /** Records one observation. */
  observe(value: number, labels?: Labels): void {
    const key = labelText(labels);
    let series = this.#series.get(key);
    if (series === undefined) this.#series.set(key, (series = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) series.counts[i]! += 1;
    series.sum += value;
    series.count += 1;
  }

  lines(): string[] {
    const out: string[] = [];
    for (const s of this.#series.values()) {
      this.buckets.forEach((le, i) => out.push(`${this.name}_bucket${labelText(s.labels, `le="${num(le)}"`)} ${s.counts[i]!}`));
      out.push(`${this.name}_bucket${labelText(s.labels, 'le="+Inf"')} ${s.count}`);
      out.push(`${this.name}_sum${labelText(s.labels)} ${num(s.sum)}`);
      out.push(`${this.name}_count${labelText(s.labels)} ${s.count}`);
    }
    return out;
  }
}

/** The families of one server, rendered in registration order. */
export class Registry {
  readonly #families = new Map<string, Family>();

  /** Adds `family` (its name must be new) and returns it. */
  add<F extends Family>(family: F): F {
    if (this.#families.has(family.name)) throw new TandemError(ErrorCodes.InvalidArgument, `metric ${family.name} registered twice`);
    this.#families.set(family.name, family);
    return family;
  }

  /** The family called `name`, if registered. */
  get(name: string): Family | undefined {
    return this.#families.get(name);
  }

  /** The text exposition of every family (a family without series still gets HELP and TYPE). */
  render(): string {
    let text = '';
    for (const f of this.#families.values()) {
      text += `# HELP ${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${f.name} ${f.type}\n`;
      for (const line of f.lines()) text += `${line}\n`;
    }
    return text;
  }
}
