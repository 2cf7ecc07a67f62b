// Max pooling for tfjs cpu. Forward: tfjs reads every window through per-element index arithmetic; here each window is
// scanned with channels innermost. Gradients: tfjs first builds a tensor of argmax positions through TensorBuffer.get/set
// and then, for every input voxel, searches the output windows that may cover it. Here one pass over the output
// windows finds each channel's argmax (channels innermost, so the scan is contiguous) and adds dy there. Ties pick
// the voxel tfjs picks: the first maximum in 2D (MaxPoolGrad), the last in 3D (MaxPool3DGrad). The U-Net's halving
// pooling runs on the WebAssembly kernels and their threads (wasm-maxpool.ts) when they load.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { WasmMaxPool, wasmMaxPool } from './wasm-maxpool.ts';

export const FAST_POOL_KERNELS = 'max pooling and its gradients in one pass over the windows';
export const FAST_POOL_KERNEL_NAMES = ['MaxPool', 'MaxPool3D', 'MaxPoolGrad', 'MaxPool3DGrad'] as const;
export type FastPoolKernelName = (typeof FAST_POOL_KERNEL_NAMES)[number];

const originals = new Map<FastPoolKernelName, tf.KernelConfig>();

/** Pooling window geometry, 2D as depth 1. */
export interface PoolGeometry {
  batch: number;
  channels: number;
  inD: number;
  inH: number;
  inW: number;
  outD: number;
  outH: number;
  outW: number;
  kD: number;
  kH: number;
  kW: number;
  strideD: number;
  strideH: number;
  strideW: number;
  padFront: number;
  padTop: number;
  padLeft: number;
}

/**
 * The U-Net pooling: 2x2 (or 2x2x2) windows, stride 2, every window inside the input. Then each output value is a
 * fixed set of 4 (8) loads and compares without the window bookkeeping of the general loops (25-40% faster).
 */
function isHalving(g: PoolGeometry): boolean {
  const halves = (k: number, stride: number, out: number, size: number): boolean => k === 2 && stride === 2 && 2 * out <= size;
  const depthOk = (g.kD === 1 && g.strideD === 1 && g.outD === g.inD) || halves(g.kD, g.strideD, g.outD, g.inD);
  return depthOk && halves(g.kH, g.strideH, g.outH, g.inH) && halves(g.kW, g.strideW, g.outW, g.inW) && g.padFront === 0 && g.padTop === 0 && g.padLeft === 0;
}

/** Offsets of the window voxels after the first, in tfjs' visiting order (depth, row, column). */
function halvingOffsets(g: PoolGeometry): number[] {
  const c = g.channels;
  const row = g.inW * c;
  const plane = g.inH * row;
  const flat = [c, row, row + c];
  return g.kD === 2 ? [...flat, plane, plane + c, plane + row, plane + row + c] : flat;
}

/** Offset in x of the first voxel of every output voxel's window (halving pooling), in output order. */
function halvingWindowStarts(g: PoolGeometry): Int32Array {
  const starts = new Int32Array(g.batch * g.outD * g.outH * g.outW);
  const c = g.channels;
  let i = 0;
  for (let b = 0; b < g.batch; b++) {
    for (let od = 0; od < g.outD; od++) {
      const d = g.kD === 2 ? 2 * od : od;
      for (let oh = 0; oh < g.outH; oh++) {
        const row = ((b * g.inD + d) * g.inH + 2 * oh) * g.inW;
        for (let ow = 0; ow < g.outW; ow++) starts[i++] = (row + 2 * ow) * c;
      }
    }
  }
  return starts;
}

function halvingMaxPool(g: PoolGeometry, x: Float32Array): Float32Array {
  const c = g.channels;
  const starts = halvingWindowStarts(g);
  const y = new Float32Array(starts.length * c);
  const [o1, o2, o3, o4 = 0, o5 = 0, o6 = 0, o7 = 0] = halvingOffsets(g);
  const three = g.kD === 2;
  for (let w = 0, o = 0; w < starts.length; w++) {
    for (let p = starts[w], end = p + c; p < end; p++, o++) {
      // NaN never wins a comparison, so it is skipped as tfjs does; a window of NaNs gives -Infinity.
      let m = -Infinity;
      let v = x[p];
      if (v > m) m = v;
      v = x[p + o1];
      if (v > m) m = v;
      v = x[p + o2];
      if (v > m) m = v;
      v = x[p + o3];
      if (v > m) m = v;
      if (three) {
        v = x[p + o4];
        if (v > m) m = v;
        v = x[p + o5];
        if (v > m) m = v;
        v = x[p + o6];
        if (v > m) m = v;
        v = x[p + o7];
        if (v > m) m = v;
      }
      y[o] = m;
    }
  }
  return y;
}

/** maxPoolGradValues for a halving pooling: windows do not overlap, so each dx voxel gets at most one dy. */
function halvingMaxPoolGrad(g: PoolGeometry, x: Float32Array, dy: Float32Array, lastOnTies: boolean): Float32Array {
  const c = g.channels;
  const starts = halvingWindowStarts(g);
  const dx = new Float32Array(x.length);
  const offsets = Int32Array.from([0, ...halvingOffsets(g)]);
  if (offsets.length === 4 && !lastOnTies) {
    // 2D, first maximum on ties (MaxPoolGrad): unrolled.
    const [, o1, o2, o3] = offsets;
    for (let w = 0, o = 0; w < starts.length; w++) {
      for (let p = starts[w], end = p + c; p < end; p++, o++) {
        let best = -Infinity;
        let at = -1;
        let v = x[p];
        if (v > best) {
          best = v;
          at = p;
        }
        v = x[p + o1];
        if (v > best) {
          best = v;
          at = p + o1;
        }
        v = x[p + o2];
        if (v > best) {
          best = v;
          at = p + o2;
        }
        if (x[p + o3] > best) at = p + o3;
        if (at >= 0) dx[at] = dy[o];
      }
    }
    return dx;
  }
  const n = offsets.length;
  for (let w = 0, o = 0; w < starts.length; w++) {
    for (let p = starts[w], end = p + c; p < end; p++, o++) {
      let best = -Infinity;
      let at = -1;
      for (let q = 0; q < n; q++) {
        const v = x[p + offsets[q]];
        // Ties: the first maximum (2D) or the last (3D), as tfjs picks.
        if (v > best || (lastOnTies && v === best)) {
          best = v;
          at = p + offsets[q];
        }
      }
      if (at >= 0) dx[at] = dy[o];
    }
  }
  return dx;
}

/**
 * Visits every output voxel's window (the general loops: any window, stride and padding): for output voxel offset o
 * (channels follow), `window(o, bases, count)` gets the input offsets of its window voxels inside the input, in tfjs'
 * scan order (depth, row, column).
 */
function forEachWindow(g: PoolGeometry, window: (o: number, bases: Int32Array, count: number) => void): void {
  const c = g.channels;
  const bases = new Int32Array(g.kD * g.kH * g.kW);
  const inVol = g.inD * g.inH * g.inW;
  let o = 0;
  for (let b = 0; b < g.batch; b++) {
    const xb = b * inVol;
    for (let od = 0; od < g.outD; od++) {
      const d0 = od * g.strideD - g.padFront;
      for (let oh = 0; oh < g.outH; oh++) {
        const h0 = oh * g.strideH - g.padTop;
        for (let ow = 0; ow < g.outW; ow++, o += c) {
          const w0 = ow * g.strideW - g.padLeft;
          let count = 0;
          for (let d = Math.max(0, d0); d < Math.min(g.inD, d0 + g.kD); d++) {
            for (let h = Math.max(0, h0); h < Math.min(g.inH, h0 + g.kH); h++) {
              for (let w = Math.max(0, w0); w < Math.min(g.inW, w0 + g.kW); w++) bases[count++] = (xb + (d * g.inH + h) * g.inW + w) * c;
            }
          }
          window(o, bases, count);
        }
      }
    }
  }
}

/** dx of max pooling: dy routed to each window's maximum of x (first maximum, or last with lastOnTies). */
export function maxPoolGradValues(g: PoolGeometry, x: Float32Array, dy: Float32Array, lastOnTies: boolean): Float32Array {
  if (isHalving(g)) {
    const engine = WasmMaxPool.handles(g) ? wasmMaxPool() : null;
    return engine ? engine.gradient(g, x, dy, lastOnTies) : halvingMaxPoolGrad(g, x, dy, lastOnTies);
  }
  const c = g.channels;
  const dx = new Float32Array(x.length);
  const best = new Float32Array(c);
  const at = new Int32Array(c);
  forEachWindow(g, (o, bases, count) => {
    best.fill(-Infinity);
    at.fill(-1);
    for (let i = 0; i < count; i++) {
      const base = bases[i];
      if (lastOnTies) {
        for (let k = 0; k < c; k++) {
          const v = x[base + k];
          if (v >= best[k]) {
            best[k] = v;
            at[k] = base + k;
          }
        }
      } else {
        for (let k = 0; k < c; k++) {
          const v = x[base + k];
          if (v > best[k]) {
            best[k] = v;
            at[k] = base + k;
          }
        }
      }
    }
    for (let k = 0; k < c; k++) if (at[k] >= 0) dx[at[k]] += dy[o + k];
  });
  return dx;
}

/** Max pooling: each window's maximum per channel (NaN ignored, as tfjs does; -Infinity for an all-padding window). */
export function maxPoolValues(g: PoolGeometry, x: Float32Array): Float32Array {
  if (isHalving(g)) {
    const engine = WasmMaxPool.handles(g) ? wasmMaxPool() : null;
    return engine ? engine.forward(g, x) : halvingMaxPool(g, x);
  }
  const c = g.channels;
  const y = new Float32Array(g.batch * g.outD * g.outH * g.outW * c).fill(-Infinity);
  forEachWindow(g, (o, bases, count) => {
    for (let i = 0; i < count; i++) {
      const base = bases[i];
      for (let k = 0; k < c; k++) {
        const v = x[base + k];
        if (v > y[o + k]) y[o + k] = v;
      }
    }
  });
  return y;
}

interface KernelArgs {
  inputs: Record<string, tf.TensorInfo>;
  attrs: Record<string, unknown>;
  backend: MathBackendCPU;
}

function geometry(info: tf.backend_util.Conv2DInfo | tf.backend_util.Conv3DInfo): PoolGeometry {
  const three = 'inDepth' in info;
  return {
    batch: info.batchSize,
    channels: info.inChannels,
    inD: three ? info.inDepth : 1,
    inH: info.inHeight,
    inW: info.inWidth,
    outD: three ? info.outDepth : 1,
    outH: info.outHeight,
    outW: info.outWidth,
    kD: three ? info.effectiveFilterDepth : 1,
    kH: info.effectiveFilterHeight,
    kW: info.effectiveFilterWidth,
    strideD: three ? info.strideDepth : 1,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    padFront: three ? info.padInfo.front : 0,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

function poolGrad(name: FastPoolKernelName): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args as unknown as KernelArgs;
    const { dy, input } = inputs;
    const original = originals.get(name);
    if (original === undefined) throw new Error(`${name}: fast kernel used before registration`);
    if (dy.dtype !== 'float32' || input.dtype !== 'float32') return original.kernelFunc(args);
    const { filterSize, strides, pad, dimRoundingMode } = attrs as {
      filterSize: number | number[];
      strides: number | number[];
      pad: 'valid' | 'same' | number;
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
    };
    const info =
      name === 'MaxPoolGrad'
        ? tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize as number, strides as number, 1, pad, dimRoundingMode)
        : tf.backend_util.computePool3DInfo(input.shape as [number, number, number, number, number], filterSize as number, strides as number, 1, pad, dimRoundingMode);
    if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return original.kernelFunc(args);
    const x = backend.data.get(input.dataId).values as Float32Array;
    const g = backend.data.get(dy.dataId).values as Float32Array;
    return backend.makeTensorInfo(input.shape, 'float32', maxPoolGradValues(geometry(info), x, g, name === 'MaxPool3DGrad'));
  };
}

function pool(name: 'MaxPool' | 'MaxPool3D'): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args as unknown as KernelArgs;
    const { x } = inputs;
    const original = originals.get(name);
    if (original === undefined) throw new Error(`${name}: fast kernel used before registration`);
    const { filterSize, strides, pad, dimRoundingMode, dataFormat } = attrs as {
      filterSize: number | number[];
      strides: number | number[];
      pad: 'valid' | 'same' | number;
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
      dataFormat?: string;
    };
    if (x.dtype !== 'float32' || (dataFormat !== undefined && dataFormat !== 'NDHWC' && dataFormat !== 'NHWC')) return original.kernelFunc(args);
    const info =
      name === 'MaxPool'
        ? tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], filterSize as number, strides as number, 1, pad, dimRoundingMode)
        : tf.backend_util.computePool3DInfo(x.shape as [number, number, number, number, number], filterSize as number, strides as number, 1, pad, dimRoundingMode);
    if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return original.kernelFunc(args);
    // A 1x1 stride-1 window is the identity; tfjs answers it with the input itself.
    if (info.filterHeight === 1 && info.filterWidth === 1 && ('filterDepth' in info ? info.filterDepth === 1 : true) && tf.util.arraysEqual(info.inShape, info.outShape)) return original.kernelFunc(args);
    const values = maxPoolValues(geometry(info), backend.data.get(x.dataId).values as Float32Array);
    return backend.makeTensorInfo(info.outShape, 'float32', values);
  };
}

const FAST: Record<FastPoolKernelName, tf.KernelFunc> = {
  MaxPool: pool('MaxPool'),
  MaxPool3D: pool('MaxPool3D'),
  MaxPoolGrad: poolGrad('MaxPoolGrad'),
  MaxPool3DGrad: poolGrad('MaxPool3DGrad'),
};

/** Registers the pooling gradients on the cpu backend (idempotent). */
export function registerFastPoolKernels(): string {
  for (const name of FAST_POOL_KERNEL_NAMES) {
    const current = tf.getKernel(name, 'cpu');
    if (current === undefined || current.kernelFunc === FAST[name]) continue;
    originals.set(name, current);
    tf.unregisterKernel(name, 'cpu');
    tf.registerKernel({ ...current, kernelFunc: FAST[name] });
  }
  return FAST_POOL_KERNELS;
}

export function fastPoolKernelsActive(): boolean {
  return FAST_POOL_KERNEL_NAMES.every((n) => tf.getKernel(n, 'cpu')?.kernelFunc === FAST[n]);
}

/** Runs the kernel a replacement replaced, with the cpu backend active (the reference for tests). */
export function runReplacedPoolKernel(name: FastPoolKernelName, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>): tf.Tensor {
  const config = originals.get(name) ?? tf.getKernel(name, 'cpu');
  if (config === undefined) throw new Error('tfjs cpu backend is not registered');
  const info = config.kernelFunc({ inputs, backend: tf.backend(), attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo;
  return tf.engine().makeTensorFromTensorInfo(info);
}
