// Segmentation losses: every loss is (logits, one-hot target, ctx?) => scalar, channels last.
export type { LossContext, LossFn } from './types.ts';
export { crossEntropyLoss, crossEntropyPerVoxel, type CrossEntropyOptions } from './cross-entropy.ts';
export { softDiceLoss, type SoftDiceOptions } from './dice.ts';
export { focalLoss, type FocalOptions } from './focal.ts';
export { tverskyLoss, focalTverskyLoss, type TverskyOptions, type FocalTverskyOptions } from './tversky.ts';
export { lovaszSoftmaxLoss, lovaszJaccardGrad, type LovaszOptions } from './lovasz.ts';
export { boundaryLoss, type BoundaryOptions } from './boundary.ts';
export { topKCrossEntropyLoss, type TopKOptions } from './topk.ts';
export { softCounts, type OverlapOptions, type SoftCounts } from './overlap.ts';
export { CompoundLoss, type LossTerm, type CompoundResult } from './compound.ts';
export { WeightScheduleSchema, weightAt, type WeightSchedule } from './schedule.ts';
export { LossConfigSchema, LossTermConfigSchema, createLoss, lossOfTerm, lossNeedsDistanceMaps, type LossConfig, type LossTermConfig } from './config.ts';
export { signedDistanceMap, squaredDistanceTransform } from './distance-map.ts';
