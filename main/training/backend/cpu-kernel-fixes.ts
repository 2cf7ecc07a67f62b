// Two fixes for tfjs' cpu backend, both needed to train U-Nets on cpu:
// 1. Conv3DBackpropInputV2 (the kernel behind conv3dTranspose) has no registered gradient, so a 3D U-Net with
//    transposed-convolution upsampling cannot be differentiated. We register it (as tfjs does for the 2D kernel).
// 2. The cpu Conv2DBackpropFilter kernel is ~25x slower than Conv3DBackpropFilterV2 on the same work; a 2D
//    convolution is a 3D one with depth 1, so the 2D kernel is re-registered to run the 3D kernel on [b,1,h,w,c] views.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { FAST_CONV_KERNELS, fastConvKernelsActive, registerFastConvKernels } from './fast-conv-kernels.ts';
import { FAST_LEAKY_RELU_GRADIENT, fastLeakyReluGradientActive, registerFastLeakyReluGradient } from './leaky-relu-gradient.ts';
import { FAST_POOL_KERNELS, fastPoolKernelsActive, registerFastPoolKernels } from './fast-pool-kernels.ts';
import { FAST_ELEMENTWISE_KERNELS, fastElementwiseKernelsActive, registerFastElementwiseKernels } from './fast-elementwise-kernels.ts';

type Pad = 'valid' | 'same';
type Strides2 = [number, number];

interface Conv2DFilterAttrs {
  strides: number | Strides2;
  pad: Pad | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

export const CONV3D_TRANSPOSE_GRADIENT = 'gradient of Conv3DBackpropInputV2 (conv3dTranspose)';
export const CONV2D_FILTER_VIA_3D = 'Conv2DBackpropFilter routed through Conv3DBackpropFilterV2';

let originalConv2DFilter: tf.KernelConfig | null = null;
let registered = false;

function view(info: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  // Same data, another shape: no copy and no extra reference (the caller owns `info`).
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

const conv3DBackpropInputGradient: tf.GradConfig = {
  kernelName: 'Conv3DBackpropInputV2',
  inputsToSave: ['dy', 'filter'],
  gradFunc: (ddx, saved, attrs) => {
    const [dy, filter] = saved as [tf.Tensor5D, tf.Tensor5D];
    const { strides, pad } = attrs as unknown as { strides: [number, number, number]; pad: Pad };
    const upstream = ddx as tf.Tensor5D;
    return {
      // The transposed convolution is the adjoint of conv3d, so its input gradient is conv3d itself ...
      dy: () => tf.conv3d(upstream, filter, strides, pad),
      // ... and its filter gradient is conv3d's filter gradient with the roles of input and output swapped.
      filter: () =>
        tf.engine().runKernel('Conv3DBackpropFilterV2', { x: upstream, dy }, { strides, pad, filterShape: filter.shape } as unknown as tf.NamedAttrMap) as tf.Tensor5D,
    };
  },
};

function canRoute(attrs: Conv2DFilterAttrs): boolean {
  return attrs.dataFormat !== 'NCHW' && (attrs.pad === 'same' || attrs.pad === 'valid') && attrs.dimRoundingMode == null;
}

const routedConv2DFilter: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const a = attrs as unknown as Conv2DFilterAttrs;
  const original = originalConv2DFilter;
  if (original === null) throw new Error('Conv2DBackpropFilter route used before registration');
  if (!canRoute(a)) return original.kernelFunc({ inputs, backend, attrs });
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const kernel3d = tf.getKernel('Conv3DBackpropFilterV2', 'cpu');
  if (kernel3d === undefined) return original.kernelFunc({ inputs, backend, attrs });
  const strides: Strides2 = typeof a.strides === 'number' ? [a.strides, a.strides] : a.strides;
  const [b, h, w, c] = x.shape;
  const [, oh, ow, oc] = dy.shape;
  const [fh, fw, ci, co] = a.filterShape;
  const out = kernel3d.kernelFunc({
    inputs: { x: view(x, [b, 1, h, w, c]), dy: view(dy, [b, 1, oh, ow, oc]) },
    backend,
    attrs: { strides: [1, strides[0], strides[1]], pad: a.pad, filterShape: [1, fh, fw, ci, co] } as unknown as tf.NamedAttrMap,
  }) as tf.TensorInfo;
  return view(out, [fh, fw, ci, co]);
};

/** Registers the conv3dTranspose gradient (idempotent). Gradients are global, not per backend. */
export function registerConv3dTransposeGradient(): string {
  if (tf.getGradient('Conv3DBackpropInputV2') === undefined) tf.registerGradient(conv3DBackpropInputGradient);
  return CONV3D_TRANSPOSE_GRADIENT;
}

/**
 * Registers the cpu kernel fixes (idempotent) and, on top of them, the fast cpu kernels: WebAssembly SIMD
 * convolutions (fast-conv-kernels.ts; they fall back to the kernels below them), strided elementwise kernels,
 * max-pooling gradients and a one-pass leaky ReLU gradient. SEGSTATION_CPU_KERNELS=tfjs keeps tfjs' own kernels
 * (for comparisons). Returns the names of the fixes in place.
 */
export function registerCpuKernelFixes(): string[] {
  registerConv3dTransposeGradient();
  if (!registered) {
    const current = tf.getKernel('Conv2DBackpropFilter', 'cpu');
    if (current !== undefined && current.kernelFunc !== routedConv2DFilter) {
      originalConv2DFilter = current;
      tf.unregisterKernel('Conv2DBackpropFilter', 'cpu');
      tf.registerKernel({ ...current, kernelFunc: routedConv2DFilter });
    }
    if (process.env.SEGSTATION_CPU_KERNELS !== 'tfjs') {
      registerFastConvKernels();
      registerFastElementwiseKernels();
      registerFastPoolKernels();
      registerFastLeakyReluGradient();
    }
    registered = true;
  }
  return [
    CONV3D_TRANSPOSE_GRADIENT,
    CONV2D_FILTER_VIA_3D,
    ...(fastConvKernelsActive() ? [FAST_CONV_KERNELS] : []),
    ...(fastElementwiseKernelsActive() ? [FAST_ELEMENTWISE_KERNELS] : []),
    ...(fastPoolKernelsActive() ? [FAST_POOL_KERNELS] : []),
    ...(fastLeakyReluGradientActive() ? [FAST_LEAKY_RELU_GRADIENT] : []),
  ];
}

/** Runs tfjs' own cpu Conv2DBackpropFilter kernel (for the tests and the benchmark that compare it with the route). */
export function originalConv2DBackpropFilter(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: Strides2,
  pad: Pad,
): tf.Tensor4D {
  const config = originalConv2DFilter ?? tf.getKernel('Conv2DBackpropFilter', 'cpu');
  if (config === undefined) throw new Error('tfjs cpu backend is not registered');
  if (tf.getBackend() !== 'cpu') throw new Error(`originalConv2DBackpropFilter needs the cpu backend active, not ${tf.getBackend()}`);
  const backend = tf.backend();
  const attrs = { strides, pad, dataFormat: 'NHWC', filterShape } as unknown as tf.NamedAttrMap;
  const info = config.kernelFunc({ inputs: { x, dy }, backend, attrs }) as tf.TensorInfo;
  return tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor4D;
}
