/**
 * Calibration of predicted class probabilities against a label map.
 *
 * Probabilities are a volume with one component per class, interleaved (voxel-major): `probabilities[v * C + k]` is
 * the probability of class `classValues[k]` at voxel v. Binning: M equal-width bins on [0, 1], a confidence p goes to
 * bin min(M - 1, floor(p * M)).
 *   ECE (top-label, Guo et al. 2017) = sum_b |B_b| / N * |accuracy(B_b) - mean confidence(B_b)|, where the confidence
 *     of a voxel is its largest probability and it is accurate when that class (first on ties) is the true label.
 *   Class-wise ECE of class k: the same on the binary problem (confidence p_k, outcome label == k), over all voxels.
 *   Brier score = mean over voxels of sum_k (p_k - [label == k])^2 (multi-class, range 0..2); class-wise Brier of k
 *     is the mean of (p_k - [label == k])^2.
 */
import type { TypedArray } from '../volume/dtype.ts';

export interface CalibrationInput {
  /** C values per voxel, interleaved. */
  probabilities: TypedArray;
  labels: TypedArray;
  /** The label value of each component (length C). */
  classValues: readonly number[];
}

export interface CalibrationOptions {
  /** Number of equal-width bins (default 15). */
  bins?: number;
}

function checkInput(input: CalibrationInput): number {
  const c = input.classValues.length;
  if (c < 1) throw new RangeError('classValues must name at least one class');
  if (input.probabilities.length !== input.labels.length * c) {
    throw new RangeError(`probabilities have ${input.probabilities.length} values, ${input.labels.length} voxels x ${c} classes need ${input.labels.length * c}`);
  }
  return c;
}

function binCount(options: CalibrationOptions): number {
  const bins = options.bins ?? 15;
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`bins must be a positive integer, got ${bins}`);
  return bins;
}

class Bins {
  readonly count: Float64Array;
  readonly confidence: Float64Array;
  readonly correct: Float64Array;
  constructor(readonly m: number) {
    this.count = new Float64Array(m);
    this.confidence = new Float64Array(m);
    this.correct = new Float64Array(m);
  }
  add(p: number, hit: boolean): void {
    const b = Math.min(this.m - 1, Math.floor(p * this.m));
    this.count[b]++;
    this.confidence[b] += p;
    if (hit) this.correct[b]++;
  }
  ece(): number {
    let n = 0;
    for (const c of this.count) n += c;
    if (n === 0) return NaN;
    let sum = 0;
    for (let b = 0; b < this.m; b++) {
      if (this.count[b] > 0) sum += Math.abs(this.correct[b] - this.confidence[b]);
    }
    return sum / n;
  }
}

/** Top-label expected calibration error. */
export function computeExpectedCalibrationError(input: CalibrationInput, options: CalibrationOptions = {}): number {
  const c = checkInput(input);
  const bins = new Bins(binCount(options));
  const { probabilities: p, labels, classValues } = input;
  for (let v = 0; v < labels.length; v++) {
    let best = 0;
    for (let k = 1; k < c; k++) if (p[v * c + k] > p[v * c + best]) best = k;
    bins.add(p[v * c + best], classValues[best] === labels[v]);
  }
  return bins.ece();
}

/** Class-wise ECE of every class: value -> ECE. */
export function computeClassCalibrationError(input: CalibrationInput, options: CalibrationOptions = {}): Map<number, number> {
  const c = checkInput(input);
  const m = binCount(options);
  const out = new Map<number, number>();
  for (let k = 0; k < c; k++) {
    const bins = new Bins(m);
    const value = input.classValues[k];
    for (let v = 0; v < input.labels.length; v++) bins.add(input.probabilities[v * c + k], input.labels[v] === value);
    out.set(value, bins.ece());
  }
  return out;
}

/** Multi-class Brier score. */
export function computeBrierScore(input: CalibrationInput): number {
  const c = checkInput(input);
  const { probabilities: p, labels, classValues } = input;
  if (labels.length === 0) return NaN;
  let sum = 0;
  for (let v = 0; v < labels.length; v++) {
    for (let k = 0; k < c; k++) {
      const e = p[v * c + k] - (labels[v] === classValues[k] ? 1 : 0);
      sum += e * e;
    }
  }
  return sum / labels.length;
}

/** Class-wise Brier score: value -> mean (p_k - [label == k])^2. */
export function computeClassBrierScore(input: CalibrationInput): Map<number, number> {
  const c = checkInput(input);
  const { probabilities: p, labels, classValues } = input;
  const out = new Map<number, number>();
  for (let k = 0; k < c; k++) {
    let sum = 0;
    for (let v = 0; v < labels.length; v++) {
      const e = p[v * c + k] - (labels[v] === classValues[k] ? 1 : 0);
      sum += e * e;
    }
    out.set(classValues[k], labels.length === 0 ? NaN : sum / labels.length);
  }
  return out;
}

export class ExpectedCalibrationErrorMetric {
  readonly name = 'ece';
  constructor(readonly options: CalibrationOptions = {}) {}
  compute(input: CalibrationInput): { overall: number; perClass: Map<number, number> } {
    return { overall: computeExpectedCalibrationError(input, this.options), perClass: computeClassCalibrationError(input, this.options) };
  }
}

export class BrierScoreMetric {
  readonly name = 'brier';
  compute(input: CalibrationInput): { overall: number; perClass: Map<number, number> } {
    return { overall: computeBrierScore(input), perClass: computeClassBrierScore(input) };
  }
}
