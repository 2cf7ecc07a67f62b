import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureGradients, registerCpuKernelFixes, runReplacedElementwiseKernel } from '../../../../main/training/backend/index.ts';
import { concatValues, copyRows, splitValues } from '../../../../main/training/backend/fast-concat-kernels.ts';
import { mulberry32 } from '../../../../main/util/random.ts';

beforeAll(async () => {
  await ensureGradients();
  await tf.setBackend('cpu');
  registerCpuKernelFixes();
});

function random(shape: number[], seed: number, dtype: 'float32' | 'int32' = 'float32'): tf.Tensor {
  const rand = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: n }, () => (dtype === 'int32' ? Math.floor(rand() * 1000 - 500) : rand() * 2 - 0.5));
  return tf.tensor(values, shape, dtype);
}

function expectSame(actual: tf.Tensor, expected: tf.Tensor): void {
  expect(actual.shape).toEqual(expected.shape);
  expect(actual.dtype).toBe(expected.dtype);
  expect(Array.from(actual.dataSync())).toEqual(Array.from(expected.dataSync()));
}

describe('row copies', () => {
  it('hand-checked values: concat and split on the last and the first axis', () => {
    const a = Float32Array.from([1, 2, 3, 4]); // [2, 2]
    const b = Float32Array.from([5, 6]); // [2, 1]
    expect(concatValues([[2, 2], [2, 1]], [a, b], 1)).toEqual(Float32Array.from([1, 2, 5, 3, 4, 6]));
    expect(concatValues([[2, 2], [1, 2]], [a, Float32Array.from([7, 8])], 0)).toEqual(Float32Array.from([1, 2, 3, 4, 7, 8]));
    expect(splitValues([2, 3], Float32Array.from([1, 2, 5, 3, 4, 6]), 1, [2, 1])).toEqual([Float32Array.from([1, 2, 3, 4]), Float32Array.from([5, 6])]);
    expect(splitValues([3, 1], Int32Array.from([1, 2, 3]), 0, [1, 0, 2])).toEqual([Int32Array.from([1]), new Int32Array(0), Int32Array.from([2, 3])]);
  });

  it.each([1, 3, 4, 7, 600])('copyRows with rows of %i elements (unrolled loop, tail and TypedArray.set)', (cols) => {
    const rows = 3;
    const src = Float32Array.from({ length: rows * (cols + 2) }, (_, i) => i + 1);
    const dst = new Float32Array(rows * (cols + 5));
    copyRows(src, 1, cols + 2, dst, 2, cols + 5, rows, cols);
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < cols + 5; i++) {
        const inside = i >= 2 && i < cols + 2;
        expect(dst[r * (cols + 5) + i]).toBe(inside ? src[r * (cols + 2) + 1 + i - 2] : 0);
      }
    }
  });
});

describe('Concat and SplitV on cpu match tfjs', () => {
  const concats = [
    { name: 'channels of a decoder level (3 inputs, odd counts)', shapes: [[2, 3, 5, 4], [2, 3, 5, 7], [2, 3, 5, 1]], axis: -1 },
    { name: 'first axis', shapes: [[2, 3], [5, 3]], axis: 0 },
    { name: 'middle axis', shapes: [[2, 3, 4, 5], [2, 1, 4, 5]], axis: 1 },
    { name: '3D channels', shapes: [[1, 2, 3, 2, 6], [1, 2, 3, 2, 6]], axis: 4 },
    { name: 'long rows (TypedArray.set)', shapes: [[3, 600], [3, 700]], axis: 1 },
    { name: 'vectors', shapes: [[5], [3]], axis: 0 },
    { name: 'an empty input', shapes: [[2, 0, 3], [2, 4, 3]], axis: 1 },
  ];
  it.each(concats)('Concat: $name', ({ shapes, axis }) => {
    tf.tidy(() => {
      const inputs = shapes.map((s, k) => random(s, k + 1));
      expectSame(tf.concat(inputs, axis), runReplacedElementwiseKernel('Concat', inputs, { axis }) as tf.Tensor);
    });
  });

  it('Concat of int32 and of bool tensors keeps the dtype', () => {
    tf.tidy(() => {
      const ints = [random([2, 3], 1, 'int32'), random([2, 2], 2, 'int32')];
      expectSame(tf.concat(ints, 1), runReplacedElementwiseKernel('Concat', ints, { axis: 1 }) as tf.Tensor);
      const bools = [tf.tensor([true, false], [2, 1], 'bool'), tf.tensor([false, true], [2, 1], 'bool')];
      const joined = tf.concat(bools, 1);
      expect(joined.dtype).toBe('bool');
      expect(Array.from(joined.dataSync())).toEqual([1, 0, 0, 1]);
    });
  });

  const splits = [
    { name: 'channels in halves', shape: [2, 3, 4, 8], sizes: [4, 4], axis: -1 },
    { name: 'channels, odd sizes and an empty part', shape: [2, 3, 5, 7], sizes: [2, 0, 4, 1], axis: 3 },
    { name: 'first axis', shape: [5, 3], sizes: [1, 4], axis: 0 },
    { name: 'middle axis, -1 size', shape: [2, 6, 3, 2], sizes: [1, -1, 2], axis: 1 },
    { name: 'long rows (TypedArray.set)', shape: [2, 1300], sizes: [700, 600], axis: 1 },
  ];
  it.each(splits)('SplitV: $name', ({ shape, sizes, axis }) => {
    tf.tidy(() => {
      const x = random(shape, 7);
      const parts = tf.split(x, sizes, axis);
      const expected = runReplacedElementwiseKernel('SplitV', { x }, { numOrSizeSplits: sizes, axis }) as tf.Tensor[];
      expect(parts).toHaveLength(sizes.length);
      parts.forEach((p, i) => expectSame(p, expected[i]));
    });
  });

  it('the gradient of a channel concat hands each input its own slice of dy', () => {
    tf.tidy(() => {
      const a = random([2, 3, 3, 2], 1);
      const b = random([2, 3, 3, 5], 2);
      const weights = random([2, 3, 3, 7], 3);
      const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.concat([x, y], -1), weights)))([a, b]);
      const reference = runReplacedElementwiseKernel('SplitV', { x: weights }, { numOrSizeSplits: [2, 5], axis: 3 }) as tf.Tensor[];
      expectSame(ga, reference[0]);
      expectSame(gb, reference[1]);
    });
  });
});
