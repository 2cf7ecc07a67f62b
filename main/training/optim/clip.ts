import * as tf from '@tensorflow/tfjs-core';

/** Euclidean norm of all gradients taken together. */
export function globalNorm(grads: tf.NamedTensorMap): number {
  const tensors = Object.values(grads).filter((g) => g != null);
  if (tensors.length === 0) return 0;
  return tf.tidy(() => Math.sqrt(tf.addN(tensors.map((g) => tf.sum(tf.square(g)))).dataSync()[0]));
}

export interface ClipResult {
  /** The (possibly scaled) gradients; new tensors when scaled, the same ones otherwise. */
  grads: tf.NamedTensorMap;
  /** The global norm before clipping (log it: spikes show instabilities). */
  norm: number;
  clipped: boolean;
}

/**
 * Clipping by global norm as PyTorch's clip_grad_norm_: when the norm exceeds maxNorm every gradient is scaled by
 * maxNorm / (norm + 1e-6). Scaled gradients are new tensors; the caller disposes both sets.
 */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): ClipResult {
  if (!(maxNorm > 0)) throw new Error('clipByGlobalNorm: maxNorm must be > 0 (Infinity: never clip, only measure)');
  const norm = globalNorm(grads);
  const coefficient = maxNorm / (norm + 1e-6);
  if (!(coefficient < 1)) return { grads, norm, clipped: false };
  const scaled: tf.NamedTensorMap = {};
  for (const [name, g] of Object.entries(grads)) scaled[name] = tf.mul(g, coefficient);
  return { grads: scaled, norm, clipped: true };
}
