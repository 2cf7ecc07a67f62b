import * as tf from '@tensorflow/tfjs-core';
import { softCounts, type OverlapOptions } from './overlap.ts';
import { checkPair } from './shape.ts';

export interface TverskyOptions extends OverlapOptions {
  /** Weight of false positives (default 0.3). */
  alpha?: number;
  /** Weight of false negatives (default 0.7). alpha = beta = 0.5 gives soft Dice. */
  beta?: number;
  smooth?: number;
}

export interface FocalTverskyOptions extends TverskyOptions {
  /** Exponent on (1 - TI) per class (default 0.75, i.e. 1/γ with Abraham & Khan's γ = 4/3). */
  gamma?: number;
}

/** Tversky index per sample/class: (tp + s) / (tp + α fp + β fn + s). Empty classes as for soft Dice. */
function tverskyIndex(logits: tf.Tensor, target: tf.Tensor, options: TverskyOptions): tf.Tensor {
  const { tp, fp, fn } = softCounts(logits, target, options);
  const alpha = options.alpha ?? 0.3;
  const beta = options.beta ?? 0.7;
  const smooth = options.smooth ?? 1e-5;
  const denominator = tf.add(tf.add(tf.add(tp, tf.mul(fp, alpha)), tf.mul(fn, beta)), smooth);
  return tf.div(tf.add(tp, smooth), tf.maximum(denominator, 1e-8));
}

function check(name: string, logits: tf.Tensor, target: tf.Tensor, options: TverskyOptions): void {
  const classes = checkPair(name, logits, target);
  if (!options.includeBackground && classes < 2) throw new Error(`${name}: without background there must be at least 2 classes`);
}

/** Tversky loss (Salehi et al. 2017): 1 - mean over classes (and samples unless batchDice) of the Tversky index. */
export function tverskyLoss(logits: tf.Tensor, target: tf.Tensor, options: TverskyOptions = {}): tf.Scalar {
  check('Tversky', logits, target, options);
  return tf.tidy(() => tf.sub(1, tf.mean(tverskyIndex(logits, target, options))) as tf.Scalar);
}

/** Focal-Tversky loss (Abraham & Khan 2019): mean of (1 - TI)^γ. */
export function focalTverskyLoss(logits: tf.Tensor, target: tf.Tensor, options: FocalTverskyOptions = {}): tf.Scalar {
  check('Focal-Tversky', logits, target, options);
  const gamma = options.gamma ?? 0.75;
  return tf.tidy(() => {
    // The floor keeps the gradient of x^γ (γ < 1) finite at a perfect prediction.
    const miss = tf.maximum(tf.sub(1, tverskyIndex(logits, target, options)), 1e-7);
    return tf.mean(tf.pow(miss, gamma)) as tf.Scalar;
  });
}
