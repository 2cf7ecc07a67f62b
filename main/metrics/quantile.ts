/**
 * Quantile with linear interpolation between order statistics (numpy's default 'linear' method, torch.quantile's
 * default): position (n - 1) * q in the sorted values. NaN for no values; sorts `values` in place.
 */
export function quantileInPlace(values: Float64Array, q: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${q}`);
  const n = values.length;
  if (n === 0) return NaN;
  values.sort();
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  const a = values[lo];
  const b = values[hi];
  if (a === b) return a; // also keeps Infinity from turning into NaN
  return a + (b - a) * (pos - lo);
}

export function maxOf(values: Float64Array): number {
  if (values.length === 0) return NaN;
  let m = -Infinity;
  for (let i = 0; i < values.length; i++) if (values[i] > m) m = values[i];
  return m;
}

export function meanOf(values: Float64Array): number {
  if (values.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}
