/** Every mask metric of one class at once, sharing the confusion counts and the surface distances. */
import { computeSliceConsistency, type Axis } from './consistency.ts';
import {
  computeConfusion,
  diceFromConfusion,
  iouFromConfusion,
  precisionFromConfusion,
  recallFromConfusion,
  specificityFromConfusion,
  volumeSimilarityFromConfusion,
} from './overlap.ts';
import {
  averageSurfaceDistanceFromDistances,
  computeBoundaryIoU,
  hausdorffFromDistances,
  surfaceDiceFromDistances,
} from './surface.ts';
import { computeSurfaceDistances } from './surfaceDistance.ts';
import type { Mask } from './types.ts';

/** Names of the per-class metrics, in report order. */
export const CLASS_METRIC_NAMES = [
  'dice',
  'iou',
  'precision',
  'recall',
  'specificity',
  'volume_similarity',
  'hausdorff',
  'hd95',
  'assd',
  'surface_dice',
  'boundary_iou',
  'slice_change_pred',
  'slice_change_truth',
  'slice_change_ratio',
] as const;
export type ClassMetricName = (typeof CLASS_METRIC_NAMES)[number];
export type ClassMetricValues = Record<ClassMetricName, number>;

export interface AllMetricsOptions {
  /** Surface Dice tolerance in physical units (default: the largest spacing, one voxel step on the coarsest axis). */
  surfaceTolerance?: number;
  /** Boundary IoU band width in physical units (default: surface.ts's 2% of the diagonal). */
  boundaryDistance?: number;
  /** Axis of the slice-to-slice consistency (default 2, z). */
  sliceAxis?: Axis;
}

export function computeAllMetrics(pred: Mask, truth: Mask, options: AllMetricsOptions = {}): ClassMetricValues {
  const c = computeConfusion(pred, truth);
  const distances = computeSurfaceDistances(pred, truth);
  const tolerance = options.surfaceTolerance ?? Math.max(...truth.spacing);
  const consistency = computeSliceConsistency(pred, truth, options.sliceAxis ?? 2);
  return {
    dice: diceFromConfusion(c),
    iou: iouFromConfusion(c),
    precision: precisionFromConfusion(c),
    recall: recallFromConfusion(c),
    specificity: specificityFromConfusion(c),
    volume_similarity: volumeSimilarityFromConfusion(c),
    hausdorff: hausdorffFromDistances(distances),
    hd95: hausdorffFromDistances(distances, 95),
    assd: averageSurfaceDistanceFromDistances(distances),
    surface_dice: surfaceDiceFromDistances(distances, tolerance),
    boundary_iou: computeBoundaryIoU(pred, truth, options.boundaryDistance !== undefined ? { distance: options.boundaryDistance } : {}),
    slice_change_pred: consistency.pred,
    slice_change_truth: consistency.truth,
    slice_change_ratio: consistency.ratio,
  };
}
