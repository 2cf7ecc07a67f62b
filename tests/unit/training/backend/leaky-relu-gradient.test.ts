import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureGradients, fastLeakyReluGradientActive, registerCpuKernelFixes } from '../../../../main/training/backend/index.ts';
import { leakyReluGradValues } from '../../../../main/training/backend/leaky-relu-gradient.ts';

beforeAll(async () => {
  await ensureGradients();
  await tf.setBackend('cpu');
  registerCpuKernelFixes();
});

describe('one-pass leaky ReLU gradient', () => {
  it('is the registered LeakyRelu gradient', () => {
    expect(fastLeakyReluGradientActive()).toBe(true);
  });

  it('hand-checked: dy where x > 0, alpha * dy elsewhere (x = 0 included, as tfjs)', () => {
    expect(Array.from(leakyReluGradValues(Float32Array.from([1, 2, 3, 4]), Float32Array.from([-1, 0, 0.5, 2]), 0.25))).toEqual([0.25, 0.5, 3, 4]);
  });

  it('tf.grad through leakyRelu equals tfjs formula where(x > 0, dy, alpha * dy)', () => {
    const x = tf.tensor([-2, -0.5, 0, 0.5, 3, -1], [2, 3]);
    const probe = tf.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.leakyRelu(t, 0.1), probe)))(x);
    const expected = tf.where(tf.greater(x, 0), probe, tf.mul(probe, 0.1));
    expect(Array.from(g.dataSync())).toEqual(Array.from(expected.dataSync()));
  });
});
