/**
 * Blending weights of one window (MONAI `compute_importance_map`): 'constant' is all ones; 'gaussian' is a unit
 * impulse at the window centre (index roi // 2) smoothed by MONAI's erf-sampled Gaussian kernel (sigma = roi *
 * sigmaScale per axis, truncated at 4 sigma, zero padding), divided by its maximum and clipped below at
 * max(min, 1e-3) so that every voxel keeps a positive weight.
 */
import type { Vec3 } from '../../volume/volume.ts';

export type BlendMode = 'constant' | 'gaussian';
export const DEFAULT_SIGMA_SCALE = 0.125;
const MIN_WEIGHT = 1e-3;

/** Complementary error function, fractional error < 1.2e-7 (Numerical Recipes' Chebyshev fit). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** MONAI `gaussian_1d(sigma, truncated=4, approx='erf')`: values at -tail..tail. */
export function gaussianKernel1d(sigma: number, truncated = 4): Float64Array {
  const tail = Math.trunc(Math.max(sigma * truncated, 0.5) + 0.5);
  const t = 0.70710678 / Math.abs(sigma);
  const out = new Float64Array(2 * tail + 1);
  for (let i = -tail; i <= tail; i++) {
    // erf(a) - erf(b) = erfc(b) - erfc(a)
    out[i + tail] = Math.max(0, 0.5 * (erfc(t * (i - 0.5)) - erfc(t * (i + 0.5))));
  }
  return out;
}

/** Weight profile along one axis: the kernel centred on roi // 2, zero beyond its tail. */
function axisProfile(roi: number, sigma: number): Float64Array {
  const kernel = gaussianKernel1d(sigma);
  const tail = (kernel.length - 1) / 2;
  const centre = Math.floor(roi / 2);
  const out = new Float64Array(roi);
  for (let p = 0; p < roi; p++) {
    const d = p - centre;
    out[p] = Math.abs(d) <= tail ? kernel[d + tail] : 0;
  }
  return out;
}

/** Importance map of a window of size roi (x, y, z), x fastest. */
export function importanceMap(roi: Vec3, mode: BlendMode, sigmaScale: number | Vec3 = DEFAULT_SIGMA_SCALE): Float32Array {
  const [rx, ry, rz] = roi;
  const out = new Float32Array(rx * ry * rz);
  if (mode === 'constant') return out.fill(1);
  const scales: Vec3 = typeof sigmaScale === 'number' ? [sigmaScale, sigmaScale, sigmaScale] : sigmaScale;
  const [px, py, pz] = [0, 1, 2].map((a) => axisProfile(roi[a], roi[a] * scales[a]));
  let max = 0;
  for (let z = 0, i = 0; z < rz; z++) {
    for (let y = 0; y < ry; y++) {
      const zy = pz[z] * py[y];
      for (let x = 0; x < rx; x++, i++) {
        const v = zy * px[x];
        out[i] = v;
        if (v > max) max = v;
      }
    }
  }
  let min = Infinity;
  for (let i = 0; i < out.length; i++) {
    out[i] = out[i] / max;
    if (out[i] < min) min = out[i];
  }
  const floor = Math.max(min, MIN_WEIGHT);
  for (let i = 0; i < out.length; i++) if (out[i] < floor) out[i] = floor;
  return out;
}
