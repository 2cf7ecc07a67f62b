/**
 * Smooth random fields: Gaussian-smoothed white noise, scaled to unit RMS, for elastic displacements and bias fields.
 *
 * Smoothing 128^3 voxels of noise with sigma ~ 10 would cost ~80 taps per voxel per axis, so the noise is drawn on a
 * coarse grid (spacing `step` = floor(sigma / 2) voxels), smoothed there with sigma / step, and upsampled linearly,
 * one axis at a time. A field smoothed at scale sigma >= 2 * step barely changes between coarse nodes, so this matches
 * the full-resolution field in distribution while costing a few operations per voxel. The noise extends beyond the
 * patch by the kernel radius, so the field is stationary up to the edges. The field is divided by its
 * theoretical standard deviation (unit-variance noise times the root of the product of sum(k^2) over the smoothed
 * axes), so its RMS is 1 in expectation and `alpha` scales it directly in voxels. Axes of length 1 are not smoothed.
 */
import type { Rng, Shape3 } from './sample.ts';
import { normalSource, voxelCount } from './sample.ts';
import { gaussianKernel, gaussianSmooth } from './smoothing.ts';

export function coarseStep(sigma: number): number {
  return Math.max(1, Math.floor(sigma / 2));
}

/** Linear upsampling along one axis: output index i reads input coordinate i / step. */
function upsampleAxis(data: Float32Array, shape: Shape3, axis: 0 | 1 | 2, size: number, step: number): { data: Float32Array; shape: Shape3 } {
  const outShape: Shape3 = [...shape];
  outShape[axis] = size;
  const out = new Float32Array(voxelCount(outShape));
  const lo = new Int32Array(size);
  const hi = new Int32Array(size);
  const w = new Float32Array(size);
  const last = shape[axis] - 1;
  for (let i = 0; i < size; i++) {
    const q = i / step;
    const i0 = Math.min(Math.floor(q), last);
    lo[i] = i0;
    hi[i] = Math.min(i0 + 1, last);
    w[i] = q - i0;
  }
  const [nx, ny, nz] = outShape;
  const [ix, iy] = shape;
  let o = 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      if (axis === 0) {
        const row = (z * iy + y) * ix;
        for (let x = 0; x < nx; x++, o++) out[o] = data[row + lo[x]] + w[x] * (data[row + hi[x]] - data[row + lo[x]]);
      } else if (axis === 1) {
        const a = (z * iy + lo[y]) * ix;
        const b = (z * iy + hi[y]) * ix;
        const wy = w[y];
        for (let x = 0; x < nx; x++, o++) out[o] = data[a + x] + wy * (data[b + x] - data[a + x]);
      } else {
        const a = (lo[z] * iy + y) * ix;
        const b = (hi[z] * iy + y) * ix;
        const wz = w[z];
        for (let x = 0; x < nx; x++, o++) out[o] = data[a + x] + wz * (data[b + x] - data[a + x]);
      }
    }
  }
  return { data: out, shape: outShape };
}

/** A smooth field of unit RMS (in expectation) over `shape`, correlated over `sigma` voxels. */
export function smoothNoiseField(shape: Shape3, sigma: number, rng: Rng): Float32Array {
  const step = coarseStep(sigma);
  const coarseSigma = sigma / step;
  const kernel = gaussianKernel(coarseSigma);
  const r = (kernel.length - 1) >> 1;
  const coarse: Shape3 = [shape[0], shape[1], shape[2]].map((n) => (n === 1 ? 1 : Math.ceil((n - 1) / step) + 1)) as Shape3;
  // Noise on a grid padded by the kernel radius, so the kept part is smoothed by the full kernel everywhere
  // (a reflecting boundary would correlate the noise with its mirror image and raise the variance at the edges).
  const pad = [0, 1, 2].map((a) => (shape[a] === 1 ? 0 : r));
  const padded: Shape3 = [coarse[0] + 2 * pad[0], coarse[1] + 2 * pad[1], coarse[2] + 2 * pad[2]];
  const noise = new Float32Array(voxelCount(padded));
  const normal = normalSource(rng);
  for (let i = 0; i < noise.length; i++) noise[i] = normal();
  gaussianSmooth(noise, padded, 1, [0, 1, 2].map((a) => (shape[a] === 1 ? 0 : coarseSigma)) as [number, number, number]);
  let field: Float32Array = new Float32Array(voxelCount(coarse));
  for (let z = 0, o = 0; z < coarse[2]; z++) {
    for (let y = 0; y < coarse[1]; y++) {
      const from = ((z + pad[2]) * padded[1] + y + pad[1]) * padded[0] + pad[0];
      field.set(noise.subarray(from, from + coarse[0]), o);
      o += coarse[0];
    }
  }
  let sumSquares = 0;
  for (const k of kernel) sumSquares += k * k;
  const smoothedAxes = shape.filter((n) => n > 1).length;
  const scale = 1 / Math.sqrt(sumSquares ** smoothedAxes);
  let current: Shape3 = coarse;
  if (step > 1) {
    for (const axis of [0, 1, 2] as const) {
      if (shape[axis] === 1) continue;
      const up = upsampleAxis(field, current, axis, shape[axis], step);
      field = up.data;
      current = up.shape;
    }
  }
  for (let i = 0; i < field.length; i++) field[i] *= scale;
  return field;
}
