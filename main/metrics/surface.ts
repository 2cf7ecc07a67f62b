/**
 * Distance-based metrics on the surface distances of surfaceDistance.ts (MONAI conventions):
 *   Hausdorff  = max over the two directions of the largest directed distance;
 *   HD95       = max over the two directions of the 95th percentile (linear interpolation) of directed distances;
 *   ASSD       = mean of both directions' distances pooled together;
 *   surface Dice (normalised surface distance) at tolerance tau = (#pred border voxels within tau of the truth border
 *                + #truth border voxels within tau of the pred border) / (#pred border + #truth border voxels);
 * both masks empty -> NaN, exactly one empty -> Infinity (surface Dice 0).
 *
 * Boundary IoU (Cheng et al., CVPR 2021) with band width d: the band of a mask is its voxels whose distance (between
 * voxel centres, spacing-aware) to the nearest voxel outside the mask is <= d, the grid being zero-padded by one voxel;
 * boundary IoU = |band(P) ∩ band(G)| / |band(P) ∪ band(G)|, NaN when both bands are empty. With d equal to the
 * smallest spacing on an isotropic grid the band is exactly the MONAI border above.
 */
import { ClassMetric, type ClassMetricOptions } from './classMetric.ts';
import { squaredDistanceTransform } from './edt.ts';
import { boundingBox, boxShape, type Box } from './masks.ts';
import { maxOf, quantileInPlace } from './quantile.ts';
import { computeSurfaceDistances, type SurfaceDistances } from './surfaceDistance.ts';
import { assertSameGrid, type Mask } from './types.ts';
import type { Vec3 } from '../volume/volume.ts';

/** Directed value of one direction: its max, or its percentile (0..100) with linear interpolation. */
function directedValue(distances: Float64Array, percentile: number | undefined): number {
  if (distances.length === 0) return NaN;
  if (percentile === undefined) return maxOf(distances);
  return quantileInPlace(Float64Array.from(distances), percentile / 100);
}

export function hausdorffFromDistances(d: SurfaceDistances, percentile?: number): number {
  if (d.predToTruth.length === 0 && d.truthToPred.length === 0) return NaN;
  return Math.max(directedValue(d.predToTruth, percentile), directedValue(d.truthToPred, percentile));
}

export function averageSurfaceDistanceFromDistances(d: SurfaceDistances): number {
  const n = d.predToTruth.length + d.truthToPred.length;
  if (n === 0) return NaN;
  let sum = 0;
  for (const v of d.predToTruth) sum += v;
  for (const v of d.truthToPred) sum += v;
  return sum / n;
}

export function surfaceDiceFromDistances(d: SurfaceDistances, tolerance: number): number {
  const n = d.predToTruth.length + d.truthToPred.length;
  if (n === 0) return NaN;
  let within = 0;
  for (const v of d.predToTruth) if (v <= tolerance) within++;
  for (const v of d.truthToPred) if (v <= tolerance) within++;
  return within / n;
}

export interface HausdorffOptions {
  /** Percentile (0..100) of the directed distances instead of their maximum, e.g. 95. */
  percentile?: number;
}

export function computeHausdorffDistance(pred: Mask, truth: Mask, options: HausdorffOptions = {}): number {
  if (options.percentile !== undefined && !(options.percentile >= 0 && options.percentile <= 100)) {
    throw new RangeError(`percentile must be in [0, 100], got ${options.percentile}`);
  }
  return hausdorffFromDistances(computeSurfaceDistances(pred, truth), options.percentile);
}

export function computeHD95(pred: Mask, truth: Mask): number {
  return computeHausdorffDistance(pred, truth, { percentile: 95 });
}

export function computeAverageSurfaceDistance(pred: Mask, truth: Mask): number {
  return averageSurfaceDistanceFromDistances(computeSurfaceDistances(pred, truth));
}

export interface SurfaceDiceOptions {
  /** Tolerance in physical units (the spacing's unit). */
  tolerance: number;
}

export function computeSurfaceDice(pred: Mask, truth: Mask, options: SurfaceDiceOptions): number {
  if (!(options.tolerance >= 0)) throw new RangeError(`tolerance must be >= 0, got ${options.tolerance}`);
  return surfaceDiceFromDistances(computeSurfaceDistances(pred, truth), options.tolerance);
}

export interface BoundaryIoUOptions {
  /** Band width in physical units; default 2% of the grid's physical diagonal (the paper's choice). */
  distance?: number;
}

export function defaultBoundaryDistance(shape: Vec3, spacing: Vec3): number {
  return 0.02 * Math.hypot(shape[0] * spacing[0], shape[1] * spacing[1], shape[2] * spacing[2]);
}

export function computeBoundaryIoU(pred: Mask, truth: Mask, options: BoundaryIoUOptions = {}): number {
  assertSameGrid(pred, truth);
  const d = options.distance ?? defaultBoundaryDistance(truth.shape, truth.spacing);
  if (!(d >= 0)) throw new RangeError(`boundary distance must be >= 0, got ${d}`);
  const box = boundingBox(pred.shape, [pred.data, truth.data]);
  if (!box) return NaN;
  const predBand = band(pred, box, d);
  const truthBand = band(truth, box, d);
  let inter = 0, union = 0;
  for (let i = 0; i < predBand.length; i++) {
    if (predBand[i] && truthBand[i]) inter++;
    if (predBand[i] || truthBand[i]) union++;
  }
  return union === 0 ? NaN : inter / union;
}

/**
 * The band of `mask` inside `box` grown by one voxel on every side (and beyond the grid: zero padding): voxels of the
 * mask within `d` of a voxel outside it. Only voxels inside `box` can be set.
 */
function band(mask: Mask, box: Box, d: number): Uint8Array {
  const padded: Box = {
    start: box.start.map((s) => s - 1) as Vec3,
    end: box.end.map((e) => e + 1) as Vec3,
  };
  const shape = boxShape(padded);
  const background = new Uint8Array(shape[0] * shape[1] * shape[2]).fill(1);
  const [nx, ny] = mask.shape;
  for (let z = box.start[2]; z < box.end[2]; z++) {
    for (let y = box.start[1]; y < box.end[1]; y++) {
      for (let x = box.start[0]; x < box.end[0]; x++) {
        if (mask.data[(z * ny + y) * nx + x]) {
          background[((z - padded.start[2]) * shape[1] + (y - padded.start[1])) * shape[0] + (x - padded.start[0])] = 0;
        }
      }
    }
  }
  const squared = squaredDistanceTransform(background, shape, mask.spacing);
  const out = new Uint8Array(background.length);
  for (let i = 0; i < out.length; i++) if (!background[i] && Math.sqrt(squared[i]) <= d) out[i] = 1;
  return out;
}

export class HausdorffDistanceMetric extends ClassMetric<ClassMetricOptions & HausdorffOptions> {
  readonly name: string;
  constructor(options: ClassMetricOptions & HausdorffOptions = {}) {
    super(options);
    this.name = options.percentile === undefined ? 'hausdorff' : `hd${options.percentile}`;
  }
  computeMask(pred: Mask, truth: Mask): number {
    return computeHausdorffDistance(pred, truth, this.options);
  }
}
export class HD95Metric extends HausdorffDistanceMetric {
  constructor(options: ClassMetricOptions = {}) {
    super({ ...options, percentile: 95 });
  }
}
export class AverageSurfaceDistanceMetric extends ClassMetric {
  readonly name = 'assd';
  constructor(options: ClassMetricOptions = {}) {
    super(options);
  }
  computeMask(pred: Mask, truth: Mask): number {
    return computeAverageSurfaceDistance(pred, truth);
  }
}
export class SurfaceDiceMetric extends ClassMetric<ClassMetricOptions & SurfaceDiceOptions> {
  readonly name = 'surface_dice';
  computeMask(pred: Mask, truth: Mask): number {
    return computeSurfaceDice(pred, truth, this.options);
  }
}
export class BoundaryIoUMetric extends ClassMetric<ClassMetricOptions & BoundaryIoUOptions> {
  readonly name = 'boundary_iou';
  constructor(options: ClassMetricOptions & BoundaryIoUOptions = {}) {
    super(options);
  }
  computeMask(pred: Mask, truth: Mask): number {
    return computeBoundaryIoU(pred, truth, this.options);
  }
}
