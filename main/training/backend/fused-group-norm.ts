// Instance / group / layer normalisation as one op with its own gradient. Written with tfjs ops (moments, sub, div,
// mul, add) a normalisation costs ~8 passes over the activation forward and ~15 backward, and on the cpu backend
// those passes dominate a U-Net step once convolutions are fast. Here the forward is 2 passes (statistics, affine
// output) and the backward 2 (per-channel sums, input gradient), in float64 accumulators. Other backends get the
// composite formula (their kernels fuse well enough and this code reads tensors on the cpu).
import * as tf from '@tensorflow/tfjs-core';

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

/** Per (sample, channel) sums of x and x^2, over space. */
function channelSums(l: Layout, x: Float32Array): { s1: Float64Array; s2: Float64Array } {
  const s1 = new Float64Array(l.batch * l.channels);
  const s2 = new Float64Array(l.batch * l.channels);
  for (let n = 0; n < l.batch; n++) {
    const o = n * l.channels;
    let p = n * l.space * l.channels;
    for (let s = 0; s < l.space; s++) {
      for (let c = 0; c < l.channels; c++, p++) {
        const v = x[p];
        s1[o + c] += v;
        s2[o + c] += v * v;
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

/** Mean and 1/sqrt(var + eps) per (sample, group). */
function statistics(l: Layout, x: Float32Array, epsilon: number): { mean: Float64Array; rstd: Float64Array } {
  const { s1, s2 } = channelSums(l, x);
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

function forwardValues(l: Layout, x: Float32Array, gamma: Float32Array, beta: Float32Array, epsilon: number): { y: Float32Array; mean: Float64Array; rstd: Float64Array } {
  const { mean, rstd } = statistics(l, x, epsilon);
  const a = new Float64Array(l.batch * l.channels);
  const b = new Float64Array(l.batch * l.channels);
  for (let n = 0; n < l.batch; n++) {
    for (let c = 0; c < l.channels; c++) {
      const g = n * l.groups + Math.floor(c / l.perGroup);
      a[n * l.channels + c] = rstd[g] * gamma[c];
      b[n * l.channels + c] = beta[c] - mean[g] * rstd[g] * gamma[c];
    }
  }
  const y = new Float32Array(x.length);
  affine(l, x, a, b, y);
  return { y, mean, rstd };
}

function backwardValues(
  l: Layout,
  x: Float32Array,
  dy: Float32Array,
  gamma: Float32Array,
  mean: Float64Array,
  rstd: Float64Array,
): { dx: Float32Array; dgamma: Float32Array; dbeta: Float32Array } {
  // Per (sample, channel): sum dy and sum dy * x, in one pass.
  const sdy = new Float64Array(l.batch * l.channels);
  const sdyx = new Float64Array(l.batch * l.channels);
  for (let n = 0; n < l.batch; n++) {
    const o = n * l.channels;
    let p = n * l.space * l.channels;
    for (let s = 0; s < l.space; s++) {
      for (let c = 0; c < l.channels; c++, p++) {
        sdy[o + c] += dy[p];
        sdyx[o + c] += dy[p] * x[p];
      }
    }
  }
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
  const dx = new Float32Array(x.length);
  affine(l, dy, A, C, dx, x, B);
  return { dx, dgamma: Float32Array.from(dgamma), dbeta: Float32Array.from(dbeta) };
}

/**
 * Group normalisation of x ([batch, ...space, channels], channels-last) with per-channel gamma and beta: groups = 1
 * is layer norm, groups = channels instance norm. Equals groupNormReference; on the cpu backend computed in 2 passes
 * forward and 2 backward.
 */
export function groupNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, groups: number, epsilon: number): tf.Tensor {
  if (tf.getBackend() !== 'cpu' || x.dtype !== 'float32') return groupNormReference(x, gamma, beta, groups, epsilon);
  const l = layoutOf(x, groups);
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
