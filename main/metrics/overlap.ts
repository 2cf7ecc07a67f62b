/**
 * Overlap metrics from the confusion counts of two binary masks. Empty-set conventions (MONAI's with
 * `ignore_empty=True`): Dice and IoU are NaN when the ground truth is empty; with `ignoreEmpty: false` they are 1 when
 * both masks are empty and 0 when only the ground truth is. Precision is NaN without predicted voxels, recall without
 * true voxels, specificity without true negatives, volume similarity when both masks are empty.
 */
import { ClassMetric, type ClassMetricOptions } from './classMetric.ts';
import { assertSameGrid, type Mask } from './types.ts';

export interface Confusion {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

export function computeConfusion(pred: Mask, truth: Mask): Confusion {
  assertSameGrid(pred, truth);
  const p = pred.data;
  const t = truth.data;
  let tp = 0, fp = 0, fn = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i] !== 0;
    const b = t[i] !== 0;
    if (a && b) tp++;
    else if (a) fp++;
    else if (b) fn++;
  }
  return { tp, fp, fn, tn: p.length - tp - fp - fn };
}

export interface EmptyOptions {
  /** NaN when the ground truth is empty (default true, MONAI's default). */
  ignoreEmpty?: boolean;
}

function emptyTruthValue(c: Confusion, ignoreEmpty: boolean): number | undefined {
  if (c.tp + c.fn > 0) return undefined;
  if (ignoreEmpty) return NaN;
  return c.fp === 0 ? 1 : 0;
}

export function diceFromConfusion(c: Confusion, ignoreEmpty = true): number {
  return emptyTruthValue(c, ignoreEmpty) ?? (2 * c.tp) / (2 * c.tp + c.fp + c.fn);
}
export function iouFromConfusion(c: Confusion, ignoreEmpty = true): number {
  return emptyTruthValue(c, ignoreEmpty) ?? c.tp / (c.tp + c.fp + c.fn);
}
export function precisionFromConfusion(c: Confusion): number {
  return c.tp + c.fp === 0 ? NaN : c.tp / (c.tp + c.fp);
}
export function recallFromConfusion(c: Confusion): number {
  return c.tp + c.fn === 0 ? NaN : c.tp / (c.tp + c.fn);
}
export function specificityFromConfusion(c: Confusion): number {
  return c.tn + c.fp === 0 ? NaN : c.tn / (c.tn + c.fp);
}
/** 1 - |V_pred - V_truth| / (V_pred + V_truth). */
export function volumeSimilarityFromConfusion(c: Confusion): number {
  const sum = 2 * c.tp + c.fp + c.fn;
  return sum === 0 ? NaN : 1 - Math.abs(c.fp - c.fn) / sum;
}

export function computeDice(pred: Mask, truth: Mask, options: EmptyOptions = {}): number {
  return diceFromConfusion(computeConfusion(pred, truth), options.ignoreEmpty ?? true);
}
export function computeIoU(pred: Mask, truth: Mask, options: EmptyOptions = {}): number {
  return iouFromConfusion(computeConfusion(pred, truth), options.ignoreEmpty ?? true);
}
export function computePrecision(pred: Mask, truth: Mask): number {
  return precisionFromConfusion(computeConfusion(pred, truth));
}
export function computeRecall(pred: Mask, truth: Mask): number {
  return recallFromConfusion(computeConfusion(pred, truth));
}
export function computeSpecificity(pred: Mask, truth: Mask): number {
  return specificityFromConfusion(computeConfusion(pred, truth));
}
export function computeVolumeSimilarity(pred: Mask, truth: Mask): number {
  return volumeSimilarityFromConfusion(computeConfusion(pred, truth));
}

export type OverlapOptions = ClassMetricOptions & EmptyOptions;

export class DiceMetric extends ClassMetric<OverlapOptions> {
  readonly name = 'dice';
  constructor(options: OverlapOptions = {}) {
    super(options);
  }
  computeMask(pred: Mask, truth: Mask): number {
    return computeDice(pred, truth, this.options);
  }
}
export class IoUMetric extends ClassMetric<OverlapOptions> {
  readonly name = 'iou';
  constructor(options: OverlapOptions = {}) {
    super(options);
  }
  computeMask(pred: Mask, truth: Mask): number {
    return computeIoU(pred, truth, this.options);
  }
}
export class PrecisionMetric extends ClassMetric {
  readonly name = 'precision';
  constructor(options: ClassMetricOptions = {}) {
    super(options);
  }
  computeMask(pred: Mask, truth: Mask): number {
    return computePrecision(pred, truth);
  }
}
export class RecallMetric extends ClassMetric {
  readonly name = 'recall';
  constructor(options: ClassMetricOptions = {}) {
    super(options);
  }
  computeMask(pred: Mask, truth: Mask): number {
    return computeRecall(pred, truth);
  }
}
export class SpecificityMetric extends ClassMetric {
  readonly name = 'specificity';
  constructor(options: ClassMetricOptions = {}) {
    super(options);
  }
  computeMask(pred: Mask, truth: Mask): number {
    return computeSpecificity(pred, truth);
  }
}
export class VolumeSimilarityMetric extends ClassMetric {
  readonly name = 'volume_similarity';
  constructor(options: ClassMetricOptions = {}) {
    super(options);
  }
  computeMask(pred: Mask, truth: Mask): number {
    return computeVolumeSimilarity(pred, truth);
  }
}
