// Once convolutions run on WebAssembly, a U-Net step on tfjs cpu is dominated by normalisation arithmetic: broadcast
// Add/Sub/Multiply/RealDiv/Greater (indexToLoc per element in tfjs), Sum/Mean over non-trailing axes (a full transpose
// first) and Slice/SplitV on the channel axis (the gradient of concat; TensorBuffer.get per element). These
// replacements run the same maths with collapsed strided loops (strided.ts) for float32 and hand any other dtype
// to the kernel they replace.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { broadcastStrides, collapse, contiguousStrides, forEachBlock } from './strided.ts';

export const FAST_ELEMENTWISE_KERNELS = 'broadcast arithmetic, reductions and slices on strided loops';

export const FAST_ELEMENTWISE_KERNEL_NAMES = ['Add', 'Sub', 'Multiply', 'RealDiv', 'Greater', 'Sum', 'Mean', 'Slice', 'SplitV', 'LeakyRelu'] as const;
export type FastElementwiseKernelName = (typeof FAST_ELEMENTWISE_KERNEL_NAMES)[number];

const originals = new Map<FastElementwiseKernelName, tf.KernelConfig>();

interface KernelArgs {
  inputs: Record<string, tf.TensorInfo>;
  attrs: Record<string, unknown>;
  backend: MathBackendCPU;
}

type BinaryOp = 'Add' | 'Sub' | 'Multiply' | 'RealDiv' | 'Greater';

function valuesOf(backend: MathBackendCPU, t: tf.TensorInfo): Float32Array {
  return backend.data.get(t.dataId).values as Float32Array;
}

/** out = a (op) b with numpy broadcasting on float32 inputs; Greater gives 0/1 bytes (tfjs' bool), the rest float32. */
export function broadcastBinary(op: BinaryOp, aShape: number[], a: Float32Array, bShape: number[], b: Float32Array): { shape: number[]; values: Float32Array | Uint8Array } {
  const shape = tf.backend_util.assertAndGetBroadcastShape(aShape, bShape);
  const size = shape.reduce((x, y) => x * y, 1);
  const out = op === 'Greater' ? new Uint8Array(size) : new Float32Array(size);
  const nest = collapse({ dims: shape, strides: [contiguousStrides(shape), broadcastStrides(aShape, shape), broadcastStrides(bShape, shape)] });
  forEachBlock(nest, (off, rows, cols, rs, cs) => {
    let o = off[0];
    let ia = off[1];
    let ib = off[2];
    const [co, ca, cb] = cs;
    for (let r = 0; r < rows; r++) {
      // One loop per op: a shared callback would make every element a megamorphic call.
      switch (op) {
        case 'Add':
          for (let i = 0; i < cols; i++) out[o + i * co] = a[ia + i * ca] + b[ib + i * cb];
          break;
        case 'Sub':
          for (let i = 0; i < cols; i++) out[o + i * co] = a[ia + i * ca] - b[ib + i * cb];
          break;
        case 'Multiply':
          for (let i = 0; i < cols; i++) out[o + i * co] = a[ia + i * ca] * b[ib + i * cb];
          break;
        case 'RealDiv':
          for (let i = 0; i < cols; i++) out[o + i * co] = a[ia + i * ca] / b[ib + i * cb];
          break;
        case 'Greater':
          for (let i = 0; i < cols; i++) out[o + i * co] = a[ia + i * ca] > b[ib + i * cb] ? 1 : 0;
          break;
      }
      o += rs[0];
      ia += rs[1];
      ib += rs[2];
    }
  });
  return { shape, values: out };
}

/** Sum (or mean) of x over `axes`; the result has x's rank with 1 on reduced axes when keepDims, else those axes dropped. */
export function reduceSum(shape: number[], x: Float32Array, axes: number[], mean: boolean, keepDims: boolean): { shape: number[]; values: Float32Array } {
  const reduced = new Set(axes);
  const kept = shape.map((d, i) => (reduced.has(i) ? 1 : d));
  const keptStrides = contiguousStrides(kept);
  const outStrides = shape.map((_, i) => (reduced.has(i) ? 0 : keptStrides[i]));
  const outSize = kept.reduce((a, b) => a * b, 1);
  // Accumulate in float64 (tfjs sums in a JS number too): long float32 sums would drift.
  const acc = new Float64Array(outSize);
  const nest = collapse({ dims: shape, strides: [contiguousStrides(shape), outStrides] });
  forEachBlock(nest, (off, rows, cols, rs, cs) => {
    let ix = off[0];
    let io = off[1];
    const [cx, co] = cs;
    for (let r = 0; r < rows; r++) {
      if (co === 0) {
        let s = 0;
        for (let i = 0; i < cols; i++) s += x[ix + i * cx];
        acc[io] += s;
      } else {
        for (let i = 0; i < cols; i++) acc[io + i * co] += x[ix + i * cx];
      }
      ix += rs[0];
      io += rs[1];
    }
  });
  const count = outSize === 0 ? 1 : shape.reduce((a, b) => a * b, 1) / outSize;
  const values = new Float32Array(outSize);
  const scale = mean ? 1 / count : 1;
  for (let i = 0; i < outSize; i++) values[i] = acc[i] * scale;
  return { shape: keepDims ? kept : shape.filter((_, i) => !reduced.has(i)), values };
}

type Numeric = Float32Array | Int32Array | Uint8Array;

/** x[begin : begin + size] (per axis), copied into a new array of x's kind. */
export function sliceValues(shape: number[], x: Numeric, begin: number[], size: number[]): Numeric {
  const xStrides = contiguousStrides(shape);
  const total = size.reduce((a, b) => a * b, 1);
  const out = new (x.constructor as new (n: number) => Numeric)(total);
  if (total === 0) return out;
  const start = begin.reduce((acc, b, i) => acc + b * xStrides[i], 0);
  const nest = collapse({ dims: size, strides: [contiguousStrides(size), xStrides] });
  forEachBlock(nest, (off, rows, cols, rs, cs) => {
    let o = off[0];
    let ix = start + off[1];
    for (let r = 0; r < rows; r++) {
      if (cs[1] === 1 && cols >= 16) out.set(x.subarray(ix, ix + cols), o);
      else for (let i = 0; i < cols; i++) out[o + i] = x[ix + i * cs[1]];
      o += rs[0];
      ix += rs[1];
    }
  });
  return out;
}

function original(name: FastElementwiseKernelName): tf.KernelConfig {
  const config = originals.get(name);
  if (config === undefined) throw new Error(`${name}: fast kernel used before registration`);
  return config;
}

function binary(name: BinaryOp): tf.KernelFunc {
  return (args) => {
    const { inputs, backend } = args as unknown as KernelArgs;
    const { a, b } = inputs;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return original(name).kernelFunc(args);
    const r = broadcastBinary(name, a.shape, valuesOf(backend, a), b.shape, valuesOf(backend, b));
    return backend.makeTensorInfo(r.shape, name === 'Greater' ? 'bool' : 'float32', r.values);
  };
}

function reduction(name: 'Sum' | 'Mean'): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args as unknown as KernelArgs;
    const { x } = inputs;
    if (x.dtype !== 'float32') return original(name).kernelFunc(args);
    const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
    const r = reduceSum(x.shape, valuesOf(backend, x), axes, name === 'Mean', attrs.keepDims === true);
    return backend.makeTensorInfo(r.shape, 'float32', r.values);
  };
}

const sliceable = (t: tf.TensorInfo): boolean => t.dtype === 'float32' || t.dtype === 'int32';

const slice: tf.KernelFunc = (args) => {
  const { inputs, backend, attrs } = args as unknown as KernelArgs;
  const { x } = inputs;
  if (!sliceable(x)) return original('Slice').kernelFunc(args);
  const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin as number[], attrs.size as number[]);
  tf.slice_util.assertParamsValid(x as tf.Tensor, begin, size);
  return backend.makeTensorInfo(size, x.dtype, sliceValues(x.shape, backend.data.get(x.dataId).values as Numeric, begin, size) as Float32Array);
};

const splitV: tf.KernelFunc = (args) => {
  const { inputs, backend, attrs } = args as unknown as KernelArgs;
  const { x } = inputs;
  if (!sliceable(x)) return original('SplitV').kernelFunc(args);
  const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, attrs.numOrSizeSplits as number | number[], axis);
  const begin = new Array<number>(x.shape.length).fill(0);
  const size = x.shape.slice();
  const values = backend.data.get(x.dataId).values as Numeric;
  return sizes.map((s) => {
    size[axis] = s;
    const part = backend.makeTensorInfo(size.slice(), x.dtype, sliceValues(x.shape, values, begin, size) as Float32Array);
    begin[axis] += s;
    return part;
  });
};

/**
 * y = x for x > 0, else alpha * x. Written without a branch: activations are about half negative, so a branch
 * mispredicts on every other element (tfjs' kernel also builds an alpha tensor and goes through prelu).
 */
export function leakyReluValues(x: Float32Array, alpha: number): Float32Array {
  const y = new Float32Array(x.length);
  // The factor by sign, looked up: exact (y = x for x > 0) and branch-free.
  const factor = Float64Array.of(alpha, 1);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    y[i] = v * factor[+(v > 0)];
  }
  return y;
}

const leakyRelu: tf.KernelFunc = (args) => {
  const { inputs, backend, attrs } = args as unknown as KernelArgs;
  const { x } = inputs;
  if (x.dtype !== 'float32') return original('LeakyRelu').kernelFunc(args);
  return backend.makeTensorInfo(x.shape, 'float32', leakyReluValues(valuesOf(backend, x), attrs.alpha as number));
};

const FAST: Record<FastElementwiseKernelName, tf.KernelFunc> = {
  Add: binary('Add'),
  Sub: binary('Sub'),
  Multiply: binary('Multiply'),
  RealDiv: binary('RealDiv'),
  Greater: binary('Greater'),
  Sum: reduction('Sum'),
  Mean: reduction('Mean'),
  Slice: slice,
  SplitV: splitV,
  LeakyRelu: leakyRelu,
};

/** Registers the replacements on the cpu backend over the kernels registered now (idempotent). */
export function registerFastElementwiseKernels(): string {
  for (const name of FAST_ELEMENTWISE_KERNEL_NAMES) {
    const current = tf.getKernel(name, 'cpu');
    if (current === undefined || current.kernelFunc === FAST[name]) continue;
    originals.set(name, current);
    tf.unregisterKernel(name, 'cpu');
    tf.registerKernel({ ...current, kernelFunc: FAST[name] });
  }
  return FAST_ELEMENTWISE_KERNELS;
}

export function fastElementwiseKernelsActive(): boolean {
  return FAST_ELEMENTWISE_KERNEL_NAMES.every((n) => tf.getKernel(n, 'cpu')?.kernelFunc === FAST[n]);
}

/** Runs the kernel a replacement replaced, with the cpu backend active (the reference for tests). */
export function runReplacedElementwiseKernel(name: FastElementwiseKernelName, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
  const config = originals.get(name) ?? tf.getKernel(name, 'cpu');
  if (config === undefined) throw new Error('tfjs cpu backend is not registered');
  if (tf.getBackend() !== 'cpu') throw new Error(`runReplacedElementwiseKernel needs the cpu backend active, not ${tf.getBackend()}`);
  const out = config.kernelFunc({ inputs, backend: tf.backend(), attrs: attrs as tf.NamedAttrMap });
  return Array.isArray(out) ? out.map((i) => tf.engine().makeTensorFromTensorInfo(i)) : tf.engine().makeTensorFromTensorInfo(out);
}
