import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { fastPoolKernelsActive, runReplacedPoolKernel } from '../../../../main/training/backend/index.ts';
import { maxAbsDiff, randomValues, useCpuKernels } from './setup.ts';

useCpuKernels();

/** Values on a coarse grid (many ties inside windows) or continuous. */
function random(shape: number[], seed: number, ties: boolean): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(ties ? randomValues(n, seed, 0, 3).map(Math.floor) : randomValues(n, seed), shape);
}

/** Equal up to the order of adding gradients of overlapping windows. */
function expectSame(actual: tf.Tensor, expected: tf.Tensor): void {
  expect(maxAbsDiff(actual, expected)).toBeLessThan(1e-6);
}

describe('fast max-pooling gradients match tfjs', () => {
  it('are registered', () => {
    expect(fastPoolKernelsActive()).toBe(true);
  });

  const cases2d = [
    { name: '2x2 s2 valid (U-Net)', x: [2, 6, 8, 5], k: 2, s: 2, pad: 'valid' as const },
    { name: '3x3 s2 same, odd size', x: [1, 7, 5, 3], k: 3, s: 2, pad: 'same' as const },
    { name: '3x3 s1 same, overlapping', x: [2, 5, 6, 2], k: 3, s: 1, pad: 'same' as const },
    { name: '2x2 s2 valid, odd size (last row and column dropped)', x: [1, 7, 5, 3], k: 2, s: 2, pad: 'valid' as const },
    { name: '2x2 s2 same, odd size (padded)', x: [2, 5, 3, 2], k: 2, s: 2, pad: 'same' as const },
  ];
  for (const ties of [false, true]) {
    it.each(cases2d)(`MaxPoolGrad $name${ties ? ' with ties' : ''}`, ({ x, k, s, pad }) => {
      tf.tidy(() => {
        const input = random(x, 1, ties) as tf.Tensor4D;
        const output = tf.maxPool(input, k, s, pad);
        const dy = random(output.shape, 2, false);
        const attrs = { filterSize: k, strides: s, pad };
        const fast = tf.engine().runKernel('MaxPoolGrad', { dy, input, output }, attrs) as tf.Tensor;
        const ref = runReplacedPoolKernel('MaxPoolGrad', { dy, input, output }, attrs);
        expectSame(fast, ref);
      });
    });
  }

  const cases3d = [
    { name: '2x2x2 s2 valid (U-Net)', x: [2, 4, 6, 4, 3], k: 2, s: 2, pad: 'valid' as const },
    { name: '3x3x3 s2 same, odd size', x: [1, 5, 3, 7, 2], k: 3, s: 2, pad: 'same' as const },
    { name: '2x2x2 s2 valid, odd sizes', x: [1, 5, 4, 3, 2], k: 2, s: 2, pad: 'valid' as const },
    { name: '1x2x2 s(1,2,2) (in-plane pooling)', x: [2, 3, 4, 6, 2], k: [1, 2, 2] as [number, number, number], s: [1, 2, 2] as [number, number, number], pad: 'valid' as const },
  ];
  for (const ties of [false, true]) {
    it.each(cases3d)(`MaxPool3DGrad $name${ties ? ' with ties' : ''}`, ({ x, k, s, pad }) => {
      tf.tidy(() => {
        const input = random(x, 3, ties) as tf.Tensor5D;
        const output = tf.maxPool3d(input, k, s, pad);
        const dy = random(output.shape, 4, false);
        const attrs = { filterSize: k, strides: s, pad };
        const fast = tf.engine().runKernel('MaxPool3DGrad', { dy, input, output }, attrs) as tf.Tensor;
        const ref = runReplacedPoolKernel('MaxPool3DGrad', { dy, input, output }, attrs);
        expectSame(fast, ref);
      });
    });
  }

  for (const ties of [false, true]) {
    it.each(cases2d)(`MaxPool $name${ties ? ' with ties' : ''}`, ({ x, k, s, pad }) => {
      tf.tidy(() => {
        const input = random(x, 5, ties);
        const attrs = { filterSize: k, strides: s, pad };
        expectSame(tf.engine().runKernel('MaxPool', { x: input }, attrs) as tf.Tensor, runReplacedPoolKernel('MaxPool', { x: input }, attrs));
      });
    });
    it.each(cases3d)(`MaxPool3D $name${ties ? ' with ties' : ''}`, ({ x, k, s, pad }) => {
      tf.tidy(() => {
        const input = random(x, 6, ties);
        const attrs = { filterSize: k, strides: s, pad, dataFormat: 'NDHWC' };
        expectSame(tf.engine().runKernel('MaxPool3D', { x: input }, attrs) as tf.Tensor, runReplacedPoolKernel('MaxPool3D', { x: input }, attrs));
      });
    });
  }

  it.each([
    { name: '2D', shape: [1, 4, 4, 2], pool: 'MaxPool', grad: 'MaxPoolGrad' },
    { name: '3D', shape: [1, 2, 4, 4, 1], pool: 'MaxPool3D', grad: 'MaxPool3DGrad' },
  ] as const)('$name 2x2 pooling and its gradient with NaN and -Infinity values (whole windows in 2D) equal tfjs', ({ shape, pool, grad }) => {
    tf.tidy(() => {
      const values = Array.from({ length: 32 }, (_, i) => ((i * 7) % 5) - 2);
      // 2D: a NaN among numbers, a window of NaNs and one of -Infinity (channel-last indices); 3D: scattered NaN / -Infinity.
      [0, 2].forEach((i) => (values[i] = NaN));
      if (pool === 'MaxPool') [4, 6, 12, 14].forEach((i) => (values[i] = NaN));
      [17, 19, 25, 27].forEach((i) => (values[i] = -Infinity));
      const input = tf.tensor(values, [...shape]);
      const attrs = { filterSize: 2, strides: 2, pad: 'valid' };
      const output = tf.engine().runKernel(pool, { x: input }, attrs) as tf.Tensor;
      expect(Array.from(output.dataSync())).toEqual(Array.from(runReplacedPoolKernel(pool, { x: input }, attrs).dataSync()));
      const dy = random(output.shape, 9, false);
      const fast = tf.engine().runKernel(grad, { dy, input, output }, attrs) as tf.Tensor;
      expect(Array.from(fast.dataSync())).toEqual(Array.from(runReplacedPoolKernel(grad, { dy, input, output }, attrs).dataSync()));
    });
  });

  it('MaxPool of a hand-checked 4x4 image, with a NaN ignored and a negative window', () => {
    const x = tf.tensor4d([1, 5, 2, 0, 3, 4, 9, NaN, -7, -6, -1, 2, -8, -9, 3, 1], [1, 4, 4, 1]);
    expect(Array.from(tf.maxPool(x, 2, 2, 'valid').dataSync())).toEqual([5, 9, -6, 3]);
  });

  it('tf.grad of a pooled sum puts each window gradient on its maximum', () => {
    const x = tf.tensor4d([1, 5, 2, 0, 3, 4, 9, 8, 7, 6, 1, 2, 0, 0, 3, 1], [1, 4, 4, 1]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid')))(x);
    expect(Array.from(g.dataSync())).toEqual([0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0]);
  });
});
