import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { ensureGradients, gradientsRegistered } from '../../../../main/training/backend/index.ts';

describe('ensureGradients', () => {
  it("registers tfjs-core's gradients and chained ops, which its Node entry lacks", async () => {
    await tf.setBackend('cpu');
    await Promise.all([ensureGradients(), ensureGradients()]);
    expect(gradientsRegistered()).toBe(true);
    // d/dx sum(x^2) = 2x
    const x = tf.tensor1d([1, 2]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.square(v)))(x).dataSync();
    expect(Array.from(g)).toEqual([2, 4]);
    // Chained ops (x.square()) come from the same bundle.
    expect(Array.from((x as tf.Tensor & { square(): tf.Tensor }).square().dataSync())).toEqual([1, 4]);
    await ensureGradients();
  });
});
