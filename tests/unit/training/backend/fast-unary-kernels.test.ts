import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { runReplacedElementwiseKernel } from '../../../../main/training/backend/index.ts';
import { expValues } from '../../../../main/training/backend/fast-unary-kernels.ts';
import { randomTensor, randomValues, useCpuKernels } from './setup.ts';

useCpuKernels();

const random = (shape: number[], seed: number): tf.Tensor => randomTensor(shape, seed, -0.5, 1.5);

describe('fast unary kernels on cpu match tfjs', () => {
  /** |a - e| <= 1 ulp of e (float32), with equal infinities, zeros and NaNs. */
  function expectWithinUlp(actual: Float32Array, expected: Float32Array, input: Float32Array): void {
    expect(actual.length).toBe(expected.length);
    for (let i = 0; i < expected.length; i++) {
      const [a, e] = [actual[i], expected[i]];
      if (!Number.isFinite(e) || e === 0) expect({ x: input[i], y: a }).toEqual({ x: input[i], y: e });
      else expect({ x: input[i], off: Math.abs(a - e) <= Math.abs(e) * 2 ** -23 }).toEqual({ x: input[i], off: true });
    }
  }

  it('Exp: limits, specials and a sweep of the float32 range within 1 ulp of tfjs', () => {
    const specials = [0, -0, 1, -1, 1e-30, -1e-30, 0.5, 88.72, 88.73, 89, 100, -87.3, -103.2, -103.97, -104, -110, NaN, Infinity, -Infinity];
    const sweep = randomValues(20000, 11, -105, 90);
    const x = tf.tensor(Float32Array.from([...specials, ...sweep]));
    const fast = (tf.engine().runKernel('Exp', { x }) as tf.Tensor).dataSync() as Float32Array;
    const reference = (runReplacedElementwiseKernel('Exp', { x }, {}) as tf.Tensor).dataSync() as Float32Array;
    expectWithinUlp(fast, reference, x.dataSync() as Float32Array);
    // Nearly always the same float32 as Math.exp rounded; 1 ulp apart only next to a rounding boundary.
    const differing = reference.filter((e, i) => e !== fast[i] && !(Number.isNaN(e) && Number.isNaN(fast[i]))).length;
    expect(differing).toBeLessThan(reference.length / 1000);
    expect(Array.from(expValues(Float32Array.from([0, 1, -1])))).toEqual([1, Math.fround(Math.E), Math.fround(1 / Math.E)]);
  });

  it.each(['Log', 'Sqrt'] as const)('%s: same values as tfjs, with zeros, negatives, infinities and NaN', (name) => {
    tf.tidy(() => {
      const x = tf.concat([tf.abs(tf.reshape(random([3, 5, 7], 13), [-1])), tf.tensor([0, -0, -1, 1, Infinity, -Infinity, NaN, 1e-40])]);
      const fast = tf.engine().runKernel(name, { x }) as tf.Tensor;
      const reference = runReplacedElementwiseKernel(name, { x }, {}) as tf.Tensor;
      expect(fast.dtype).toBe('float32');
      expect(Array.from(fast.dataSync())).toEqual(Array.from(reference.dataSync()));
    });
  });

  it('Exp of int32 goes to tfjs (float32 result)', () => {
    const r = tf.exp(tf.tensor([0, 1], [2], 'int32'));
    expect(r.dtype).toBe('float32');
    expect(Array.from(r.dataSync())).toEqual([1, Math.fround(Math.E)]);
  });
});
