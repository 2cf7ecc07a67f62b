import * as tf from '@tensorflow/tfjs-core';
import { softmaxCrossEntropy } from '../backend/fused-cross-entropy.ts';
import { checkPair, classWeightTensor, flat2d } from './shape.ts';
import type { LossContext } from './types.ts';

export interface CrossEntropyOptions {
  /** Per-class weights; default ctx.classWeights, else all 1. */
  classWeights?: number[];
}

/** Per-voxel cross-entropy -sum_c t_c log softmax(logits)_c, flattened to [voxels] (one fused op on cpu). */
export function crossEntropyPerVoxel(logits: tf.Tensor, target: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => softmaxCrossEntropy(flat2d(logits), flat2d(target)));
}

/** Weight of each voxel's target class, sum_c w_c t_c, [voxels]. */
export function voxelClassWeights(target: tf.Tensor, weights: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => tf.sum(tf.mul(flat2d(target), weights), -1) as tf.Tensor1D);
}

/**
 * Cross-entropy, mean over voxels. With class weights it is PyTorch's weighted mean, sum_i w_{y_i} ce_i / sum_i w_{y_i};
 * a class absent from the target simply contributes nothing. If every voxel's class has weight 0 the loss is 0.
 */
export function crossEntropyLoss(logits: tf.Tensor, target: tf.Tensor, ctx: LossContext = {}, options: CrossEntropyOptions = {}): tf.Scalar {
  const classes = checkPair('cross-entropy', logits, target);
  return tf.tidy(() => {
    const ce = crossEntropyPerVoxel(logits, target);
    const weights = classWeightTensor('cross-entropy', options.classWeights ?? ctx.classWeights, classes);
    if (weights === null) return tf.mean(ce) as tf.Scalar;
    const w = voxelClassWeights(target, weights);
    return tf.div(tf.sum(tf.mul(ce, w)), tf.maximum(tf.sum(w), 1e-12)) as tf.Scalar;
  });
}
