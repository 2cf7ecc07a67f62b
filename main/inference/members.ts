/**
 * Several predictions of one window averaged into per-voxel features: ensemble members (k-fold models), MC-dropout
 * passes (a model whose Dropout stays active) and test-time flips (the window mirrored along a subset of axes, the
 * output mirrored back). Features per voxel, averaged over the M members:
 *   [0, K)     mean class probabilities  E[p_k]
 *   [K, 2K)    mean squared probabilities E[p_k^2]        (uncertainty only)
 *   2K         mean entropy of the members E[H(p)]       (uncertainty only)
 * Blending these over windows keeps them means, from which `derive.ts` gets the predictive entropy H(E[p]), the
 * mutual information (BALD) H(E[p]) - E[H(p)] and the per-class variance E[p^2] - E[p]^2.
 */
import type { WindowEvaluator } from './slidingWindow/stitcher.ts';

/** Runs a channels-first batch [B, C, z, y, x] and returns class probabilities [B, K, z, y, x]. */
export type WindowPredictor = (input: Float32Array, dims: [number, number, number, number, number]) => Promise<Float32Array>;

/** Spatial axes to mirror: 0 = x, 1 = y, 2 = z. */
export type Flip = readonly (0 | 1 | 2)[];

/** Every subset of `axes`, the identity first (nnU-Net's mirroring TTA). */
export function flipSubsets(axes: readonly (0 | 1 | 2)[]): Flip[] {
  const out: Flip[] = [];
  for (let mask = 0; mask < 1 << axes.length; mask++) out.push(axes.filter((_, i) => mask & (1 << i)));
  return out;
}

/** Mirrors a channels-first batch [B, C, z, y, x] along spatial axes; returns a new array. */
export function flipWindow(data: Float32Array, dims: readonly number[], flip: Flip): Float32Array {
  if (flip.length === 0) return data;
  const [b, c, nz, ny, nx] = dims;
  const fx = flip.includes(0);
  const fy = flip.includes(1);
  const fz = flip.includes(2);
  const out = new Float32Array(data.length);
  const vol = nz * ny * nx;
  for (let i = 0; i < b * c; i++) {
    const base = i * vol;
    for (let z = 0; z < nz; z++) {
      const sz = fz ? nz - 1 - z : z;
      for (let y = 0; y < ny; y++) {
        const sy = fy ? ny - 1 - y : y;
        const dst = base + (z * ny + y) * nx;
        const src = base + (sz * ny + sy) * nx;
        if (fx) for (let x = 0; x < nx; x++) out[dst + x] = data[src + nx - 1 - x];
        else out.set(data.subarray(src, src + nx), dst);
      }
    }
  }
  return out;
}

export interface MemberOptions {
  /** One predictor per model (ensemble members). */
  predictors: readonly WindowPredictor[];
  classes: number;
  /** Passes per model (MC-dropout); 1 for a deterministic model. */
  passes?: number;
  /** Flips per pass; [[]] (the identity) when absent. */
  flips?: readonly Flip[];
  /** Return the uncertainty moments too. */
  uncertainty?: boolean;
}

export function featureCount(classes: number, uncertainty: boolean): number {
  return uncertainty ? 2 * classes + 1 : classes;
}

export function memberCount(options: MemberOptions): number {
  return options.predictors.length * (options.passes ?? 1) * (options.flips?.length ?? 1);
}

const EPS = 1e-12;

/** Builds the window evaluator averaging every member's probabilities into features. */
export function createMemberEvaluator(options: MemberOptions): WindowEvaluator {
  const K = options.classes;
  const passes = Math.max(1, options.passes ?? 1);
  const flips = options.flips && options.flips.length ? options.flips : [[]];
  const uncertainty = options.uncertainty ?? false;
  const F = featureCount(K, uncertainty);
  const M = memberCount({ ...options, passes, flips });
  if (options.predictors.length === 0) throw new RangeError('at least one model is needed');
  // One deterministic member without moments: its probabilities are the features.
  if (M === 1 && !uncertainty) return options.predictors[0];
  return async (input, dims) => {
    const [B, , nz, ny, nx] = dims;
    const vox = nz * ny * nx;
    const out = new Float32Array(B * F * vox);
    const outDims: [number, number, number, number, number] = [B, K, nz, ny, nx];
    for (const predict of options.predictors) {
      for (const flip of flips) {
        const flipped = flipWindow(input, dims, flip);
        for (let pass = 0; pass < passes; pass++) {
          const raw = await predict(flip.length ? flipped : input, dims);
          const probs = flipWindow(raw, outDims, flip);
          for (let b = 0; b < B; b++) {
            const pBase = b * K * vox;
            const oBase = b * F * vox;
            for (let k = 0; k < K; k++) {
              const src = pBase + k * vox;
              const dst = oBase + k * vox;
              for (let v = 0; v < vox; v++) out[dst + v] += probs[src + v] / M;
              if (uncertainty) {
                const sq = oBase + (K + k) * vox;
                for (let v = 0; v < vox; v++) out[sq + v] += (probs[src + v] * probs[src + v]) / M;
              }
            }
            if (uncertainty) {
              const h = oBase + 2 * K * vox;
              for (let v = 0; v < vox; v++) {
                let e = 0;
                for (let k = 0; k < K; k++) {
                  const p = probs[pBase + k * vox + v];
                  if (p > EPS) e -= p * Math.log(p);
                }
                out[h + v] += e / M;
              }
            }
          }
        }
      }
    }
    return out;
  };
}
