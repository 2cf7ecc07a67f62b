import * as tf from '@tensorflow/tfjs-core';
import { checkPair, classWeightTensor, flat2d } from './shape.ts';
import type { LossContext } from './types.ts';

export interface FocalOptions {
  /** Focusing parameter γ (default 2; 0 gives cross-entropy). */
  gamma?: number;
  /** Per-class α weights; default ctx.classWeights, else all 1. */
  classWeights?: number[];
}

/**
 * Focal loss (Lin et al. 2017), multi-class: mean over voxels of -sum_c α_c t_c (1 - p_c)^γ log p_c.
 * A class absent from the target contributes nothing (its t_c is 0 everywhere).
 */
export function focalLoss(logits: tf.Tensor, target: tf.Tensor, ctx: LossContext = {}, options: FocalOptions = {}): tf.Scalar {
  const classes = checkPair('Focal', logits, target);
  const gamma = options.gamma ?? 2;
  if (!(gamma >= 0)) throw new Error('Focal: gamma must be >= 0');
  return tf.tidy(() => {
    const logp = tf.logSoftmax(flat2d(logits));
    const p = tf.exp(logp);
    // γ = 0 skips the power: d/dx x^0 is NaN at x = 0 in tfjs.
    const focus = gamma === 0 ? flat2d(target) : tf.mul(flat2d(target), tf.pow(tf.sub(1, p), gamma));
    let perClass = tf.mul(focus, logp);
    const weights = classWeightTensor('Focal', options.classWeights ?? ctx.classWeights, classes);
    if (weights !== null) perClass = tf.mul(perClass, weights);
    return tf.neg(tf.mean(tf.sum(perClass, -1))) as tf.Scalar;
  });
}
