// What the cpu-kernel tests share: the cpu backend with every replacement kernel registered, and seeded inputs.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, expect } from 'vitest';
import { ensureGradients, registerCpuKernelFixes } from '../../../../main/training/backend/index.ts';
import { mulberry32 } from '../../../../main/util/random.ts';

/** Registers, before the file's tests, the gradients and the cpu backend with the replacement kernels. */
export function useCpuKernels(): void {
  beforeAll(async () => {
    await ensureGradients();
    await tf.setBackend('cpu');
    registerCpuKernelFixes();
  });
}

/** n seeded values, uniform in [low, high). */
export function randomValues(n: number, seed: number, low = -1, high = 1): Float32Array {
  const rand = mulberry32(seed);
  return Float32Array.from({ length: n }, () => low + rand() * (high - low));
}

/** A float32 tensor of seeded values, uniform in [low, high). */
export function randomTensor(shape: number[], seed: number, low = -1, high = 1): tf.Tensor {
  return tf.tensor(randomValues(shape.reduce((a, b) => a * b, 1), seed, low, high), shape);
}

/** The largest |a[i] - b[i]|; tensors must have the same shape, arrays the same length. */
export function maxAbsDiff(a: tf.Tensor | Float32Array, b: tf.Tensor | Float32Array): number {
  if (a instanceof tf.Tensor && b instanceof tf.Tensor) expect(a.shape).toEqual(b.shape);
  const av = a instanceof tf.Tensor ? a.dataSync() : a;
  const bv = b instanceof tf.Tensor ? b.dataSync() : b;
  expect(av.length).toBe(bv.length);
  let d = 0;
  for (let i = 0; i < av.length; i++) d = Math.max(d, Math.abs(av[i] - bv[i]));
  return d;
}

/**
 * Checks d loss / d arg against central differences (step h) at every coordinate of arg: |analytic - numeric| <
 * absolute + relative * |numeric|. Returns the largest |numeric|, for callers that also want the gradient not to vanish.
 */
export function expectCentralDifferences(loss: (arg: tf.Tensor) => tf.Scalar, arg: tf.Tensor, h: number, absolute: number, relative: number): number {
  const analytic = tf.grad(loss)(arg).dataSync();
  const base = arg.dataSync();
  let largest = 0;
  for (let i = 0; i < base.length; i++) {
    const at = (delta: number): number =>
      tf.tidy(() => {
        const v = Float32Array.from(base);
        v[i] += delta;
        return loss(tf.tensor(v, arg.shape)).dataSync()[0];
      });
    const numeric = (at(h) - at(-h)) / (2 * h);
    expect(Math.abs(analytic[i] - numeric)).toBeLessThan(absolute + relative * Math.abs(numeric));
    largest = Math.max(largest, Math.abs(numeric));
  }
  return largest;
}
