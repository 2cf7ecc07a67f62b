/**
 * The configurable, class-wise form of a metric (MONAI style: a plain `computeX(pred, truth)` on binary masks plus an
 * `XMetric` class that applies it to every class of two label maps).
 */
import type { TypedArray } from '../volume/dtype.ts';
import type { Vec3 } from '../volume/volume.ts';
import { maskOf } from './masks.ts';
import { voxelTotal, type ClassValues, type Mask } from './types.ts';

/** A label map on a grid; a `Volume` is one. */
export interface LabelMap {
  data: TypedArray;
  shape: Vec3;
  spacing: Vec3;
}

export interface ClassMetricOptions {
  /** Label values to evaluate; default: every non-zero value present in either map (0 is background). */
  classes?: readonly number[];
}

/** Non-zero values present in any of the maps, ascending. */
export function presentClasses(...maps: readonly LabelMap[]): number[] {
  const seen = new Set<number>();
  for (const m of maps) {
    let last = NaN;
    for (let i = 0; i < m.data.length; i++) {
      const v = m.data[i];
      if (v === last) continue;
      last = v;
      seen.add(v);
    }
  }
  seen.delete(0);
  return [...seen].sort((a, b) => a - b);
}

export function checkLabelMaps(pred: LabelMap, truth: LabelMap): void {
  for (let i = 0; i < 3; i++) {
    if (pred.shape[i] !== truth.shape[i]) throw new RangeError(`label map shapes differ: [${pred.shape.join(', ')}] vs [${truth.shape.join(', ')}]`);
  }
  if (pred.data.length !== voxelTotal(pred.shape) || truth.data.length !== voxelTotal(truth.shape)) {
    throw new RangeError('label map data length does not match its shape (one component expected)');
  }
}

export abstract class ClassMetric<O extends ClassMetricOptions = ClassMetricOptions> {
  abstract readonly name: string;
  readonly options: O;
  constructor(options: O) {
    this.options = options;
  }
  /** The metric for one class, given its two binary masks. */
  abstract computeMask(pred: Mask, truth: Mask): number;
  /** The metric for every class (distances use the ground truth's spacing). */
  compute(pred: LabelMap, truth: LabelMap): ClassValues {
    checkLabelMaps(pred, truth);
    const classes = this.options.classes ?? presentClasses(pred, truth);
    const out: ClassValues = new Map();
    for (const c of classes) {
      out.set(c, this.computeMask(maskOf(pred.data, c, pred.shape, truth.spacing), maskOf(truth.data, c, truth.shape, truth.spacing)));
    }
    return out;
  }
}
