/**
 * Cohort summary of one metric over cases: mean, median, sample standard deviation (n - 1) and a 95% percentile
 * bootstrap confidence interval of the mean (B resamples of the cases with replacement, seeded mulberry32, so the same
 * seed gives the same interval everywhere). Only finite values enter; NaN (undefined, e.g. empty ground truth) and
 * Infinity (one mask empty) are counted separately so that a reader sees them.
 */
import { mulberry32 } from '../util/random.ts';
import { quantileInPlace } from '../metrics/quantile.ts';

export interface MetricSummary {
  /** Finite values summarised. */
  n: number;
  nan: number;
  infinite: number;
  mean: number;
  median: number;
  std: number;
  ciLow: number;
  ciHigh: number;
}

export interface SummaryOptions {
  seed?: number;
  resamples?: number;
  /** Confidence level (default 0.95). */
  level?: number;
}

export const DEFAULT_BOOTSTRAP_SEED = 20240601;

export function summarize(values: readonly number[], options: SummaryOptions = {}): MetricSummary {
  const finite = values.filter((v) => Number.isFinite(v));
  const nan = values.filter((v) => Number.isNaN(v)).length;
  const infinite = values.length - finite.length - nan;
  const n = finite.length;
  if (n === 0) return { n, nan, infinite, mean: NaN, median: NaN, std: NaN, ciLow: NaN, ciHigh: NaN };
  const mean = finite.reduce((a, b) => a + b, 0) / n;
  const median = quantileInPlace(Float64Array.from(finite), 0.5);
  const std = n > 1 ? Math.sqrt(finite.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : NaN;
  const resamples = options.resamples ?? 2000;
  const level = options.level ?? 0.95;
  const random = mulberry32(options.seed ?? DEFAULT_BOOTSTRAP_SEED);
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += finite[Math.floor(random() * n)];
    means[b] = s / n;
  }
  means.sort();
  const alpha = (1 - level) / 2;
  return {
    n, nan, infinite, mean, median, std,
    ciLow: quantileInPlace(means, alpha),
    ciHigh: quantileInPlace(means, 1 - alpha),
  };
}

export interface ClassMetricValue {
  cls: number;
  metric: string;
  value: number;
}

/** The cohort summary of every (class, metric) pair among `rows`, sorted by class then metric name. */
export function summarizeByClassMetric(rows: readonly ClassMetricValue[], options: SummaryOptions = {}): ({ cls: number; metric: string } & MetricSummary)[] {
  const groups = new Map<string, { cls: number; metric: string; values: number[] }>();
  for (const r of rows) {
    const key = `${r.cls}\u0000${r.metric}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { cls: r.cls, metric: r.metric, values: [] }));
    group.values.push(r.value);
  }
  return [...groups.values()]
    .sort((a, b) => a.cls - b.cls || a.metric.localeCompare(b.metric))
    .map((g) => ({ cls: g.cls, metric: g.metric, ...summarize(g.values, options) }));
}
