import type * as tf from '@tensorflow/tfjs-core';

/** Extra inputs some losses need. */
export interface LossContext {
  /** Signed distance maps of the one-hot target, same shape as it (negative inside), for the boundary loss. */
  distanceMaps?: tf.Tensor;
  /** Per-class weights (length = classes) for cross-entropy, Focal and TopK cross-entropy. */
  classWeights?: number[];
}

/**
 * A segmentation loss: logits and one-hot target of the same shape [..., classes] (channels last), a scalar out.
 * Every loss is a mean over voxels (and classes where it says so), so its scale does not depend on patch size.
 */
export type LossFn = (logits: tf.Tensor, target: tf.Tensor, ctx?: LossContext) => tf.Scalar;
