import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { softmaxCrossEntropy, softmaxCrossEntropyReference } from '../../../../main/training/backend/fused-cross-entropy.ts';
import { maxAbsDiff, randomTensor, useCpuKernels } from './setup.ts';

useCpuKernels();

afterEach(() => {
  delete process.env.SEGSTATION_CPU_KERNELS;
});

/** One-hot rows of `classes` from seeded class indices. */
function oneHot(voxels: number, classes: number, seed: number): tf.Tensor2D {
  const labels = Array.from(randomTensor([voxels], seed, 0, classes).dataSync(), Math.floor);
  return tf.tensor2d(Float32Array.from({ length: voxels * classes }, (_, i) => (labels[Math.floor(i / classes)] === i % classes ? 1 : 0)), [voxels, classes]);
}

describe('fused softmax cross-entropy', () => {
  it('hand-checked: logits [0, ln 3] against class 1 give -ln(3/4); against [0.5, 0.5] give ln 4 - ln(3)/2', () => {
    const logits = tf.tensor2d([[0, Math.log(3)], [0, Math.log(3)]]);
    const ce = softmaxCrossEntropy(logits, tf.tensor2d([[0, 1], [0.5, 0.5]])).dataSync();
    expect(ce[0]).toBeCloseTo(-Math.log(3 / 4), 6);
    expect(ce[1]).toBeCloseTo(Math.log(4) - Math.log(3) / 2, 6);
  });

  it.each([
    { name: '3 classes, one-hot', voxels: 257, classes: 3, scale: 4, soft: false },
    { name: '1 class (loss 0 everywhere)', voxels: 10, classes: 1, scale: 4, soft: false },
    { name: '7 classes, soft targets', voxels: 64, classes: 7, scale: 2, soft: true },
    { name: 'large logits (stability)', voxels: 50, classes: 4, scale: 2000, soft: false },
    { name: 'targets not summing to 1 (unlabelled rows, weights)', voxels: 40, classes: 3, scale: 3, soft: 'unnormalised' },
  ] as const)('$name: value and gradients equal the composite formula', ({ voxels, classes, scale, soft }) => {
    const logits = tf.mul(randomTensor([voxels, classes], 1), scale) as tf.Tensor2D;
    const target =
      soft === 'unnormalised' ? (randomTensor([voxels, classes], 2, 0, 2) as tf.Tensor2D) : soft ? (tf.softmax(randomTensor([voxels, classes], 2)) as tf.Tensor2D) : oneHot(voxels, classes, 3);
    const fused = softmaxCrossEntropy(logits, target);
    const reference = softmaxCrossEntropyReference(logits, target);
    expect(maxAbsDiff(fused, reference)).toBeLessThan(1e-5 * Math.max(1, scale / 100));
    const probe = randomTensor([voxels], 4);
    const grads = (f: typeof softmaxCrossEntropy) => tf.grads((l: tf.Tensor, t: tf.Tensor) => tf.sum(tf.mul(f(l as tf.Tensor2D, t as tf.Tensor2D), probe)))([logits, target]);
    const [gl, gt] = grads(softmaxCrossEntropy);
    const [rl, rt] = grads(softmaxCrossEntropyReference);
    expect(maxAbsDiff(gl, rl)).toBeLessThan(1e-5);
    expect(maxAbsDiff(gt, rt)).toBeLessThan(1e-4 * Math.max(1, scale));
  });

  it('falls back to the composite formula with SEGSTATION_CPU_KERNELS=tfjs, with the same values', () => {
    const logits = randomTensor([20, 3], 5) as tf.Tensor2D;
    const target = oneHot(20, 3, 6);
    const fused = softmaxCrossEntropy(logits, target);
    process.env.SEGSTATION_CPU_KERNELS = 'tfjs';
    expect(maxAbsDiff(softmaxCrossEntropy(logits, target), fused)).toBeLessThan(1e-6);
  });

  it('refuses logits and targets of different shapes', () => {
    expect(() => softmaxCrossEntropy(tf.zeros([4, 3]) as tf.Tensor2D, tf.zeros([4, 2]) as tf.Tensor2D)).toThrow(/differ/);
  });
});
