/**
 * Downsampling for line charts: above `maxPoints`, each bucket of consecutive points keeps its lowest and highest
 * value (in x order), so spikes survive and a chart draws at most `maxPoints` vertices however long a run is.
 */
export interface ChartPoint {
  x: number;
  y: number;
}

/** Charts downsample above this many points per series. */
export const MAX_CHART_POINTS = 2000;

/** Points at most `maxPoints` long (an even number >= 4); the first and last points are always kept. */
export function downsampleMinMax(points: readonly ChartPoint[], maxPoints = MAX_CHART_POINTS): ChartPoint[] {
  if (!Number.isInteger(maxPoints) || maxPoints < 4) throw new RangeError(`maxPoints must be an integer >= 4, got ${maxPoints}`);
  if (points.length <= maxPoints) return points.slice();
  const inner = points.length - 2;
  const buckets = Math.floor((maxPoints - 2) / 2);
  const out: ChartPoint[] = [points[0]];
  for (let b = 0; b < buckets; b++) {
    const start = 1 + Math.floor((b * inner) / buckets);
    const end = 1 + Math.floor(((b + 1) * inner) / buckets);
    let lo = start;
    let hi = start;
    for (let i = start + 1; i < end; i++) {
      if (points[i].y < points[lo].y) lo = i;
      if (points[i].y > points[hi].y) hi = i;
    }
    if (lo === hi) out.push(points[lo]);
    else out.push(points[Math.min(lo, hi)], points[Math.max(lo, hi)]);
  }
  out.push(points[points.length - 1]);
  return out;
}

/** Axis range of the finite values; a flat range is widened so that it has a height. */
export function extent(values: Iterable<number>, log = false): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v) || (log && v <= 0)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === Infinity) return log ? [1, 10] : [0, 1];
  if (lo === hi) return log ? [lo / 2, hi * 2] : [lo - (Math.abs(lo) || 1) * 0.5, hi + (Math.abs(hi) || 1) * 0.5];
  return [lo, hi];
}

/** The index of the point whose x is nearest to `x` (points sorted by x); -1 for no points. */
export function nearestIndex(points: readonly ChartPoint[], x: number): number {
  if (points.length === 0) return -1;
  let lo = 0;
  let hi = points.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (points[mid].x < x) lo = mid;
    else hi = mid;
  }
  return Math.abs(points[lo].x - x) <= Math.abs(points[hi].x - x) ? lo : hi;
}
