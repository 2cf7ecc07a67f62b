import * as tf from '@tensorflow/tfjs-core';
import { checkPair, flat2d } from './shape.ts';

export interface LovaszOptions {
  /** 'present' (default, as in Berman et al.'s code): only classes present in the target; 'all': every class. */
  classes?: 'present' | 'all';
  /** Include class 0 (default true, as in the reference implementation). */
  includeBackground?: boolean;
}

/**
 * Gradient of the Lovász extension of the Jaccard loss at the sorted ground truth (Berman et al. 2018, Alg. 1),
 * for foreground indicators `fgSorted` in order of decreasing error.
 */
export function lovaszJaccardGrad(fgSorted: ArrayLike<number>): Float32Array {
  const n = fgSorted.length;
  let gts = 0;
  for (let i = 0; i < n; i++) gts += fgSorted[i];
  const grad = new Float32Array(n);
  let cumFg = 0;
  let previous = 0;
  for (let i = 0; i < n; i++) {
    cumFg += fgSorted[i];
    const intersection = gts - cumFg;
    const union = gts + (i + 1 - cumFg);
    const jaccard = 1 - intersection / union;
    grad[i] = jaccard - previous;
    previous = jaccard;
  }
  return grad;
}

/**
 * Lovász-softmax loss over the whole batch (the reference's per_image=False): for each class, the errors |t - p| are
 * sorted in decreasing order and dotted with the Lovász gradient of the sorted target; mean over the classes used.
 * The sort order is data (no gradient flows through it), so the tensor graph is sum(errors * weights).
 * Empty classes: with 'present' an absent class is skipped; if no class is used the loss is 0. With 'all' an absent
 * class costs its largest predicted probability (the Lovász extension at an empty target).
 */
export function lovaszSoftmaxLoss(logits: tf.Tensor, target: tf.Tensor, options: LovaszOptions = {}): tf.Scalar {
  const classes = checkPair('Lovász-softmax', logits, target);
  const mode = options.classes ?? 'present';
  const first = options.includeBackground === false ? 1 : 0;
  return tf.tidy(() => {
    const p = tf.softmax(flat2d(logits));
    const t = flat2d(target);
    const tData = t.dataSync();
    const n = t.shape[0];
    const terms: tf.Tensor[] = [];
    for (let c = first; c < classes; c++) {
      const fg = new Float32Array(n);
      let present = 0;
      for (let i = 0; i < n; i++) {
        fg[i] = tData[i * classes + c];
        present += fg[i];
      }
      if (mode === 'present' && present === 0) continue;
      const fgTensor = tf.tensor1d(fg);
      const pc = tf.reshape(tf.slice(p, [0, c], [n, 1]), [n]);
      const errors = tf.abs(tf.sub(fgTensor, pc));
      const e = errors.dataSync();
      const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => e[b] - e[a]);
      const grad = lovaszJaccardGrad(order.map((i) => fg[i]));
      // Put each sorted weight back at its voxel so no gather is needed.
      const weights = new Float32Array(n);
      for (let k = 0; k < n; k++) weights[order[k]] = grad[k];
      terms.push(tf.sum(tf.mul(errors, tf.tensor1d(weights))));
    }
    if (terms.length === 0) return tf.scalar(0);
    return tf.div(tf.addN(terms), terms.length) as tf.Scalar;
  });
}
