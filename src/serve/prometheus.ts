/**
 * Counters, gauges and histograms with labels, rendered in the Prometheus text exposition format
 * (version 0.0.4). A server needs only these three kinds, which fit in a page, so no client library.
 */

/** Label values by label name; every metric is declared with its label names. */
export type Labels = Readonly<Record<string, string>>;

/** The content type of {@link MetricRegistry.render}'s output. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Anything the registry can render. */
interface Metric {
  render(): string;
}

/** Base of the metric kinds: a name, a help line and the label names every sample carries. */
abstract class LabelledMetric<Series> implements Metric {
  protected readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[] = [],
  ) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new Error(`metric name '${name}' is not a valid Prometheus name`);
  }

  protected abstract readonly type: string;
  protected abstract fresh(): Series;
  protected abstract lines(labels: string, series: Series): string[];

  /** The series of `labels` (rendered as `{a="x",b="y"}`, which is also its key), created on first use. */
  protected at(labels: Labels): Series {
    const key = renderLabels(this.labelNames.map((name) => [name, labels[name] ?? '']));
    let series = this.series.get(key);
    if (series === undefined) {
      series = this.fresh();
      this.series.set(key, series);
    }
    return series;
  }

  render(): string {
    // A metric without labels shows its zero before anything happened, so dashboards see it exist.
    if (this.labelNames.length === 0) this.at({});
    const body = [...this.series].flatMap(([labels, series]) => this.lines(labels, series));
    return [`# HELP ${this.name} ${this.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${this.name} ${this.type}`, ...body].join('\n');
  }
}

/** A count that only goes up. */
export class Counter extends LabelledMetric<{ value: number }> {
  protected readonly type = 'counter';

  /** Adds `by` (default 1) to the series of `labels`. */
  inc(labels: Labels = {}, by = 1): void {
    this.at(labels).value += by;
  }

  protected fresh(): { value: number } {
    return { value: 0 };
  }

  protected lines(labels: string, series: { value: number }): string[] {
    return [`${this.name}${labels} ${formatNumber(series.value)}`];
  }
}

/** A value that goes up and down. */
export class Gauge extends LabelledMetric<{ value: number }> {
  protected readonly type = 'gauge';

  /** Sets the series of `labels` to `value`. */
  set(value: number, labels: Labels = {}): void {
    this.at(labels).value = value;
  }

  /** Adds `by` (default 1; negative to subtract) to the series of `labels`. */
  inc(labels: Labels = {}, by = 1): void {
    this.at(labels).value += by;
  }

  protected fresh(): { value: number } {
    return { value: 0 };
  }

  protected lines(labels: string, series: { value: number }): string[] {
    return [`${this.name}${labels} ${formatNumber(series.value)}`];
  }
}

interface HistogramSeries {
  /** Observations per bucket (not cumulative; summed when rendered), the last one for +Inf. */
  counts: number[];
  sum: number;
}

/** Observations counted in cumulative buckets `le` (upper bounds), with their sum and count. */
export class Histogram extends LabelledMetric<HistogramSeries> {
  protected readonly type = 'histogram';
  readonly buckets: readonly number[];

  /** @param buckets the bucket upper bounds, increasing; +Inf is added */
  constructor(name: string, help: string, buckets: readonly number[], labelNames: readonly string[] = []) {
    super(name, help, labelNames);
    if (buckets.length === 0 || buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= buckets[i - 1]!))) {
      throw new Error(`histogram ${name}: buckets must be finite and increasing, got ${buckets.join(', ')}`);
    }
    this.buckets = [...buckets];
  }

  /** Records `value` in the series of `labels`. */
  observe(value: number, labels: Labels = {}): void {
    const series = this.at(labels);
    const bucket = this.buckets.findIndex((bound) => value <= bound);
    series.counts[bucket === -1 ? this.buckets.length : bucket]!++;
    series.sum += value;
  }

  protected fresh(): HistogramSeries {
    return { counts: new Array<number>(this.buckets.length + 1).fill(0), sum: 0 };
  }

  protected lines(labels: string, series: HistogramSeries): string[] {
    const inner = labels.slice(1, -1);
    const withLe = (le: string): string => `{${inner}${inner ? ',' : ''}le="${le}"}`;
    let cumulative = 0;
    const lines = series.counts.map((count, i) => {
      cumulative += count;
      const le = i < this.buckets.length ? formatNumber(this.buckets[i]!) : '+Inf';
      return `${this.name}_bucket${withLe(le)} ${cumulative}`;
    });
    lines.push(`${this.name}_sum${labels} ${formatNumber(series.sum)}`, `${this.name}_count${labels} ${cumulative}`);
    return lines;
  }
}

/** The metrics of one exposition, rendered in the order they were added. */
export class MetricRegistry {
  private readonly metrics: Metric[] = [];

  /** Adds a metric and returns it. */
  add<M extends Metric>(metric: M): M {
    this.metrics.push(metric);
    return metric;
  }

  /** The exposition text of every metric. */
  render(): string {
    return `${this.metrics.map((m) => m.render()).join('\n')}\n`;
  }
}

function renderLabels(pairs: readonly (readonly [string, string])[]): string {
  if (pairs.length === 0) return '';
  const escape = (value: string): string => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  return `{${pairs.map(([name, value]) => `${name}="${escape(value)}"`).join(',')}}`;
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
