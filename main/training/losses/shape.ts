import * as tf from '@tensorflow/tfjs-core';

/** Checks that logits and target agree and returns the number of classes (last axis). */
export function checkPair(name: string, logits: tf.Tensor, target: tf.Tensor): number {
  if (logits.rank < 2) throw new Error(`${name}: logits must be [..., classes], got shape [${logits.shape}]`);
  if (logits.shape.length !== target.shape.length || logits.shape.some((d, i) => d !== target.shape[i])) {
    throw new Error(`${name}: logits [${logits.shape}] and one-hot target [${target.shape}] must have the same shape`);
  }
  return logits.shape[logits.rank - 1];
}

/** Flattens [..., C] to [voxels, C]. */
export function flat2d(t: tf.Tensor): tf.Tensor2D {
  const c = t.shape[t.rank - 1];
  return tf.reshape(t, [-1, c]);
}

/** Flattens [batch, ..., C] to [batch, voxels, C]. */
export function flatPerBatch(t: tf.Tensor): tf.Tensor3D {
  const c = t.shape[t.rank - 1];
  return tf.reshape(t, [t.shape[0], -1, c]);
}

/** Checks per-class weights against the number of classes and returns them as a tensor [C]. */
export function classWeightTensor(name: string, weights: number[] | undefined, classes: number): tf.Tensor1D | null {
  if (weights === undefined) return null;
  if (weights.length !== classes) throw new Error(`${name}: classWeights has ${weights.length} entries for ${classes} classes`);
  if (weights.some((w) => !(w >= 0) || !Number.isFinite(w))) throw new Error(`${name}: classWeights must be finite and >= 0`);
  return tf.tensor1d(weights);
}

/** Keeps classes from `first` on (1 drops background, class 0). */
export function dropLeadingClasses(t: tf.Tensor, first: number): tf.Tensor {
  if (first === 0) return t;
  const c = t.shape[t.rank - 1];
  const begin = t.shape.map((_, i) => (i === t.rank - 1 ? first : 0));
  const size = t.shape.map((d, i) => (i === t.rank - 1 ? c - first : d));
  return tf.slice(t, begin, size);
}
