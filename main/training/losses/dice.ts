import * as tf from '@tensorflow/tfjs-core';
import { softCounts, type OverlapOptions } from './overlap.ts';
import { checkPair } from './shape.ts';

export interface SoftDiceOptions extends OverlapOptions {
  /** Added to numerator and denominator (nnU-Net: 1e-5). */
  smooth?: number;
}

/**
 * Soft Dice loss as in nnU-Net's SoftDiceLoss: dc = (2tp + s) / (2tp + fp + fn + s) per sample and class (or per
 * class with batchDice), loss = 1 - mean(dc). nnU-Net returns -mean(dc); the gradient is the same.
 * Empty class convention: a class absent from the target scores dc = s / (fp + s), about 0 when the net predicts it
 * anywhere (penalised) and exactly 1 when it predicts nothing of it.
 */
export function softDiceLoss(logits: tf.Tensor, target: tf.Tensor, options: SoftDiceOptions = {}): tf.Scalar {
  const classes = checkPair('soft Dice', logits, target);
  if (!options.includeBackground && classes < 2) throw new Error('soft Dice: without background there must be at least 2 classes');
  const smooth = options.smooth ?? 1e-5;
  return tf.tidy(() => {
    const { tp, fp, fn } = softCounts(logits, target, options);
    const twoTp = tf.mul(tp, 2);
    const dc = tf.div(tf.add(twoTp, smooth), tf.maximum(tf.add(tf.add(tf.add(twoTp, fp), fn), smooth), 1e-8));
    return tf.sub(1, tf.mean(dc)) as tf.Scalar;
  });
}
