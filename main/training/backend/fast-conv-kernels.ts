// Replaces tfjs cpu's convolution kernels (scalar JavaScript loops, ~0.2 GFLOP/s) with WebAssembly SIMD ones
// (wasm-conv.ts: implicit GEMM, or im2col + GEMM). Each replacement handles channels-last float32 work and hands
// anything else (NCHW, other dtypes, buffers over 2 GiB, a missing wasm file) to the kernel it replaced.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { WasmConv, wasmConv, type ConvGeometry } from './wasm-conv.ts';

type Shape4 = [number, number, number, number];
type Shape5 = [number, number, number, number, number];
type Conv2DPad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

export const FAST_CONV_KERNELS = 'convolutions on WebAssembly SIMD (implicit GEMM, or im2col + blocked SGEMM)';

export const FAST_CONV_KERNEL_NAMES = ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'Conv3D', 'Conv3DBackpropInputV2', 'Conv3DBackpropFilterV2'] as const;
export type FastConvKernelName = (typeof FAST_CONV_KERNEL_NAMES)[number];

const originals = new Map<FastConvKernelName, tf.KernelConfig>();

function from2D(info: tf.backend_util.Conv2DInfo): ConvGeometry {
  return {
    batch: info.batchSize,
    inD: 1,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outD: 1,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    kD: 1,
    kH: info.filterHeight,
    kW: info.filterWidth,
    strideD: 1,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    dilationD: 1,
    dilationH: info.dilationHeight,
    dilationW: info.dilationWidth,
    padFront: 0,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

function from3D(info: tf.backend_util.Conv3DInfo): ConvGeometry {
  return {
    batch: info.batchSize,
    inD: info.inDepth,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outD: info.outDepth,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    kD: info.filterDepth,
    kH: info.filterHeight,
    kW: info.filterWidth,
    strideD: info.strideDepth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    dilationD: info.dilationDepth,
    dilationH: info.dilationHeight,
    dilationW: info.dilationWidth,
    padFront: info.padInfo.front,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

function values(backend: MathBackendCPU, info: tf.TensorInfo): Float32Array {
  return backend.data.get(info.dataId).values as Float32Array;
}

/** The kernel arguments as plain records, for readable destructuring. */
interface KernelArgs {
  inputs: Record<string, tf.TensorInfo>;
  attrs: Record<string, unknown>;
}

type Compute = (conv: WasmConv, backend: MathBackendCPU) => tf.TensorInfo;

/** Runs `compute` when the work is float32 channels-last and fits the engine, else the replaced kernel. */
function kernel(name: FastConvKernelName, plan: (args: KernelArgs) => { geometry: ConvGeometry; compute: Compute } | null): tf.KernelFunc {
  return (args) => {
    const original = originals.get(name);
    if (original === undefined) throw new Error(`${name}: fast kernel used before registration`);
    const inputs = Object.values(args.inputs) as tf.TensorInfo[];
    const conv = inputs.every((t) => t.dtype === 'float32') ? wasmConv() : null;
    const planned = conv ? plan(args as unknown as KernelArgs) : null;
    if (conv === null || planned === null || WasmConv.bytesFor(planned.geometry) > WasmConv.MAX_BYTES) return original.kernelFunc(args);
    return planned.compute(conv, args.backend as MathBackendCPU);
  };
}

const channelsLast = (dataFormat: unknown): boolean => dataFormat === undefined || dataFormat === 'NHWC' || dataFormat === 'channelsLast';

const conv2D = kernel('Conv2D', ({ inputs: { x, filter }, attrs }) => {
  if (!channelsLast(attrs.dataFormat)) return null;
  const info = tf.backend_util.computeConv2DInfo(x.shape as Shape4, filter.shape as Shape4, attrs.strides as number, attrs.dilations as number, attrs.pad as Conv2DPad, attrs.dimRoundingMode as Rounding, false, 'channelsLast');
  const geometry = from2D(info);
  return { geometry, compute: (conv, backend) => backend.makeTensorInfo(info.outShape, 'float32', conv.conv(geometry, values(backend, x), values(backend, filter))) };
});

const conv2DBackpropInput = kernel('Conv2DBackpropInput', ({ inputs: { dy, filter }, attrs }) => {
  if (!channelsLast(attrs.dataFormat)) return null;
  const info = tf.backend_util.computeConv2DInfo(attrs.inputShape as Shape4, filter.shape as Shape4, attrs.strides as number, 1, attrs.pad as Conv2DPad, attrs.dimRoundingMode as Rounding, false, 'channelsLast');
  const geometry = from2D(info);
  return { geometry, compute: (conv, backend) => backend.makeTensorInfo(info.inShape, 'float32', conv.backpropInput(geometry, values(backend, dy), values(backend, filter))) };
});

const conv2DBackpropFilter = kernel('Conv2DBackpropFilter', ({ inputs: { x, dy }, attrs }) => {
  if (!channelsLast(attrs.dataFormat)) return null;
  const filterShape = attrs.filterShape as Shape4;
  const info = tf.backend_util.computeConv2DInfo(x.shape as Shape4, filterShape, attrs.strides as number, 1, attrs.pad as Conv2DPad, attrs.dimRoundingMode as Rounding, false, 'channelsLast');
  const geometry = from2D(info);
  return { geometry, compute: (conv, backend) => backend.makeTensorInfo(filterShape, 'float32', conv.backpropFilter(geometry, values(backend, x), values(backend, dy))) };
});

const conv3D = kernel('Conv3D', ({ inputs: { x, filter }, attrs }) => {
  const info = tf.backend_util.computeConv3DInfo(x.shape as Shape5, filter.shape as Shape5, attrs.strides as number, attrs.dilations as number, attrs.pad as 'same' | 'valid');
  const geometry = from3D(info);
  return { geometry, compute: (conv, backend) => backend.makeTensorInfo(info.outShape, 'float32', conv.conv(geometry, values(backend, x), values(backend, filter))) };
});

const conv3DBackpropInput = kernel('Conv3DBackpropInputV2', ({ inputs: { dy, filter }, attrs }) => {
  const info = tf.backend_util.computeConv3DInfo(attrs.inputShape as Shape5, filter.shape as Shape5, attrs.strides as number, 1, attrs.pad as 'same' | 'valid');
  const geometry = from3D(info);
  return { geometry, compute: (conv, backend) => backend.makeTensorInfo(info.inShape, 'float32', conv.backpropInput(geometry, values(backend, dy), values(backend, filter))) };
});

const conv3DBackpropFilter = kernel('Conv3DBackpropFilterV2', ({ inputs: { x, dy }, attrs }) => {
  const filterShape = attrs.filterShape as Shape5;
  const info = tf.backend_util.computeConv3DInfo(x.shape as Shape5, filterShape, attrs.strides as number, 1, attrs.pad as 'same' | 'valid');
  const geometry = from3D(info);
  return { geometry, compute: (conv, backend) => backend.makeTensorInfo(filterShape, 'float32', conv.backpropFilter(geometry, values(backend, x), values(backend, dy))) };
});

const FAST: Record<FastConvKernelName, tf.KernelFunc> = {
  Conv2D: conv2D,
  Conv2DBackpropInput: conv2DBackpropInput,
  Conv2DBackpropFilter: conv2DBackpropFilter,
  Conv3D: conv3D,
  Conv3DBackpropInputV2: conv3DBackpropInput,
  Conv3DBackpropFilterV2: conv3DBackpropFilter,
};

/** Registers the fast convolutions on the cpu backend over the kernels registered now (idempotent). */
export function registerFastConvKernels(): string {
  for (const name of FAST_CONV_KERNEL_NAMES) {
    const current = tf.getKernel(name, 'cpu');
    if (current === undefined || current.kernelFunc === FAST[name]) continue;
    originals.set(name, current);
    tf.unregisterKernel(name, 'cpu');
    tf.registerKernel({ ...current, kernelFunc: FAST[name] });
  }
  return FAST_CONV_KERNELS;
}

/** True when the cpu backend runs the fast convolutions (registered and the wasm engine loads). */
export function fastConvKernelsActive(): boolean {
  return FAST_CONV_KERNEL_NAMES.every((n) => tf.getKernel(n, 'cpu')?.kernelFunc === FAST[n]) && wasmConv() !== null;
}

/**
 * Runs the kernel that the fast one replaced (tfjs' own, or an earlier fix) with the cpu backend active: the reference
 * for tests and benchmarks.
 */
export function runReplacedKernel(name: FastConvKernelName, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>): tf.Tensor {
  const config = originals.get(name) ?? tf.getKernel(name, 'cpu');
  if (config === undefined) throw new Error('tfjs cpu backend is not registered');
  if (tf.getBackend() !== 'cpu') throw new Error(`runReplacedKernel needs the cpu backend active, not ${tf.getBackend()}`);
  const info = config.kernelFunc({ inputs, backend: tf.backend(), attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo;
  return tf.engine().makeTensorFromTensorInfo(info);
}
