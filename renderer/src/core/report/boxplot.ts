/**
 * Box-and-strip plot of a metric per class (the metrics panel's cohort view): Tukey boxes (quartiles by linear
 * interpolation, numpy's default; whiskers to the most extreme values within 1.5 IQR of the box) with every case as a
 * point beside them. `boxPlotLayout` returns pixel geometry; the component draws it as SVG.
 */

/** The p-quantile (0..1) of sorted values, linear interpolation between closest ranks (numpy 'linear', R type 7). */
export function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

export interface BoxStats {
  n: number;
  q1: number;
  median: number;
  q3: number;
  /** Most extreme values within [q1 - 1.5 IQR, q3 + 1.5 IQR]. */
  whiskerLow: number;
  whiskerHigh: number;
  /** Values beyond the whiskers. */
  outliers: number[];
}

/** Box statistics of the finite values; null when there is none. */
export function boxStats(values: readonly number[]): BoxStats | null {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const q1 = quantile(sorted, 0.25);
  const q3 = quantile(sorted, 0.75);
  const iqr = q3 - q1;
  const lowFence = q1 - 1.5 * iqr;
  const highFence = q3 + 1.5 * iqr;
  const inside = sorted.filter((v) => v >= lowFence && v <= highFence);
  return {
    n: sorted.length,
    q1,
    median: quantile(sorted, 0.5),
    q3,
    whiskerLow: inside[0],
    whiskerHigh: inside[inside.length - 1],
    outliers: sorted.filter((v) => v < lowFence || v > highFence),
  };
}

/** About `count` round tick values covering [lo, hi] (steps of 1, 2 or 5 times a power of ten). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi === lo) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) ticks.push(+t.toPrecision(12));
  return ticks;
}

export interface PlotGroup {
  name: string;
  color: [number, number, number];
  values: readonly number[];
}

export interface PlotOptions {
  width: number;
  height: number;
  margin?: { top: number; right: number; bottom: number; left: number };
}

export interface BoxGeometry {
  name: string;
  color: [number, number, number];
  /** Centre of the group's band. */
  x: number;
  boxWidth: number;
  stats: BoxStats | null;
  /** Pixel y of each statistic (smaller y = larger value). */
  y: { q1: number; median: number; q3: number; whiskerLow: number; whiskerHigh: number } | null;
  /** Every finite value as a point, jittered deterministically to the right of the box. */
  points: { x: number; y: number; value: number }[];
}

export interface PlotLayout {
  width: number;
  height: number;
  plot: { left: number; top: number; right: number; bottom: number };
  /** Value range of the y axis. */
  domain: [number, number];
  ticks: { value: number; y: number }[];
  boxes: BoxGeometry[];
}

const DEFAULT_MARGIN = { top: 12, right: 12, bottom: 36, left: 52 };

export function boxPlotLayout(groups: readonly PlotGroup[], options: PlotOptions): PlotLayout {
  const margin = options.margin ?? DEFAULT_MARGIN;
  const plot = { left: margin.left, top: margin.top, right: options.width - margin.right, bottom: options.height - margin.bottom };
  const all = groups.flatMap((g) => g.values.filter((v) => Number.isFinite(v)));
  let lo = all.length ? Math.min(...all) : 0;
  let hi = all.length ? Math.max(...all) : 1;
  if (hi === lo) {
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 0.5;
    lo -= pad;
    hi += pad;
  }
  const ticks = niceTicks(lo, hi, 5);
  const domain: [number, number] = [Math.min(lo, ticks[0] ?? lo), Math.max(hi, ticks[ticks.length - 1] ?? hi)];
  const yOf = (v: number) => plot.bottom - ((v - domain[0]) / (domain[1] - domain[0])) * (plot.bottom - plot.top);
  const band = (plot.right - plot.left) / Math.max(1, groups.length);
  const boxes = groups.map((g, i): BoxGeometry => {
    const x = plot.left + band * (i + 0.5);
    const boxWidth = Math.min(48, band * 0.35);
    const stats = boxStats(g.values);
    const finite = g.values.filter((v) => Number.isFinite(v));
    // Golden-ratio jitter: spreads points evenly without randomness, so the plot is the same every time.
    const points = finite.map((value, k) => ({ x: x + boxWidth * 0.6 + ((k * 0.618034) % 1) * boxWidth * 0.8, y: yOf(value), value }));
    return {
      name: g.name,
      color: g.color,
      x,
      boxWidth,
      stats,
      y: stats ? { q1: yOf(stats.q1), median: yOf(stats.median), q3: yOf(stats.q3), whiskerLow: yOf(stats.whiskerLow), whiskerHigh: yOf(stats.whiskerHigh) } : null,
      points,
    };
  });
  return { width: options.width, height: options.height, plot, domain, ticks: ticks.map((value) => ({ value, y: yOf(value) })), boxes };
}
