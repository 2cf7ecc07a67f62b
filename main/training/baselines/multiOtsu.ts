/**
 * Multi-Otsu thresholding (Liao, Chen & Chung 2001), the classical baseline a trained model must beat: thresholds
 * that maximise the between-class variance of a histogram, found by exact search over every combination of bin
 * boundaries (O(bins^2) for 3 classes with prefix sums), as skimage.filters.threshold_multiotsu does: the histogram
 * has `bins` equal bins over [min, max] of the finite values and the thresholds are bin centres; a value v gets
 * class k = the number of thresholds t <= v, like numpy.digitize(v, thresholds).
 */
import { InputError } from '../../util/errors.ts';

export interface MultiOtsuOptions {
  /** Classes (thresholds + 1), 2..5; the search is exact, so cost grows as bins^(classes - 1). */
  classes?: number;
  bins?: number;
}

export interface Histogram1d {
  counts: Float64Array;
  /** Centre of every bin. */
  centres: Float64Array;
}

/** numpy.histogram(values, bins, range=(min, max)) over the finite values, with bin centres. */
export function histogram(values: ArrayLike<number>, bins: number): Histogram1d {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (lo > hi) throw new InputError('multi-Otsu', 'the image has no finite values');
  if (lo === hi) {
    // numpy widens an empty range to [v - 0.5, v + 0.5].
    lo -= 0.5;
    hi += 0.5;
  }
  const counts = new Float64Array(bins);
  const width = (hi - lo) / bins;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    let b = Math.floor((v - lo) / width);
    if (b >= bins) b = bins - 1; // the last bin is closed on the right
    counts[b]++;
  }
  const centres = new Float64Array(bins);
  for (let b = 0; b < bins; b++) centres[b] = lo + (b + 0.5) * width;
  return { counts, centres };
}

/**
 * Indices of the last bin of every class but the last: classes are bins [0..i0], [i0+1..i1], ..., maximising
 * sum_k w_k * mu_k^2 (equivalent to the between-class variance). Ties keep the first combination in lexicographic order.
 */
export function multiOtsuIndices(counts: ArrayLike<number>, classes: number): number[] {
  const n = counts.length;
  const thresholds = classes - 1;
  if (thresholds < 1 || n < classes) throw new InputError('multi-Otsu', `needs at least ${classes} bins for ${classes} classes`);
  const p = new Float64Array(n + 1);
  const m = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    p[i + 1] = p[i] + counts[i];
    m[i + 1] = m[i] + i * counts[i];
  }
  // Score of the class covering bins [a, b] inclusive.
  const score = (a: number, b: number): number => {
    const w = p[b + 1] - p[a];
    return w > 0 ? ((m[b + 1] - m[a]) * (m[b + 1] - m[a])) / w : 0;
  };
  let best = -Infinity;
  let bestIdx: number[] = [];
  const idx = new Array<number>(thresholds);
  const search = (k: number, start: number, acc: number): void => {
    if (k === thresholds) {
      const total = acc + score(start, n - 1);
      if (total > best) {
        best = total;
        bestIdx = [...idx];
      }
      return;
    }
    // leave at least one bin for each remaining class
    for (let i = start; i <= n - 1 - (thresholds - k); i++) {
      idx[k] = i;
      search(k + 1, i + 1, acc + score(start, i));
    }
  };
  search(0, 0, 0);
  return bestIdx;
}

/** Thresholds (bin centres) of the values, as skimage.filters.threshold_multiotsu(values, classes, nbins). */
export function multiOtsuThresholds(values: ArrayLike<number>, options: MultiOtsuOptions = {}): number[] {
  const classes = options.classes ?? 3;
  const bins = options.bins ?? 256;
  if (!Number.isInteger(classes) || classes < 2 || classes > 5) throw new InputError('multi-Otsu classes', `must be an integer in 2..5, got ${classes}`);
  if (!Number.isInteger(bins) || bins < classes) throw new InputError('multi-Otsu bins', `must be an integer >= ${classes}, got ${bins}`);
  const { counts, centres } = histogram(values, bins);
  return multiOtsuIndices(counts, classes).map((i) => centres[i]);
}

/** Class of every value: how many thresholds are <= it (numpy.digitize). */
export function applyThresholds(values: ArrayLike<number>, thresholds: readonly number[]): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    let k = 0;
    while (k < thresholds.length && values[i] >= thresholds[k]) k++;
    out[i] = k;
  }
  return out;
}

/** Configurable form: fit on some values (e.g. training volumes), apply to others. */
export class MultiOtsu {
  thresholds: number[] = [];
  constructor(readonly options: MultiOtsuOptions = {}) {}
  fit(values: ArrayLike<number>): this {
    this.thresholds = multiOtsuThresholds(values, this.options);
    return this;
  }
  predict(values: ArrayLike<number>): Uint8Array {
    if (this.thresholds.length === 0) throw new Error('MultiOtsu.predict before fit');
    return applyThresholds(values, this.thresholds);
  }
}
