import * as tf from '@tensorflow/tfjs-core';
import { crossEntropyPerVoxel, voxelClassWeights } from './cross-entropy.ts';
import { checkPair, classWeightTensor } from './shape.ts';
import type { LossContext } from './types.ts';

export interface TopKOptions {
  /** Percentage of voxels with the largest cross-entropy that are kept (nnU-Net's TopKLoss: 10). */
  k?: number;
  /** Per-class weights multiplying each voxel's cross-entropy before ranking; default ctx.classWeights. */
  classWeights?: number[];
}

/**
 * TopK cross-entropy (Wu et al. 2016, nnU-Net's TopKLoss): mean of the k% largest per-voxel cross-entropies
 * (at least one voxel). Empty classes need no convention: the loss only ranks voxels.
 */
export function topKCrossEntropyLoss(logits: tf.Tensor, target: tf.Tensor, ctx: LossContext = {}, options: TopKOptions = {}): tf.Scalar {
  const classes = checkPair('TopK cross-entropy', logits, target);
  const k = options.k ?? 10;
  if (!(k > 0 && k <= 100)) throw new Error('TopK cross-entropy: k must be a percentage in (0, 100]');
  return tf.tidy(() => {
    let ce = crossEntropyPerVoxel(logits, target);
    const weights = classWeightTensor('TopK cross-entropy', options.classWeights ?? ctx.classWeights, classes);
    if (weights !== null) ce = tf.mul(ce, voxelClassWeights(target, weights));
    const n = ce.shape[0];
    const keep = Math.max(1, Math.round((n * k) / 100));
    if (keep >= n) return tf.mean(ce) as tf.Scalar;
    // The selection is data (no gradient through the ranking): a 0/1 mask over the top voxels.
    const { indices } = tf.topk(ce, keep);
    const mask = new Float32Array(n);
    for (const i of indices.dataSync()) mask[i] = 1;
    return tf.div(tf.sum(tf.mul(ce, tf.tensor1d(mask))), keep) as tf.Scalar;
  });
}
