import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { CONV2D_FILTER_VIA_3D, CONV3D_TRANSPOSE_GRADIENT, originalConv2DBackpropFilter, registerCpuKernelFixes } from '../../../../main/training/backend/index.ts';
import { expectCentralDifferences, randomTensor, useCpuKernels } from './setup.ts';

useCpuKernels();

const random = (shape: number[], seed: number): tf.Tensor => randomTensor(shape, seed, -1, 1);

/**
 * Checks d loss / d arg against central differences for every coordinate of `arg`. The loss is quadratic in the
 * convolution output, so the central difference is exact up to float32 rounding and the tolerance can be tight.
 */
function checkAgainstFiniteDifferences(loss: (arg: tf.Tensor) => tf.Scalar, arg: tf.Tensor): void {
  expect(expectCentralDifferences(loss, arg, 5e-2, 2e-3, 2e-3)).toBeGreaterThan(0.05);
}

/** sum(R * y) + 0.1 * sum(y^2) with a fixed random R: sensitive to every output voxel, and not linear. */
function quadraticOf(y: tf.Tensor, seed: number): tf.Scalar {
  const r = random(y.shape, seed);
  return tf.add(tf.sum(tf.mul(r, y)), tf.mul(0.1, tf.sum(tf.square(y)))) as tf.Scalar;
}

describe('conv3dTranspose gradient (Conv3DBackpropInputV2)', () => {
  // U-Net decoder up-convolution (kernel 2, stride 2), a 3x3x3 'same' transpose, and a strided 'valid' one.
  it.each([
    { name: 'k2 s2 same (U-Net up-conv)', x: [1, 2, 2, 2, 3], f: [2, 2, 2, 2, 3], out: [1, 4, 4, 4, 2], strides: 2, pad: 'same' as const },
    { name: 'k3 s1 same', x: [1, 3, 2, 2, 2], f: [3, 3, 3, 2, 2], out: [1, 3, 2, 2, 2], strides: 1, pad: 'same' as const },
    { name: 'k3 s2 valid, batch 2', x: [2, 1, 2, 1, 2], f: [3, 3, 3, 1, 2], out: [2, 3, 5, 3, 1], strides: 2, pad: 'valid' as const },
  ])('$name: input and filter gradients match finite differences', ({ x, f, out, strides, pad }) => {
    const x0 = random(x, 1);
    const f0 = random(f, 2);
    const shape = out as [number, number, number, number, number];
    const y = (xx: tf.Tensor, ff: tf.Tensor): tf.Tensor => tf.conv3dTranspose(xx as tf.Tensor5D, ff as tf.Tensor5D, shape, strides, pad);
    checkAgainstFiniteDifferences((xx) => quadraticOf(y(xx, f0), 3), x0);
    checkAgainstFiniteDifferences((ff) => quadraticOf(y(x0, ff), 3), f0);
  });
});

describe('Conv2DBackpropFilter routed through the 3D kernel', () => {
  const cases = [
    { name: 'k3 s1 same', x: [2, 5, 4, 3], f: [3, 3, 3, 4], strides: 1, pad: 'same' as const },
    { name: 'k3 s2 same, odd size (U-Net down-conv, asymmetric padding)', x: [1, 7, 5, 2], f: [3, 3, 2, 3], strides: 2, pad: 'same' as const },
    { name: 'k2 s2 valid', x: [1, 4, 6, 2], f: [2, 2, 2, 2], strides: 2, pad: 'valid' as const },
    { name: 'k3x1 s(2,1) same', x: [1, 6, 4, 1], f: [3, 1, 1, 2], strides: [2, 1] as [number, number], pad: 'same' as const },
  ];

  it.each(cases)("$name: equals tfjs' own kernel", ({ x, f, strides, pad }) => {
    const x0 = random(x, 4) as tf.Tensor4D;
    const f0 = random(f, 5) as tf.Tensor4D;
    const y = tf.conv2d(x0, f0, strides, pad);
    const dy = random(y.shape, 6) as tf.Tensor4D;
    const s: [number, number] = typeof strides === 'number' ? [strides, strides] : strides;
    const filterShape = f as [number, number, number, number];
    const routed = tf.engine().runKernel('Conv2DBackpropFilter', { x: x0, dy }, { strides: s, pad, dataFormat: 'NHWC', filterShape } as unknown as tf.NamedAttrMap) as tf.Tensor;
    const original = originalConv2DBackpropFilter(x0, dy, filterShape, s, pad);
    expect(routed.shape).toEqual(filterShape);
    const a = routed.dataSync();
    const b = original.dataSync();
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 4);
  });

  it.each(cases)('$name: tf.grad of conv2d w.r.t. the filter matches finite differences', ({ x, f, strides, pad }) => {
    const x0 = random(x, 7);
    checkAgainstFiniteDifferences((ff) => quadraticOf(tf.conv2d(x0 as tf.Tensor4D, ff as tf.Tensor4D, strides, pad), 8), random(f, 9));
  });

  it('explicit numeric padding falls back to the original kernel and stays correct', () => {
    const x0 = random([1, 4, 4, 2], 10);
    checkAgainstFiniteDifferences((ff) => quadraticOf(tf.conv2d(x0 as tf.Tensor4D, ff as tf.Tensor4D, 1, 1), 11), random([3, 3, 2, 2], 12));
  });

  it('registration is idempotent and leaks no tensors', () => {
    const kernel = tf.getKernel('Conv2DBackpropFilter', 'cpu');
    const fixes = registerCpuKernelFixes();
    expect(fixes.slice(0, 2)).toEqual([CONV3D_TRANSPOSE_GRADIENT, CONV2D_FILTER_VIA_3D]);
    expect(registerCpuKernelFixes()).toEqual(fixes);
    expect(tf.getKernel('Conv2DBackpropFilter', 'cpu')).toBe(kernel);
    const x0 = random([1, 4, 4, 2], 13) as tf.Tensor4D;
    const f0 = random([3, 3, 2, 2], 14) as tf.Tensor4D;
    const before = tf.memory();
    const grad = tf.grad((ff: tf.Tensor) => tf.sum(tf.conv2d(x0, ff as tf.Tensor4D, 2, 'same')))(f0);
    grad.dispose();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
  });
});
