// Per-voxel softmax cross-entropy as one op with its own gradient. Composed from tfjs ops (logSoftmax = max, sub, exp,
// sum, log, sub; then mul, sum, neg) it costs ~9 passes over the logits forward and more backward; on the cpu backend
// that is a tenth of a 3D U-Net step once convolutions are fast. Here: one pass forward (keeping the softmax and its
// log) and one backward. Other backends, other dtypes and SEGSTATION_CPU_KERNELS=tfjs get the composite formula.
import * as tf from '@tensorflow/tfjs-core';
import { expValues } from './fast-unary-kernels.ts';

/** -sum_c target[v, c] * logSoftmax(logits)[v, c] per row v of [voxels, classes] logits and targets (the composite formula). */
export function softmaxCrossEntropyReference(logits: tf.Tensor2D, target: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(logits)), -1)) as tf.Tensor1D);
}

interface ForwardValues {
  ce: Float32Array;
  /** softmax and log-softmax, [voxels * classes]. */
  p: Float32Array;
  logP: Float32Array;
}

function forwardValues(logits: Float32Array, target: Float32Array, classes: number): ForwardValues {
  const voxels = logits.length / classes;
  const shifted = new Float32Array(logits.length);
  const maxima = new Float32Array(voxels);
  for (let v = 0, o = 0; v < voxels; v++, o += classes) {
    let m = -Infinity;
    for (let c = 0; c < classes; c++) if (logits[o + c] > m) m = logits[o + c];
    // A row of -Infinity (or NaN) logits: shift by 0 and let the maths give NaN/Infinity as the composite would.
    if (!Number.isFinite(m)) m = 0;
    maxima[v] = m;
    for (let c = 0; c < classes; c++) shifted[o + c] = logits[o + c] - m;
  }
  const p = expValues(shifted);
  const logP = shifted; // becomes log-softmax in place
  const ce = new Float32Array(voxels);
  for (let v = 0, o = 0; v < voxels; v++, o += classes) {
    let s = 0;
    for (let c = 0; c < classes; c++) s += p[o + c];
    const logS = Math.log(s);
    let loss = 0;
    for (let c = 0; c < classes; c++) {
      p[o + c] /= s;
      logP[o + c] -= logS;
      loss -= target[o + c] * logP[o + c];
    }
    ce[v] = loss;
  }
  return { ce, p, logP };
}

/**
 * Per-voxel softmax cross-entropy of [voxels, classes] logits against [voxels, classes] targets (one-hot or soft):
 * ce[v] = -sum_c target[v, c] * log softmax(logits[v])_c. Gradients: d/dlogits = dce * (softmax * sum_c target - target),
 * d/dtarget = -dce * log softmax.
 */
export function softmaxCrossEntropy(logits: tf.Tensor2D, target: tf.Tensor2D): tf.Tensor1D {
  if (tf.getBackend() !== 'cpu' || logits.dtype !== 'float32' || target.dtype !== 'float32' || process.env.SEGSTATION_CPU_KERNELS === 'tfjs') {
    return softmaxCrossEntropyReference(logits, target);
  }
  const [voxels, classes] = logits.shape;
  if (target.shape[0] !== voxels || target.shape[1] !== classes) {
    throw new Error(`softmaxCrossEntropy: logits [${logits.shape.join(', ')}] and target [${target.shape.join(', ')}] differ`);
  }
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [li, ti] = args as [tf.Tensor2D, tf.Tensor2D];
    const t = ti.dataSync() as Float32Array;
    const { ce, p, logP } = forwardValues(li.dataSync() as Float32Array, t, classes);
    return {
      value: tf.tensor1d(ce, 'float32'),
      gradFunc: (dy: tf.Tensor) => {
        const d = dy.dataSync() as Float32Array;
        const dLogits = new Float32Array(p.length);
        const dTarget = new Float32Array(p.length);
        for (let v = 0, o = 0; v < voxels; v++, o += classes) {
          let sumT = 0;
          for (let c = 0; c < classes; c++) sumT += t[o + c];
          for (let c = 0; c < classes; c++) {
            dLogits[o + c] = d[v] * (p[o + c] * sumT - t[o + c]);
            dTarget[o + c] = -d[v] * logP[o + c];
          }
        }
        return [tf.tensor2d(dLogits, [voxels, classes], 'float32'), tf.tensor2d(dTarget, [voxels, classes], 'float32')];
      },
    };
  });
  return op(logits, target) as tf.Tensor1D;
}
