// Instance / group / layer normalisation as one op with its own gradient, optionally fused with the leaky ReLU that
// follows it. Written with tfjs ops (moments, sub, div, mul, add) a normalisation costs ~8 passes over the activation
// forward and ~15 backward, and on the cpu backend those passes dominate a U-Net step once convolutions are fast.
// Here the forward is 2 passes (statistics, affine output + activation) and the backward 2 (per-channel sums, input
// gradient), in float64 accumulators, on the WebAssembly kernels and their threads (wasm-norm.ts) when they load, in
// JavaScript otherwise. Other backends get the composite formula (their kernels fuse well enough and this code reads
// tensors on the cpu).
import * as tf from '@tensorflow/tfjs-core';
import { WasmPool } from './wasm-pool.ts';
import { WasmNorm, wasmNorm, type BackwardCoefficients, type ChannelSums, type ForwardCoefficients } from './wasm-norm.ts';

/** The composite formula (what models/forward.ts computes): per sample and group, over space and the group's channels. */
export function groupNormReference(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, groups: number, epsilon: number): tf.Tensor {
  return tf.tidy(() => {
    const rank = x.rank;
    const c = x.shape[rank - 1];
    const spatial = Array.from({ length: rank - 2 }, (_, i) => i + 1);
    const grouped = tf.reshape(x, [...x.shape.slice(0, rank - 1), groups, c / groups]);
    const { mean, variance } = tf.moments(grouped, [...spatial, rank], true);
    const normed = tf.div(tf.sub(grouped, mean), tf.sqrt(tf.add(variance, epsilon)));
    return tf.add(tf.mul(tf.reshape(normed, x.shape), gamma), beta);
  });
}

interface Layout {
  batch: number;
  space: number;
  channels: number;
  groups: number;
  perGroup: number;
}

function layoutOf(x: tf.Tensor, groups: number): Layout {
  const channels = x.shape[x.rank - 1];
  if (x.rank < 3) throw new Error(`groupNorm needs [batch, ...space, channels], got [${x.shape.join(', ')}]`);
  if (!Number.isInteger(groups) || groups < 1 || channels % groups !== 0) throw new Error(`groupNorm: ${groups} groups do not divide ${channels} channels`);
  return { batch: x.shape[0], space: x.size / (x.shape[0] * channels), channels, groups, perGroup: channels / groups };
}

/** Per (sample, channel) sums over space of u and of u * x: (x, x) gives the statistics, (dy, x) the gradient's. */
function channelSums(l: Layout, u: Float32Array, x: Float32Array): ChannelSums {
  const s1 = new Float64Array(l.batch * l.channels);
  const s2 = new Float64Array(l.batch * l.channels);
  for (let n = 0; n < l.batch; n++) {
    const o = n * l.channels;
    let p = n * l.space * l.channels;
    for (let s = 0; s < l.space; s++) {
      for (let c = 0; c < l.channels; c++, p++) {
        s1[o + c] += u[p];
        s2[o + c] += u[p] * x[p];
      }
    }
  }
  return { s1, s2 };
}

/** out[p] = x[p] * a[n, c] + b[n, c] (per sample and channel coefficients). */
function affine(l: Layout, x: Float32Array, a: Float64Array, b: Float64Array, out: Float32Array, y?: Float32Array, ya?: Float64Array): void {
  for (let n = 0; n < l.batch; n++) {
    const o = n * l.channels;
    let p = n * l.space * l.channels;
    for (let s = 0; s < l.space; s++) {
      for (let c = 0; c < l.channels; c++, p++) {
        out[p] = y && ya ? x[p] * a[o + c] + y[p] * ya[o + c] + b[o + c] : x[p] * a[o + c] + b[o + c];
      }
    }
  }
}

/** Mean and 1/sqrt(var + eps) per (sample, group), from per-channel sums of x and x^2. */
function statistics(l: Layout, { s1, s2 }: ChannelSums, epsilon: number): { mean: Float64Array; rstd: Float64Array } {
  const mean = new Float64Array(l.batch * l.groups);
  const rstd = new Float64Array(l.batch * l.groups);
  const count = l.space * l.perGroup;
  for (let n = 0; n < l.batch; n++) {
    for (let g = 0; g < l.groups; g++) {
      let a = 0;
      let b = 0;
      for (let j = 0; j < l.perGroup; j++) {
        a += s1[n * l.channels + g * l.perGroup + j];
        b += s2[n * l.channels + g * l.perGroup + j];
      }
      const m = a / count;
      mean[n * l.groups + g] = m;
      rstd[n * l.groups + g] = 1 / Math.sqrt(Math.max(0, b / count - m * m) + epsilon);
    }
  }
  return { mean, rstd };
}

/** out = x * a + b per (sample, channel), with a and b from the group statistics and gamma, beta. */
function forwardCoefficients(l: Layout, mean: Float64Array, rstd: Float64Array, gamma: Float32Array, beta: Float32Array): { a: Float64Array; b: Float64Array } {
  const a = new Float64Array(l.batch * l.channels);
  const b = new Float64Array(l.batch * l.channels);
  for (let n = 0; n < l.batch; n++) {
    for (let c = 0; c < l.channels; c++) {
      const g = n * l.groups + Math.floor(c / l.perGroup);
      a[n * l.channels + c] = rstd[g] * gamma[c];
      b[n * l.channels + c] = beta[c] - mean[g] * rstd[g] * gamma[c];
    }
  }
  return { a, b };
}

function forwardValues(l: Layout, x: Float32Array, gamma: Float32Array, beta: Float32Array, epsilon: number): { y: Float32Array; mean: Float64Array; rstd: Float64Array } {
  const { mean, rstd } = statistics(l, channelSums(l, x, x), epsilon);
  const { a, b } = forwardCoefficients(l, mean, rstd, gamma, beta);
  const y = new Float32Array(x.length);
  affine(l, x, a, b, y);
  return { y, mean, rstd };
}

/** The gradient as coefficients per (sample, channel), from sdy = sum of dy and sdyx = sum of dy * x over space. */
function backwardCoefficients(
  l: Layout,
  { s1: sdy, s2: sdyx }: ChannelSums,
  gamma: Float32Array,
  mean: Float64Array,
  rstd: Float64Array,
): { A: Float64Array; B: Float64Array; C: Float64Array; dgamma: Float32Array; dbeta: Float32Array } {
  const dgamma = new Float64Array(l.channels);
  const dbeta = new Float64Array(l.channels);
  // dx = rstd * (dy*gamma - mean(dy*gamma) - xhat * mean(dy*gamma*xhat)) per group = dy*A + x*B + C per (n, c).
  const A = new Float64Array(l.batch * l.channels);
  const B = new Float64Array(l.batch * l.channels);
  const C = new Float64Array(l.batch * l.channels);
  const count = l.space * l.perGroup;
  for (let n = 0; n < l.batch; n++) {
    for (let g = 0; g < l.groups; g++) {
      const k = n * l.groups + g;
      let m1 = 0;
      let m2 = 0;
      for (let j = 0; j < l.perGroup; j++) {
        const c = g * l.perGroup + j;
        const i = n * l.channels + c;
        const dyXhat = rstd[k] * (sdyx[i] - mean[k] * sdy[i]); // sum of dy * xhat
        dgamma[c] += dyXhat;
        dbeta[c] += sdy[i];
        m1 += gamma[c] * sdy[i];
        m2 += gamma[c] * dyXhat;
      }
      m1 /= count;
      m2 /= count;
      for (let j = 0; j < l.perGroup; j++) {
        const c = g * l.perGroup + j;
        const i = n * l.channels + c;
        A[i] = rstd[k] * gamma[c];
        B[i] = -rstd[k] * rstd[k] * m2;
        C[i] = -rstd[k] * m1 + rstd[k] * rstd[k] * m2 * mean[k];
      }
    }
  }
  return { A, B, C, dgamma: Float32Array.from(dgamma), dbeta: Float32Array.from(dbeta) };
}

function backwardValues(
  l: Layout,
  x: Float32Array,
  dy: Float32Array,
  gamma: Float32Array,
  mean: Float64Array,
  rstd: Float64Array,
): { dx: Float32Array; dgamma: Float32Array; dbeta: Float32Array } {
  const { A, B, C, dgamma, dbeta } = backwardCoefficients(l, channelSums(l, dy, x), gamma, mean, rstd);
  const dx = new Float32Array(x.length);
  affine(l, dy, A, C, dx, x, B);
  return { dx, dgamma, dbeta };
}

/** The WebAssembly engine, or null (SEGSTATION_CPU_KERNELS=tfjs, too large, or a module that does not load). */
function wasmEngine(l: Layout): WasmNorm | null {
  if (process.env.SEGSTATION_CPU_KERNELS === 'tfjs') return null;
  if (WasmNorm.bytesFor({ batch: l.batch, space: l.space, channels: l.channels }) > WasmPool.MAX_BYTES) return null;
  return wasmNorm();
}

const toF32 = (v: Float64Array): Float32Array => Float32Array.from(v);

/**
 * The fused op on the WebAssembly engine: normalisation, then a leaky ReLU of slope alpha unless alpha is null. The
 * gradient recovers the ReLU's slope from its output (alpha >= 0 keeps the sign), so no pre-activation is kept.
 */
function wasmGroupNorm(engine: WasmNorm, l: Layout, x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number, alpha: number | null): tf.Tensor {
  const shape = { batch: l.batch, space: l.space, channels: l.channels };
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, gi, bi, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const gv = gi.dataSync() as Float32Array;
    const bv = bi.dataSync() as Float32Array;
    let mean: Float64Array = new Float64Array(0);
    let rstd: Float64Array = new Float64Array(0);
    const y = engine.forward(shape, xi.dataSync() as Float32Array, alpha, (sums: ChannelSums): ForwardCoefficients => {
      ({ mean, rstd } = statistics(l, sums, epsilon));
      const { a, b } = forwardCoefficients(l, mean, rstd, gv, bv);
      return { scale: toF32(a), shift: toF32(b) };
    });
    const value = tf.tensor(y, xi.shape, 'float32');
    save(alpha === null ? [xi, gi] : [xi, gi, value]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, gs, ys] = saved;
        let dgamma: Float32Array = new Float32Array(0);
        let dbeta: Float32Array = new Float32Array(0);
        const yv = ys ? (ys.dataSync() as Float32Array) : null;
        const dx = engine.backward(shape, xs.dataSync() as Float32Array, dy.dataSync() as Float32Array, yv, alpha, (sums: ChannelSums): BackwardCoefficients => {
          const c = backwardCoefficients(l, sums, gs.dataSync() as Float32Array, mean, rstd);
          ({ dgamma, dbeta } = c);
          return { A: toF32(c.A), B: toF32(c.B), C: toF32(c.C) };
        });
        return [tf.tensor(dx, xs.shape, 'float32'), tf.tensor(dgamma, gs.shape, 'float32'), tf.tensor(dbeta, gs.shape, 'float32')];
      },
    };
  });
  return op(x, gamma, beta);
}

/** The fused op in JavaScript loops (no activation: the caller applies tfjs' leaky ReLU). */
function jsGroupNorm(l: Layout, x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, gi, bi, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const xv = xi.dataSync() as Float32Array;
    const gv = gi.dataSync() as Float32Array;
    const { y, mean, rstd } = forwardValues(l, xv, gv, bi.dataSync() as Float32Array, epsilon);
    save([xi, gi]);
    return {
      value: tf.tensor(y, xi.shape, 'float32'),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, gs] = saved;
        const r = backwardValues(l, xs.dataSync() as Float32Array, dy.dataSync() as Float32Array, gs.dataSync() as Float32Array, mean, rstd);
        return [tf.tensor(r.dx, xs.shape, 'float32'), tf.tensor(r.dgamma, gs.shape, 'float32'), tf.tensor(r.dbeta, gs.shape, 'float32')];
      },
    };
  });
  return op(x, gamma, beta);
}

/**
 * Group normalisation of x ([batch, ...space, channels], channels-last) with per-channel gamma and beta: groups = 1
 * is layer norm, groups = channels instance norm. Equals groupNormReference; on the cpu backend computed in 2 passes
 * forward and 2 backward.
 */
export function groupNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, groups: number, epsilon: number): tf.Tensor {
  if (tf.getBackend() !== 'cpu' || x.dtype !== 'float32') return groupNormReference(x, gamma, beta, groups, epsilon);
  const l = layoutOf(x, groups);
  const engine = wasmEngine(l);
  return engine ? wasmGroupNorm(engine, l, x, gamma, beta, epsilon, null) : jsGroupNorm(l, x, gamma, beta, epsilon);
}

/**
 * leakyRelu(groupNorm(x, ...), alpha): the normalisation block of a U-Net. On the cpu backend the activation is
 * fused into the normalisation's output pass and its gradient into the normalisation's gradient passes, so the
 * block costs 2 passes each way and keeps one tensor instead of two. alpha must be >= 0.
 */
export function groupNormLeakyRelu(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, groups: number, epsilon: number, alpha: number): tf.Tensor {
  if (!(alpha >= 0)) throw new Error(`groupNormLeakyRelu: the slope must be >= 0 (its gradient is read from the output's sign), got ${alpha}`);
  if (tf.getBackend() === 'cpu' && x.dtype === 'float32') {
    const l = layoutOf(x, groups);
    const engine = wasmEngine(l);
    if (engine) return wasmGroupNorm(engine, l, x, gamma, beta, epsilon, alpha);
  }
  return tf.tidy(() => tf.leakyRelu(groupNorm(x, gamma, beta, groups, epsilon), alpha));
}
