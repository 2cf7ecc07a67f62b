import * as tf from '@tensorflow/tfjs-core';
import { checkPair, dropLeadingClasses } from './shape.ts';
import type { LossContext } from './types.ts';

export interface BoundaryOptions {
  /** Include class 0 (default false, as in Kervadec et al.). */
  includeBackground?: boolean;
}

/**
 * Boundary loss (Kervadec et al. 2019): mean over voxels and classes of softmax probability x signed distance map of
 * the target (ctx.distanceMaps, negative inside; see signedDistanceMap). Its minimum is reached when the predicted
 * mass sits exactly inside each object. Empty class: its distance map is all zeros (signedDistanceMap's convention),
 * so it contributes 0. Usually ramped in with a weight schedule next to a region loss such as Dice.
 */
export function boundaryLoss(logits: tf.Tensor, target: tf.Tensor, ctx: LossContext = {}, options: BoundaryOptions = {}): tf.Scalar {
  const classes = checkPair('boundary', logits, target);
  const maps = ctx.distanceMaps;
  if (maps === undefined) throw new Error('boundary loss: ctx.distanceMaps (signed distance maps of the target) is required');
  checkPair('boundary (distance maps)', logits, maps);
  const first = options.includeBackground ? 0 : 1;
  if (classes <= first) throw new Error('boundary loss: without background there must be at least 2 classes');
  return tf.tidy(() => {
    const p = dropLeadingClasses(tf.softmax(logits), first);
    const d = dropLeadingClasses(maps, first);
    return tf.mean(tf.mul(p, d)) as tf.Scalar;
  });
}
