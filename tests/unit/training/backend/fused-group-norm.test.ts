import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterEach, describe, expect, it } from 'vitest';
import { groupNorm, groupNormLeakyRelu, groupNormReference } from '../../../../main/training/backend/fused-group-norm.ts';
import { expectCentralDifferences, maxAbsDiff, randomTensor, useCpuKernels } from './setup.ts';

useCpuKernels();

const random = (shape: number[], seed: number, offset = 0): tf.Tensor => randomTensor(shape, seed, offset - 1, offset + 1);

describe('fused group normalisation', () => {
  it('hand-checked: instance norm of [1, 3, 5] per channel is [-1.2247, 0, 1.2247] times gamma plus beta', () => {
    const x = tf.tensor([1, 3, 5], [1, 3, 1]);
    const y = groupNorm(x, tf.tensor([2]), tf.tensor([0.5]), 1, 0);
    const s = Math.sqrt(1.5);
    expect(Array.from(y.dataSync()).map((v) => Number(v.toFixed(4)))).toEqual([0.5 - 2 * s, 0.5, 0.5 + 2 * s].map((v) => Number(v.toFixed(4))));
  });

  // Both engines: WebAssembly (the default) and the JavaScript loops (SEGSTATION_CPU_KERNELS=tfjs).
  const cases = [
    { name: 'instance norm 3D, batch 2, 5 channels', shape: [2, 3, 4, 5, 5], groups: 5 },
    { name: 'group norm 2D, 6 channels in 2 groups', shape: [2, 5, 7, 6], groups: 2 },
    { name: 'layer norm 2D (1 group), offset input', shape: [1, 4, 3, 3], groups: 1 },
    { name: 'instance norm 2D, 16 channels, several row chunks', shape: [2, 30, 21, 16], groups: 16 },
  ].flatMap((c) => [
    { ...c, engine: 'wasm' },
    { ...c, engine: 'js' },
  ]);

  afterEach(() => {
    delete process.env.SEGSTATION_CPU_KERNELS;
  });

  it.each(cases)('$name ($engine): value and gradients equal the composite formula', ({ shape, groups, engine }) => {
    if (engine === 'js') process.env.SEGSTATION_CPU_KERNELS = 'tfjs';
    const c = shape[shape.length - 1];
    const x = random(shape, 1, 3);
    const gamma = random([c], 2, 1);
    const beta = random([c], 3);
    const probe = random(shape, 4);
    expect(maxAbsDiff(groupNorm(x, gamma, beta, groups, 1e-5), groupNormReference(x, gamma, beta, groups, 1e-5))).toBeLessThan(1e-5);
    const loss = (f: typeof groupNorm) => (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.square(f(a, g, b, groups, 1e-5)), probe));
    const fast = tf.grads(loss(groupNorm))([x, gamma, beta]);
    const ref = tf.grads(loss(groupNormReference))([x, gamma, beta]);
    fast.forEach((g, i) => {
      const scale = tf.max(tf.abs(ref[i])).dataSync()[0];
      expect(maxAbsDiff(g, ref[i]) / scale).toBeLessThan(1e-4);
    });
  });

  it('input gradient matches central differences', () => {
    const x = random([1, 3, 2, 4], 5);
    const gamma = random([4], 6, 1);
    const beta = random([4], 7);
    const probe = random([1, 3, 2, 4], 8);
    const loss = (a: tf.Tensor): tf.Scalar => tf.sum(tf.mul(groupNorm(a, gamma, beta, 2, 1e-3), probe));
    expectCentralDifferences(loss, x, 1e-2, 1e-2, 1e-2);
  });

  it('refuses groups that do not divide the channels', () => {
    expect(() => groupNorm(tf.zeros([1, 2, 2, 6]), tf.ones([6]), tf.zeros([6]), 4, 1e-5)).toThrow(/4 groups do not divide 6 channels/);
  });

  it('refuses a negative leaky ReLU slope (its gradient is read from the output sign)', () => {
    expect(() => groupNormLeakyRelu(tf.zeros([1, 2, 2, 4]), tf.ones([4]), tf.zeros([4]), 4, 1e-5, -0.1)).toThrow(/slope must be >= 0/);
  });
});

describe('group normalisation fused with a leaky ReLU', () => {
  const cases = [
    { name: 'instance norm 2D, 16 channels, slope 0.01, several row chunks', shape: [2, 40, 17, 16], groups: 16, alpha: 0.01 },
    { name: 'instance norm 3D, 8 channels, slope 0.2', shape: [2, 3, 6, 5, 8], groups: 8, alpha: 0.2 },
    { name: 'group norm, 6 channels (vector and scalar lanes), plain ReLU', shape: [1, 7, 9, 6], groups: 3, alpha: 0 },
    { name: 'layer norm, 3 channels (scalar lanes only), slope 0.1', shape: [3, 5, 5, 3], groups: 1, alpha: 0.1 },
  ];

  it.each(cases)('$name: value and gradients equal leakyRelu(composite formula)', ({ shape, groups, alpha }) => {
    const c = shape[shape.length - 1];
    const x = random(shape, 11, 0.5);
    const gamma = random([c], 12, 1);
    const beta = random([c], 13);
    const probe = random(shape, 14);
    const reference = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor => tf.leakyRelu(groupNormReference(a, g, b, groups, 1e-5), alpha);
    const fused = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor => groupNormLeakyRelu(a, g, b, groups, 1e-5, alpha);
    const y = fused(x, gamma, beta);
    expect(maxAbsDiff(y, reference(x, gamma, beta))).toBeLessThan(1e-5);
    // Both signs occur, so both slopes of the activation are exercised.
    const values = y.dataSync();
    expect(values.some((v) => v > 0) && values.some((v) => v < 0 || (alpha === 0 && v === 0))).toBe(true);
    const loss = (f: typeof fused) => (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.square(f(a, g, b)), probe));
    const fast = tf.grads(loss(fused))([x, gamma, beta]);
    const ref = tf.grads(loss(reference))([x, gamma, beta]);
    fast.forEach((g, i) => {
      const scale = tf.max(tf.abs(ref[i])).dataSync()[0];
      expect(maxAbsDiff(g, ref[i]) / scale).toBeLessThan(1e-4);
    });
  });

  it('falls back to leakyRelu(groupNorm) with SEGSTATION_CPU_KERNELS=tfjs', () => {
    process.env.SEGSTATION_CPU_KERNELS = 'tfjs';
    try {
      const x = random([1, 4, 4, 4], 21);
      const y = groupNormLeakyRelu(x, tf.ones([4]), tf.zeros([4]), 4, 1e-5, 0.1);
      expect(maxAbsDiff(y, tf.leakyRelu(groupNormReference(x, tf.ones([4]), tf.zeros([4]), 4, 1e-5), 0.1))).toBeLessThan(1e-5);
    } finally {
      delete process.env.SEGSTATION_CPU_KERNELS;
    }
  });
});
