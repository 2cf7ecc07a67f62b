// Once convolutions run on WebAssembly, a U-Net step on tfjs cpu is dominated by normalisation arithmetic: broadcast
// Add/Sub/Multiply/RealDiv/Greater (indexToLoc per element in tfjs), Sum/Mean over non-trailing axes (a full transpose
// first) and Slice/SplitV on the channel axis (the gradient of concat; TensorBuffer.get per element). These
// replacements run the same maths with collapsed strided loops (strided.ts) for float32 and hand any other dtype
// to the kernel they replace. Concat/SplitV copy rows (fast-concat-kernels.ts); Exp, Log and Sqrt run the loops of
// fast-unary-kernels.ts; Max over trailing axes (with Sum, Sub, Exp and Log: a log-softmax) runs a plain loop.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { broadcastStrides, collapse, contiguousStrides, forEachBlock } from './strided.ts';
import { concatValues, copyRows, splitValues, type CopyArray } from './fast-concat-kernels.ts';
import { expValues, logValues, sqrtValues } from './fast-unary-kernels.ts';

export const FAST_ELEMENTWISE_KERNELS = 'broadcast arithmetic, exp/log/sqrt, reductions, slices and concatenation on strided loops';

export const FAST_ELEMENTWISE_KERNEL_NAMES = ['Add', 'Sub', 'Multiply', 'RealDiv', 'Greater', 'Sum', 'Mean', 'Slice', 'SplitV', 'Concat', 'Exp', 'Log', 'Sqrt', 'Max', 'LeakyRelu'] as const;
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
    if (co === 1 && ((ca === 1 && cb <= 1) || (ca === 0 && cb === 1))) {
      // Contiguous rows (same shapes, bias adds, per-row statistics): loops without stride arithmetic.
      const target = { rows, cols, o, ro: rs[0] };
      if (ca === 1 && cb === 1) contiguousRows(op, out, target, a, ia, rs[1], b, ib, rs[2]);
      else if (ca === 1) rowsWithConstants(op, out, target, a, ia, rs[1], b, ib, rs[2], false);
      else rowsWithConstants(op, out, target, b, ib, rs[2], a, ia, rs[1], true);
      return;
    }
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

/** Output rows: `rows` rows of `cols` elements, the first at `o`, the next `ro` further on. */
interface OutRows {
  rows: number;
  cols: number;
  o: number;
  ro: number;
}

/** out row r = a row r (op) b row r, elementwise; rows of a and b start at ia/ib and are ra/rb apart. */
function contiguousRows(op: BinaryOp, out: Float32Array | Uint8Array, t: OutRows, a: Float32Array, ia: number, ra: number, b: Float32Array, ib: number, rb: number): void {
  const { rows, cols: n } = t;
  // The row loop inside each case: a call and a switch per row would cost more than a row of a few channels.
  for (let r = 0, o = t.o; r < rows; r++, o += t.ro, ia += ra, ib += rb) {
    switch (op) {
      case 'Add':
        for (let i = 0; i < n; i++) out[o + i] = a[ia + i] + b[ib + i];
        break;
      case 'Sub':
        for (let i = 0; i < n; i++) out[o + i] = a[ia + i] - b[ib + i];
        break;
      case 'Multiply':
        for (let i = 0; i < n; i++) out[o + i] = a[ia + i] * b[ib + i];
        break;
      case 'RealDiv':
        for (let i = 0; i < n; i++) out[o + i] = a[ia + i] / b[ib + i];
        break;
      case 'Greater':
        for (let i = 0; i < n; i++) out[o + i] = a[ia + i] > b[ib + i] ? 1 : 0;
        break;
    }
  }
}

/**
 * out row r = v row r (op) c[ic + r rc], one constant per row (per-pixel statistics, a scalar), or c (op) v when
 * `constantFirst`.
 */
function rowsWithConstants(op: BinaryOp, out: Float32Array | Uint8Array, t: OutRows, v: Float32Array, iv: number, rv: number, c: Float32Array, ic: number, rc: number, constantFirst: boolean): void {
  const { rows, cols: n } = t;
  for (let r = 0, o = t.o; r < rows; r++, o += t.ro, iv += rv, ic += rc) {
    const k = c[ic];
    switch (op) {
      case 'Add':
        for (let i = 0; i < n; i++) out[o + i] = v[iv + i] + k;
        break;
      case 'Multiply':
        for (let i = 0; i < n; i++) out[o + i] = v[iv + i] * k;
        break;
      case 'Sub':
        if (constantFirst) for (let i = 0; i < n; i++) out[o + i] = k - v[iv + i];
        else for (let i = 0; i < n; i++) out[o + i] = v[iv + i] - k;
        break;
      case 'RealDiv':
        if (constantFirst) for (let i = 0; i < n; i++) out[o + i] = k / v[iv + i];
        else for (let i = 0; i < n; i++) out[o + i] = v[iv + i] / k;
        break;
      case 'Greater':
        if (constantFirst) for (let i = 0; i < n; i++) out[o + i] = k > v[iv + i] ? 1 : 0;
        else for (let i = 0; i < n; i++) out[o + i] = v[iv + i] > k ? 1 : 0;
        break;
    }
  }
}

/**
 * acc[io + i co] += sum over r of x[ix + r rx + i cx], for i < cols: many rows adding into the same outputs (a bias
 * gradient sums over all but the channel axis). Rows are taken 4 at a time, so the accumulator is loaded and stored
 * once per 4 elements; the sums stay in float64.
 */
function sumRowsInto(x: Float32Array, ix: number, rx: number, cx: number, acc: Float64Array, io: number, co: number, rows: number, cols: number): void {
  const body = rows - (rows % 4);
  for (let i = 0; i < cols; i++) {
    const p0 = ix + i * cx;
    let s = 0;
    for (let r = 0, p = p0; r < body; r += 4, p += 4 * rx) s += x[p] + x[p + rx] + (x[p + 2 * rx] + x[p + 3 * rx]);
    for (let r = body, p = p0 + body * rx; r < rows; r++, p += rx) s += x[p];
    acc[io + i * co] += s;
  }
}

/** acc[io + r ro] += sum over i of x[ix + r rx + i cx], for r < rows: each row sums into one output (softmax sums). */
function sumColsInto(x: Float32Array, ix: number, rx: number, cx: number, acc: Float64Array, io: number, ro: number, rows: number, cols: number): void {
  for (let r = 0, p = ix, o = io; r < rows; r++, p += rx, o += ro) {
    let s = 0;
    for (let i = 0; i < cols; i++) s += x[p + i * cx];
    acc[o] += s;
  }
}

/** acc[io + r ro + i co] += x[ix + r rx + i cx]: every element into its own output (reducing outer axes only). */
function addInto(x: Float32Array, ix: number, rx: number, cx: number, acc: Float64Array, io: number, ro: number, co: number, rows: number, cols: number): void {
  for (let r = 0, p = ix, o = io; r < rows; r++, p += rx, o += ro) {
    for (let i = 0; i < cols; i++) acc[o + i * co] += x[p + i * cx];
  }
}

/** Sum (or mean) of x over `axes`; the result has x's rank with 1 on reduced axes when keepDims, else those axes dropped. */
export function reduceSum(shape: number[], x: Float32Array, axes: number[], mean: boolean, keepDims: boolean): { shape: number[]; values: Float32Array } {
  const reduced = new Set(axes);
  const kept = shape.map((d, i) => (reduced.has(i) ? 1 : d));
  const keptStrides = contiguousStrides(kept);
  const outStrides = shape.map((_, i) => (reduced.has(i) ? 0 : keptStrides[i]));
  const outSize = kept.reduce((a, b) => a * b, 1);
  const outShape = keepDims ? kept : shape.filter((_, i) => !reduced.has(i));
  if (outSize > 0 && tf.backend_util.axesAreInnerMostDims(axes, shape.length)) {
    // Trailing axes (a softmax's channel sum): every output sums one contiguous run, straight into the result.
    return { shape: outShape, values: trailingSum(x, x.length / outSize, mean) };
  }
  // Accumulate in float64 (tfjs sums in a JS number too): long float32 sums would drift.
  const acc = new Float64Array(outSize);
  const nest = collapse({ dims: shape, strides: [contiguousStrides(shape), outStrides] });
  // One monomorphic loop per pattern: a training step mixes all three, and a shared loop would be slow for each.
  forEachBlock(nest, (off, rows, cols, rs, cs) => {
    if (cs[1] === 0) sumColsInto(x, off[0], rs[0], cs[0], acc, off[1], rs[1], rows, cols);
    else if (rs[1] === 0) sumRowsInto(x, off[0], rs[0], cs[0], acc, off[1], cs[1], rows, cols);
    else addInto(x, off[0], rs[0], cs[0], acc, off[1], rs[1], cs[1], rows, cols);
  });
  const count = outSize === 0 ? 1 : shape.reduce((a, b) => a * b, 1) / outSize;
  const values = new Float32Array(outSize);
  const scale = mean ? 1 / count : 1;
  for (let i = 0; i < outSize; i++) values[i] = acc[i] * scale;
  return { shape: outShape, values };
}

/** Sum (or mean) of each run of `reduceSize` consecutive elements, accumulated in float64. */
function trailingSum(x: Float32Array, reduceSize: number, mean: boolean): Float32Array {
  const out = new Float32Array(x.length / reduceSize);
  const scale = mean ? 1 / reduceSize : 1;
  for (let r = 0, p = 0; r < out.length; r++, p += reduceSize) {
    let s = 0;
    for (let j = 0; j < reduceSize; j++) s += x[p + j];
    out[r] = s * scale;
  }
  return out;
}

/** Maximum of each run of `reduceSize` consecutive elements; NaN wins, as in tfjs. */
export function trailingMax(x: Float32Array, reduceSize: number): Float32Array {
  const out = new Float32Array(x.length / reduceSize);
  for (let r = 0, p = 0; r < out.length; r++, p += reduceSize) {
    let m = x[p];
    for (let j = 1; j < reduceSize; j++) {
      const v = x[p + j];
      if (v > m || v !== v) m = v;
    }
    out[r] = m;
  }
  return out;
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
    if (cs[0] === 1 && cs[1] === 1) {
      // Rows contiguous on both sides (out is of x's kind; copyRows' loops work on any typed array).
      copyRows(x as CopyArray, start + off[1], rs[1], out as CopyArray, off[0], rs[0], rows, cols);
      return;
    }
    let o = off[0];
    let ix = start + off[1];
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < cols; i++) out[o + i] = x[ix + i * cs[1]];
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
  const parts = splitValues(x.shape, backend.data.get(x.dataId).values as CopyArray, axis, sizes);
  return parts.map((values, k) => {
    const shape = x.shape.slice();
    shape[axis] = sizes[k];
    return backend.makeTensorInfo(shape, x.dtype, values as Float32Array);
  });
};

const concat: tf.KernelFunc = (args) => {
  const { backend, attrs } = args as unknown as KernelArgs;
  // Concat's inputs are a list of tensors, not a record.
  const inputs = args.inputs as unknown as tf.TensorInfo[];
  const dtype = inputs[0]?.dtype;
  const nonEmpty = inputs.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
  // Empty results, a single non-empty input (tfjs answers with an identity) and other dtypes stay with tfjs.
  if (nonEmpty.length < 2 || !sliceable(nonEmpty[0]) || inputs.some((t) => t.dtype !== dtype)) return original('Concat').kernelFunc(args);
  const axis = tf.util.parseAxisParam(attrs.axis as number, inputs[0].shape)[0];
  const shapes = inputs.map((t) => t.shape);
  tf.backend_util.assertParamsConsistent(shapes, axis);
  const outShape = tf.backend_util.computeOutShape(shapes, axis);
  const values = concatValues(
    nonEmpty.map((t) => t.shape),
    nonEmpty.map((t) => backend.data.get(t.dataId).values as CopyArray),
    axis,
  );
  return backend.makeTensorInfo(outShape, dtype, values as Float32Array);
};

const max: tf.KernelFunc = (args) => {
  const { inputs, backend, attrs } = args as unknown as KernelArgs;
  const { x } = inputs;
  const axes = tf.util.parseAxisParam(attrs.reductionIndices as number | number[], x.shape);
  // Trailing axes only (a softmax's channel axis): for others tfjs transposes first, and so does its kernel.
  if (x.dtype !== 'float32' || tf.util.sizeFromShape(x.shape) === 0 || !tf.backend_util.axesAreInnerMostDims(axes, x.shape.length)) return original('Max').kernelFunc(args);
  const [outShape, reduceShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
  const values = trailingMax(valuesOf(backend, x), tf.util.sizeFromShape(reduceShape));
  return backend.makeTensorInfo(attrs.keepDims === true ? tf.backend_util.expandShapeToKeepDim(outShape, axes) : outShape, 'float32', values);
};

function unary(name: 'Log' | 'Sqrt', values: (x: Float32Array) => Float32Array): tf.KernelFunc {
  return (args) => {
    const { inputs, backend } = args as unknown as KernelArgs;
    const { x } = inputs;
    if (x.dtype !== 'float32') return original(name).kernelFunc(args);
    return backend.makeTensorInfo(x.shape, 'float32', values(valuesOf(backend, x)));
  };
}

const exp: tf.KernelFunc = (args) => {
  const { inputs, backend } = args as unknown as KernelArgs;
  const { x } = inputs;
  if (x.dtype !== 'float32') return original('Exp').kernelFunc(args);
  return backend.makeTensorInfo(x.shape, 'float32', expValues(valuesOf(backend, x)));
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
  Concat: concat,
  Exp: exp,
  Log: unary('Log', logValues),
  Sqrt: unary('Sqrt', sqrtValues),
  Max: max,
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
export function runReplacedElementwiseKernel(name: FastElementwiseKernelName, inputs: Record<string, tf.Tensor> | tf.Tensor[], attrs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
  const config = originals.get(name) ?? tf.getKernel(name, 'cpu');
  if (config === undefined) throw new Error('tfjs cpu backend is not registered');
  if (tf.getBackend() !== 'cpu') throw new Error(`runReplacedElementwiseKernel needs the cpu backend active, not ${tf.getBackend()}`);
  const out = config.kernelFunc({ inputs: inputs as tf.NamedTensorInfoMap, backend: tf.backend(), attrs: attrs as tf.NamedAttrMap });
  return Array.isArray(out) ? out.map((i) => tf.engine().makeTensorFromTensorInfo(i)) : tf.engine().makeTensorFromTensorInfo(out);
}
