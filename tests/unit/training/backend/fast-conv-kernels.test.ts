import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { fastConvKernelsActive, originalConv2DBackpropFilter, registerCpuKernelFixes, runReplacedKernel, FAST_CONV_KERNELS } from '../../../../main/training/backend/index.ts';
import { randomTensor, useCpuKernels } from './setup.ts';

useCpuKernels();

const random = (shape: number[], seed: number): tf.Tensor => randomTensor(shape, seed, -1, 1);

/** Max |a - b| relative to the largest |b| (the reference). */
function relativeError(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const av = a.dataSync();
  const bv = b.dataSync();
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < av.length; i++) {
    diff = Math.max(diff, Math.abs(av[i] - bv[i]));
    scale = Math.max(scale, Math.abs(bv[i]));
  }
  expect(scale).toBeGreaterThan(0);
  return diff / scale;
}

const TOL = 1e-5;

describe('fast convolution kernels on cpu', () => {
  it('are registered and report themselves', () => {
    expect(fastConvKernelsActive()).toBe(true);
    expect(registerCpuKernelFixes()).toContain(FAST_CONV_KERNELS);
  });

  // Odd sizes, channels that are not multiples of 4 or 8, batch > 1, stride 2, same/valid padding, 1x1 kernels.
  const cases3d = [
    { name: '3x3x3 s1 same b2 5->6', x: [2, 5, 7, 6, 5], f: [3, 3, 3, 5, 6], strides: 1, pad: 'same' as const },
    { name: '3x3x3 s2 same 3->9', x: [1, 7, 6, 9, 3], f: [3, 3, 3, 3, 9], strides: 2, pad: 'same' as const },
    { name: '3x3x3 s1 valid b2 1->8', x: [2, 6, 5, 7, 1], f: [3, 3, 3, 1, 8], strides: 1, pad: 'valid' as const },
    { name: '2x2x2 s2 valid 16->3', x: [1, 6, 4, 8, 16], f: [2, 2, 2, 16, 3], strides: 2, pad: 'valid' as const },
    { name: '1x1x1 s1 b3 7->2', x: [3, 3, 4, 5, 7], f: [1, 1, 1, 7, 2], strides: 1, pad: 'same' as const },
    { name: '3x1x2 anisotropic s[1,2,1] same 4->5', x: [1, 4, 9, 5, 4], f: [3, 1, 2, 4, 5], strides: [1, 2, 1] as [number, number, number], pad: 'same' as const },
  ];

  it.each(cases3d)('Conv3D, its input and filter gradients: $name match tfjs', ({ x, f, strides, pad }) => {
    tf.tidy(() => {
      const xt = random(x, 1);
      const ft = random(f, 2);
      const y = tf.conv3d(xt as tf.Tensor5D, ft as tf.Tensor5D, strides, pad);
      expect(relativeError(y, runReplacedKernel('Conv3D', { x: xt, filter: ft }, { strides, pad, dilations: 1 }))).toBeLessThan(TOL);
      const dy = random(y.shape, 3);
      const dx = tf.engine().runKernel('Conv3DBackpropInputV2', { dy, filter: ft }, { strides, pad, inputShape: x } as unknown as tf.NamedAttrMap) as tf.Tensor;
      expect(relativeError(dx, runReplacedKernel('Conv3DBackpropInputV2', { dy, filter: ft }, { strides, pad, inputShape: x }))).toBeLessThan(TOL);
      const df = tf.engine().runKernel('Conv3DBackpropFilterV2', { x: xt, dy }, { strides, pad, filterShape: f } as unknown as tf.NamedAttrMap) as tf.Tensor;
      expect(relativeError(df, runReplacedKernel('Conv3DBackpropFilterV2', { x: xt, dy }, { strides, pad, filterShape: f }))).toBeLessThan(TOL);
    });
  });

  const cases2d = [
    { name: '3x3 s1 same b2 3->5', x: [2, 9, 7, 3], f: [3, 3, 3, 5], strides: 1, pad: 'same' as const, dilations: 1 },
    { name: '3x3 s2 same 6->16', x: [1, 11, 8, 6], f: [3, 3, 6, 16], strides: 2, pad: 'same' as const, dilations: 1 },
    { name: '3x3 s2 valid b3 5->7', x: [3, 8, 9, 5], f: [3, 3, 5, 7], strides: 2, pad: 'valid' as const, dilations: 1 },
    { name: '5x3 s1 explicit numeric pad 2->4', x: [1, 7, 6, 2], f: [5, 3, 2, 4], strides: 1, pad: 1 as const, dilations: 1 },
    { name: '3x3 dilation 2 same 4->4', x: [1, 9, 9, 4], f: [3, 3, 4, 4], strides: 1, pad: 'same' as const, dilations: 2 },
  ];

  it.each(cases2d)('Conv2D and its input and filter gradients: $name match tfjs', ({ x, f, strides, pad, dilations }) => {
    tf.tidy(() => {
      const xt = random(x, 4);
      const ft = random(f, 5);
      const y = tf.conv2d(xt as tf.Tensor4D, ft as tf.Tensor4D, strides, pad, 'NHWC', dilations);
      const attrs = { strides, pad, dataFormat: 'NHWC', dilations };
      expect(relativeError(y, runReplacedKernel('Conv2D', { x: xt, filter: ft }, attrs))).toBeLessThan(TOL);
      if (dilations !== 1) return; // tfjs' conv2d gradients require dilation 1
      const dy = random(y.shape, 6);
      const dx = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: ft }, { ...attrs, inputShape: x } as unknown as tf.NamedAttrMap) as tf.Tensor;
      expect(relativeError(dx, runReplacedKernel('Conv2DBackpropInput', { dy, filter: ft }, { ...attrs, inputShape: x }))).toBeLessThan(TOL);
      const df = tf.engine().runKernel('Conv2DBackpropFilter', { x: xt, dy }, { ...attrs, filterShape: f } as unknown as tf.NamedAttrMap) as tf.Tensor;
      // The kernel replaced here is the earlier route through Conv3DBackpropFilterV2 (now fast too): compare with tfjs' own.
      const s2: [number, number] = [strides, strides];
      const reference = originalConv2DBackpropFilter(xt as tf.Tensor4D, dy as tf.Tensor4D, f as [number, number, number, number], s2, pad as 'same');
      expect(relativeError(df, reference)).toBeLessThan(TOL);
    });
  });

  it('transposed convolutions (the U-Net up-sampling, kernel 2 stride 2) match tfjs', () => {
    tf.tidy(() => {
      const x = random([2, 3, 4, 5, 6], 7) as tf.Tensor5D;
      const w = random([2, 2, 2, 3, 6], 8) as tf.Tensor5D;
      const y = tf.conv3dTranspose(x, w, [2, 6, 8, 10, 3], 2, 'valid');
      const ref = runReplacedKernel('Conv3DBackpropInputV2', { dy: x, filter: w }, { strides: 2, pad: 'valid', inputShape: [2, 6, 8, 10, 3] });
      expect(relativeError(y, ref)).toBeLessThan(TOL);
      const x2 = random([3, 5, 3, 5], 9) as tf.Tensor4D;
      const w2 = random([2, 2, 2, 5], 10) as tf.Tensor4D;
      const y2 = tf.conv2dTranspose(x2, w2, [3, 10, 6, 2], 2, 'valid');
      const ref2 = runReplacedKernel('Conv2DBackpropInput', { dy: x2, filter: w2 }, { strides: 2, pad: 'valid', dataFormat: 'NHWC', inputShape: [3, 10, 6, 2] });
      expect(relativeError(y2, ref2)).toBeLessThan(TOL);
    });
  });

  it('gradients of a conv3d through the fast kernels match central differences', () => {
    const x = random([1, 4, 3, 5, 2], 11);
    const w = random([3, 3, 3, 2, 3], 12);
    const probe = random([1, 2, 2, 3, 3], 13);
    // Quadratic loss: the central difference is exact up to float32 rounding.
    const loss = (a: tf.Tensor, b: tf.Tensor): tf.Scalar => tf.sum(tf.square(tf.mul(tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, 2, 'same'), probe)));
    const [gx, gw] = tf.grads(loss)([x, w]);
    for (const [arg, grad, other] of [
      [x, gx, w],
      [w, gw, x],
    ] as const) {
      const base = arg.dataSync();
      const analytic = grad.dataSync();
      const h = 1e-2;
      for (let i = 0; i < base.length; i += 3) {
        const at = (delta: number): number =>
          tf.tidy(() => {
            const v = Float32Array.from(base);
            v[i] += delta;
            const moved = tf.tensor(v, arg.shape);
            return (arg === x ? loss(moved, other) : loss(other, moved)).dataSync()[0];
          });
        const numeric = (at(h) - at(-h)) / (2 * h);
        expect(Math.abs(analytic[i] - numeric)).toBeLessThan(5e-3 + 5e-3 * Math.abs(numeric));
      }
    }
  });

  it('hands NCHW work to the replaced kernel', () => {
    tf.tidy(() => {
      const x = random([1, 3, 5, 6], 14) as tf.Tensor4D; // NCHW: 3 channels of 5x6
      const f = random([3, 3, 3, 2], 15) as tf.Tensor4D;
      const y = tf.engine().runKernel('Conv2D', { x, filter: f }, { strides: 1, pad: 'same', dataFormat: 'NCHW', dilations: 1 } as unknown as tf.NamedAttrMap) as tf.Tensor;
      const ref = runReplacedKernel('Conv2D', { x, filter: f }, { strides: 1, pad: 'same', dataFormat: 'NCHW', dilations: 1 });
      expect(y.shape).toEqual([1, 2, 5, 6]);
      expect(relativeError(y, ref)).toBe(0);
    });
  });

  it('leaks no tensors', () => {
    const x = random([1, 4, 4, 4, 2], 16) as tf.Tensor5D;
    const w = random([3, 3, 3, 2, 2], 17) as tf.Tensor5D;
    const before = tf.memory().numTensors;
    tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, 1, 'same')))([x, w]).forEach((g) => g.dispose());
    expect(tf.memory().numTensors).toBe(before);
  });
});
