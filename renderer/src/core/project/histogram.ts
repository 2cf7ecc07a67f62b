/**
 * Histogram drawing maths for the statistics panel: merge the engine's bins down to a number of bars that fits the
 * plot, scale counts to bar heights (linear, or logarithmic so that the small phases' peaks stay visible beside the
 * largest one), and place the bars in a plot box. Pure; the component only draws the rectangles.
 */

export type HistogramScale = 'linear' | 'log';

export interface Histogram {
  /** n + 1 edges. */
  bins: readonly number[];
  /** n counts. */
  counts: readonly number[];
}

export interface Bar {
  x: number;
  y: number;
  width: number;
  height: number;
  count: number;
  /** Value range of the bar, [from, to). */
  from: number;
  to: number;
}

/** Checks that edges and counts agree (n + 1 increasing edges for n counts); throws a message naming the problem. */
export function checkHistogram(h: Histogram): void {
  if (h.bins.length !== h.counts.length + 1) throw new Error(`histogram: ${h.bins.length} edges for ${h.counts.length} counts (needs counts + 1)`);
  for (let i = 1; i < h.bins.length; i++) {
    if (!(h.bins[i] >= h.bins[i - 1])) throw new Error(`histogram: edge ${i} (${h.bins[i]}) is below edge ${i - 1} (${h.bins[i - 1]})`);
  }
}

/** Merges groups of ceil(n / maxBars) adjacent bins (the last group may be smaller), summing their counts. */
export function rebin(h: Histogram, maxBars: number): Histogram {
  checkHistogram(h);
  if (!Number.isInteger(maxBars) || maxBars < 1) throw new Error(`histogram: maxBars must be a positive integer, got ${maxBars}`);
  const n = h.counts.length;
  if (n <= maxBars) return { bins: [...h.bins], counts: [...h.counts] };
  const group = Math.ceil(n / maxBars);
  const bins: number[] = [];
  const counts: number[] = [];
  for (let start = 0; start < n; start += group) {
    const end = Math.min(n, start + group);
    bins.push(h.bins[start]);
    let sum = 0;
    for (let i = start; i < end; i++) sum += h.counts[i];
    counts.push(sum);
  }
  bins.push(h.bins[n]);
  return { bins, counts };
}

/**
 * Heights in [0, maxHeight]: the largest count gets maxHeight. Log scale uses log(1 + count), so a count of 1 still
 * shows and 0 stays 0. All-zero counts give all-zero heights.
 */
export function barHeights(counts: readonly number[], scale: HistogramScale, maxHeight: number): number[] {
  const f = scale === 'log' ? (c: number) => Math.log1p(Math.max(0, c)) : (c: number) => Math.max(0, c);
  let top = 0;
  for (const c of counts) top = Math.max(top, f(c));
  if (top === 0) return counts.map(() => 0);
  return counts.map((c) => (f(c) / top) * maxHeight);
}

export interface BarLayout {
  width: number;
  height: number;
  scale: HistogramScale;
  /** Most bars drawn (default: one per 2 px of width). */
  maxBars?: number;
}

/** Bars in a width x height box (y down, bars standing on the bottom edge), x proportional to the value. */
export function histogramBars(h: Histogram, layout: BarLayout): Bar[] {
  const merged = rebin(h, layout.maxBars ?? Math.max(1, Math.floor(layout.width / 2)));
  const heights = barHeights(merged.counts, layout.scale, layout.height);
  const lo = merged.bins[0];
  const hi = merged.bins[merged.bins.length - 1];
  const span = hi - lo;
  const n = merged.counts.length;
  // A degenerate range (one value) still draws: bars share the width evenly.
  const xOf = (i: number) => (span > 0 ? ((merged.bins[i] - lo) / span) * layout.width : (i / n) * layout.width);
  return merged.counts.map((count, i) => {
    const x = xOf(i);
    const height = heights[i];
    return { x, y: layout.height - height, width: Math.max(0, xOf(i + 1) - x), height, count, from: merged.bins[i], to: merged.bins[i + 1] };
  });
}

/** About `count` round tick values covering [min, max] (steps of 1, 2 or 5 times a power of ten). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (max <= min) return [min];
  const raw = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  // Rounding to the step's decimals keeps 0.1 + 0.2 from printing as 0.30000000000000004.
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toFixed(decimals)));
  return ticks;
}
