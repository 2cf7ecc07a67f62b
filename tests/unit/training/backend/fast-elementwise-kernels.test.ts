import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { fastElementwiseKernelsActive, runReplacedElementwiseKernel } from '../../../../main/training/backend/index.ts';
import { broadcastBinary, reduceSum, sliceValues } from '../../../../main/training/backend/fast-elementwise-kernels.ts';
import { collapse } from '../../../../main/training/backend/strided.ts';
import { expectCentralDifferences, randomTensor, useCpuKernels } from './setup.ts';

useCpuKernels();

const random = (shape: number[], seed: number): tf.Tensor => randomTensor(shape, seed, -0.5, 1.5);

function expectClose(actual: tf.Tensor, expected: tf.Tensor, tolerance: number): void {
  expect(actual.shape).toEqual(expected.shape);
  expect(actual.dtype).toBe(expected.dtype);
  const a = actual.dataSync();
  const e = expected.dataSync();
  for (let i = 0; i < e.length; i++) expect(Math.abs(a[i] - e[i])).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(e[i])));
}

describe('strided loops', () => {
  it('collapse merges what every operand walks contiguously and keeps broadcast dims apart', () => {
    // [2, 3, 4, 5] against a per-(batch, channel) operand [2, 1, 1, 5]: batch | spatial (merged) | channels.
    expect(collapse({ dims: [2, 3, 4, 5], strides: [[60, 20, 5, 1], [5, 0, 0, 1]] })).toEqual({ dims: [2, 12, 5], strides: [[60, 5, 1], [5, 0, 1]] });
    expect(collapse({ dims: [1, 1], strides: [[1, 1]] })).toEqual({ dims: [1], strides: [[0]] });
  });

  it('hand-checked values: broadcast, reduce and slice', () => {
    const add = broadcastBinary('Sub', [2, 2], Float32Array.from([1, 2, 3, 4]), [2], Float32Array.from([10, 20]));
    expect(add).toEqual({ shape: [2, 2], values: Float32Array.from([-9, -18, -7, -16]) });
    expect(reduceSum([2, 3], Float32Array.from([1, 2, 3, 4, 5, 6]), [0], false, true)).toEqual({ shape: [1, 3], values: Float32Array.from([5, 7, 9]) });
    expect(reduceSum([2, 3], Float32Array.from([1, 2, 3, 4, 5, 6]), [1], true, false)).toEqual({ shape: [2], values: Float32Array.from([2, 5]) });
    expect(sliceValues([2, 3], Float32Array.from([1, 2, 3, 4, 5, 6]), [0, 1], [2, 2])).toEqual(Float32Array.from([2, 3, 5, 6]));
  });
});

describe('fast elementwise kernels on cpu match tfjs', () => {
  it('are registered', () => {
    expect(fastElementwiseKernelsActive()).toBe(true);
  });

  const broadcasts = [
    { name: 'same shape', a: [3, 5, 7], b: [3, 5, 7] },
    { name: 'instance-norm statistics', a: [2, 5, 6, 7, 1], b: [2, 1, 1, 7, 1] },
    { name: 'per-channel affine', a: [2, 3, 4, 5, 6], b: [6] },
    { name: 'scalar on the left', a: [], b: [4, 9] },
    { name: 'both broadcast', a: [3, 1, 5], b: [1, 4, 1] },
    { name: 'group norm', a: [2, 3, 3, 2, 4], b: [2, 1, 1, 2, 1] },
    { name: 'per-pixel statistics (softmax)', a: [2, 3, 5, 3], b: [2, 3, 5, 1] },
    { name: 'scalar on the right', a: [3, 7], b: [] },
    { name: 'per-row column', a: [4, 1], b: [4, 5] },
  ];
  for (const op of ['Add', 'Sub', 'Multiply', 'RealDiv', 'Greater'] as const) {
    it.each(broadcasts)(`${op}: $name`, ({ a, b }) => {
      tf.tidy(() => {
        const at = random(a, 1);
        // Away from 0 for RealDiv; on a coarse grid for Greater, so that equal values (false) occur too.
        const bt = op === 'Greater' ? tf.round(random(b, 2)) : tf.add(random(b, 2), 0.75);
        const at2 = op === 'Greater' ? tf.round(at) : at;
        const fast = tf.engine().runKernel(op, { a: at2, b: bt }) as tf.Tensor;
        expectClose(fast, runReplacedElementwiseKernel(op, { a: at2, b: bt }, {}) as tf.Tensor, 1e-6);
        const swapped = tf.engine().runKernel(op, { a: bt, b: at2 }) as tf.Tensor;
        if (op !== 'RealDiv') expectClose(swapped, runReplacedElementwiseKernel(op, { a: bt, b: at2 }, {}) as tf.Tensor, 1e-6);
      });
    });
  }

  it.each([
    { shape: [2, 5, 6, 7, 3], alpha: 0.01 },
    { shape: [9], alpha: 0.2 },
    { shape: [4, 4], alpha: 0 },
  ])('LeakyRelu $shape alpha $alpha', ({ shape, alpha }) => {
    tf.tidy(() => {
      // Exact zeros and negative zeros too: tfjs puts x = 0 on the alpha side.
      const x = tf.concat([tf.reshape(random(shape, 5), [-1]), tf.tensor([0, -0, -1e-30, 1e-30])]);
      const fast = tf.engine().runKernel('LeakyRelu', { x }, { alpha }) as tf.Tensor;
      expectClose(fast, runReplacedElementwiseKernel('LeakyRelu', { x }, { alpha }) as tf.Tensor, 0);
    });
  });

  it.each([
    { name: 'channels, keepDims (softmax)', shape: [2, 3, 5, 4], axis: [-1], keepDims: true },
    { name: 'two trailing axes', shape: [3, 4, 5], axis: [1, 2], keepDims: false },
    { name: 'everything', shape: [6, 7], axis: [0, 1], keepDims: false },
    { name: 'a leading axis (tfjs transposes)', shape: [4, 3, 2], axis: [0], keepDims: true },
  ])('Max: $name', ({ shape, axis, keepDims }) => {
    tf.tidy(() => {
      // Ties, -Infinity and a NaN (which wins its row in tfjs).
      const values = random(shape, 12).dataSync().map((v, i) => (i === 7 ? NaN : i === 3 ? -Infinity : Math.round(v * 4)));
      const x = tf.tensor(values, shape);
      const attrs = { reductionIndices: axis, keepDims };
      const fast = tf.engine().runKernel('Max', { x }, attrs) as tf.Tensor;
      const expected = runReplacedElementwiseKernel('Max', { x }, attrs) as tf.Tensor;
      expect(fast.shape).toEqual(expected.shape);
      expect(Array.from(fast.dataSync())).toEqual(Array.from(expected.dataSync()));
    });
  });

  it('logSoftmax and its gradient match the same maths on tfjs kernels', () => {
    tf.tidy(() => {
      const logits = tf.mul(random([2, 5, 7, 3], 8), 6);
      const weights = random([2, 5, 7, 3], 9);
      const loss = (t: tf.Tensor): tf.Scalar => tf.sum(tf.mul(tf.logSoftmax(t), weights));
      const [value, grad] = [loss(logits), tf.grad(loss)(logits)];
      // The same maths with the replaced kernels only: log-softmax = x - max - log(sum(exp(x - max))).
      const run = (name: 'Sub' | 'Exp' | 'Sum' | 'Multiply', inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown> = {}): tf.Tensor =>
        runReplacedElementwiseKernel(name, inputs, attrs) as tf.Tensor;
      const shifted = run('Sub', { a: logits, b: tf.max(logits, -1, true) });
      const lse = tf.log(run('Sum', { x: run('Exp', { x: shifted }) }, { axis: [3], keepDims: true }));
      const reference = run('Sub', { a: shifted, b: lse });
      expect(Math.abs(value.dataSync()[0] - run('Sum', { x: run('Multiply', { a: reference, b: weights }) }, { axis: [0, 1, 2, 3] }).dataSync()[0])).toBeLessThan(1e-4);
      // d/dx sum(w * logsoftmax(x)) = w - softmax(x) * sum(w).
      const softmax = run('Exp', { x: reference });
      const expected = run('Sub', { a: weights, b: run('Multiply', { a: softmax, b: run('Sum', { x: weights }, { axis: [3], keepDims: true }) }) });
      expectClose(grad, expected, 1e-5);
    });
  });

  it('int32 arithmetic goes to tfjs and keeps its dtype', () => {
    const r = tf.add(tf.tensor([1, 2, 3], [3], 'int32'), tf.tensor([5], [1], 'int32'));
    expect(r.dtype).toBe('int32');
    expect(Array.from(r.dataSync())).toEqual([6, 7, 8]);
  });

  const reductions = [
    { name: 'spatial, keepDims', shape: [2, 4, 5, 6, 1], axis: [1, 2, 4], keepDims: true },
    { name: 'all but channels', shape: [3, 4, 5, 7], axis: [0, 1, 2], keepDims: false },
    { name: 'last axis', shape: [4, 6, 3], axis: [-1], keepDims: false },
    { name: 'everything', shape: [5, 6], axis: [0, 1], keepDims: false },
    { name: 'middle axis', shape: [3, 8, 2], axis: [1], keepDims: true },
    { name: 'bias gradient, rows not a multiple of 4', shape: [2, 9, 11, 5], axis: [0, 1, 2], keepDims: false },
    { name: 'bias gradient of a 3D layer', shape: [1, 5, 6, 7, 3], axis: [0, 1, 2, 3], keepDims: false },
    { name: 'softmax denominator', shape: [2, 7, 9, 3], axis: [3], keepDims: true },
    { name: 'leading axis of a long matrix', shape: [150, 3], axis: [0], keepDims: true },
  ];
  for (const op of ['Sum', 'Mean'] as const) {
    it.each(reductions)(`${op}: $name`, ({ shape, axis, keepDims }) => {
      tf.tidy(() => {
        const x = random(shape, 3);
        const fast = tf.engine().runKernel(op, { x }, { axis, keepDims }) as tf.Tensor;
        expectClose(fast, runReplacedElementwiseKernel(op, { x }, { axis, keepDims }) as tf.Tensor, 1e-5);
      });
    });
  }

  it('Slice and SplitV on the channel axis (concat gradient) and on leading axes', () => {
    tf.tidy(() => {
      const x = random([2, 3, 4, 7], 4);
      for (const [begin, size] of [
        [
          [0, 0, 0, 2],
          [2, 3, 4, 3],
        ],
        [
          [1, 1, 0, 0],
          [1, 2, 4, 7],
        ],
        [
          [0, 2, 1, 6],
          [-1, 1, 2, 1],
        ],
      ]) {
        const fast = tf.engine().runKernel('Slice', { x }, { begin, size }) as tf.Tensor;
        expectClose(fast, runReplacedElementwiseKernel('Slice', { x }, { begin, size }) as tf.Tensor, 0);
      }
      const parts = tf.split(x, [3, 4], -1);
      const ref = runReplacedElementwiseKernel('SplitV', { x }, { numOrSizeSplits: [3, 4], axis: -1 }) as tf.Tensor[];
      expect(parts).toHaveLength(2);
      parts.forEach((p, i) => expectClose(p, ref[i], 0));
      const ints = tf.split(tf.tensor([1, 2, 3, 4, 5, 6], [3, 2], 'int32'), 3, 0);
      expect(ints.map((t) => Array.from(t.dataSync()))).toEqual([
        [1, 2],
        [3, 4],
        [5, 6],
      ]);
    });
  });

  it('instance-norm gradients through the fast kernels match central differences', () => {
    const x = random([1, 3, 4, 2], 5);
    const probe = random([1, 3, 4, 2], 6);
    const loss = (t: tf.Tensor): tf.Scalar =>
      tf.tidy(() => {
        const { mean, variance } = tf.moments(t, [1, 2], true);
        return tf.sum(tf.mul(tf.div(tf.sub(t, mean), tf.sqrt(tf.add(variance, 1e-3))), probe));
      });
    expectCentralDifferences(loss, x, 1e-2, 2e-2, 2e-2);
  });
});
