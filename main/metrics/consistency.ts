/**
 * 3D consistency: how often a label changes from one slice to the next. For a binary mask along axis a, the change
 * rate is the fraction of pairs of voxels adjacent along a (same position in slices s and s + 1) whose membership
 * differs. A per-slice (2D) segmenter that flickers between slices has a much higher rate than the ground truth; the
 * metric reports both rates and their ratio prediction / truth (1 is ideal; both 0 -> 1; only the truth's 0 -> Infinity).
 */
import { ClassMetric, type ClassMetricOptions } from './classMetric.ts';
import { assertSameGrid, type Mask } from './types.ts';
import type { Vec3 } from '../volume/volume.ts';

export type Axis = 0 | 1 | 2;

/** Fraction of adjacent pairs along `axis` whose membership differs; NaN when the axis has one slice. */
export function computeSliceChangeRate(mask: Uint8Array, shape: Vec3, axis: Axis = 2): number {
  const [nx, ny, nz] = shape;
  const stride = axis === 0 ? 1 : axis === 1 ? nx : nx * ny;
  if (shape[axis] < 2) return NaN;
  let changes = 0;
  let pairs = 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const pos = axis === 0 ? x : axis === 1 ? y : z;
        if (pos === shape[axis] - 1) continue;
        const i = (z * ny + y) * nx + x;
        pairs++;
        if ((mask[i] !== 0) !== (mask[i + stride] !== 0)) changes++;
      }
    }
  }
  return changes / pairs;
}

export interface SliceConsistency {
  pred: number;
  truth: number;
  /** pred / truth: 1 when both are 0, Infinity when only the truth's is 0. */
  ratio: number;
}

export function computeSliceConsistency(pred: Mask, truth: Mask, axis: Axis = 2): SliceConsistency {
  assertSameGrid(pred, truth);
  const p = computeSliceChangeRate(pred.data, pred.shape, axis);
  const t = computeSliceChangeRate(truth.data, truth.shape, axis);
  const ratio = t === 0 ? (p === 0 ? 1 : Infinity) : p / t;
  return { pred: p, truth: t, ratio };
}

export interface SliceConsistencyOptions extends ClassMetricOptions {
  axis?: Axis;
}

/** Per class: the ratio of change rates prediction / truth. */
export class SliceConsistencyMetric extends ClassMetric<SliceConsistencyOptions> {
  readonly name = 'slice_change_ratio';
  constructor(options: SliceConsistencyOptions = {}) {
    super(options);
  }
  computeMask(pred: Mask, truth: Mask): number {
    return computeSliceConsistency(pred, truth, this.options.axis ?? 2).ratio;
  }
}
