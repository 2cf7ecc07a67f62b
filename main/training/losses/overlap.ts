import * as tf from '@tensorflow/tfjs-core';
import { dropLeadingClasses, flatPerBatch } from './shape.ts';

export interface OverlapOptions {
  /** nnU-Net's batch dice: sum the counts over the whole batch instead of per sample. */
  batchDice?: boolean;
  /** Include class 0 (background) in the mean over classes. */
  includeBackground?: boolean;
}

/** Soft true positives, false positives and false negatives per sample and class ([B, C]) or per class ([C]). */
export interface SoftCounts {
  tp: tf.Tensor;
  fp: tf.Tensor;
  fn: tf.Tensor;
}

/** Soft counts of softmax probabilities against a one-hot target, nnU-Net's get_tp_fp_fn_tn. */
export function softCounts(logits: tf.Tensor, target: tf.Tensor, options: OverlapOptions): SoftCounts {
  const p = flatPerBatch(tf.softmax(logits));
  const t = flatPerBatch(target);
  const axes = options.batchDice ? [0, 1] : [1];
  const tp = tf.sum(tf.mul(p, t), axes);
  const fp = tf.sub(tf.sum(p, axes), tp);
  const fn = tf.sub(tf.sum(t, axes), tp);
  const first = options.includeBackground ? 0 : 1;
  return { tp: dropLeadingClasses(tp, first), fp: dropLeadingClasses(fp, first), fn: dropLeadingClasses(fn, first) };
}
