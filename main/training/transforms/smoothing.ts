/**
 * Separable Gaussian smoothing of x-fastest arrays, shared by blur, elastic deformation and bias fields.
 *
 * Kernel as scipy.ndimage.gaussian_filter: sampled Gaussian normalised to sum 1, radius round(truncate * sigma) with
 * truncate = 4; boundary 'reflect' (d c b a | a b c d | d c b a), which keeps constant images constant.
 */
import type { Shape3 } from './sample.ts';

export const TRUNCATE = 4;

/** Normalised 1D Gaussian taps, length 2r + 1 with r = round(4 sigma). sigma = 0 gives [1]. */
export function gaussianKernel(sigma: number): Float64Array {
  if (!(sigma > 0)) return Float64Array.of(1);
  const r = Math.max(1, Math.floor(TRUNCATE * sigma + 0.5));
  const k = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += k[i + r] = Math.exp((-0.5 * i * i) / (sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

/** scipy's 'reflect' boundary: index i of an axis of length n folded back into [0, n). */
export function reflectIndex(i: number, n: number): number {
  const period = 2 * n;
  let j = i % period;
  if (j < 0) j += period;
  return j >= n ? period - 1 - j : j;
}

/**
 * Convolves `data` (x-fastest, `channels` interleaved) in place along `axis` with `kernel`, for the channels listed
 * in `only` (all when omitted). Along x each line is gathered into a padded buffer; along y and z whole rows/planes
 * are accumulated from a copy of the input (contiguous reads, no per-voxel allocation).
 */
export function convolveAxis(data: Float32Array, shape: Shape3, channels: number, axis: 0 | 1 | 2, kernel: Float64Array, only?: readonly number[]): void {
  const n = shape[axis];
  if (n === 1 || kernel.length === 1) return;
  const r = (kernel.length - 1) >> 1;
  const [nx, ny, nz] = shape;
  const klen = kernel.length;
  const list = only ?? Array.from({ length: channels }, (_, c) => c);
  const sources = new Int32Array(n + 2 * r);
  for (let i = -r; i < n + r; i++) sources[i + r] = reflectIndex(i, n);
  if (axis === 0) {
    const padded = new Float64Array(n + 2 * r);
    for (let line = 0; line < ny * nz; line++) {
      for (const c of list) {
        const base = line * nx * channels + c;
        for (let i = 0; i < padded.length; i++) padded[i] = data[base + sources[i] * channels];
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let t = 0; t < klen; t++) s += kernel[t] * padded[i + t];
          data[base + i * channels] = s;
        }
      }
    }
    return;
  }
  // Blocks: along y, one row (nx voxels) per (z, y); along z, one plane (nx * ny voxels) per z.
  const blockLength = (axis === 1 ? nx : nx * ny) * channels;
  const outerCount = axis === 1 ? nz : 1;
  const outerStride = nx * ny * channels;
  const src = data.slice();
  const all = list.length === channels;
  for (let outer = 0; outer < outerCount; outer++) {
    const outerBase = outer * outerStride;
    for (let i = 0; i < n; i++) {
      const dst = outerBase + i * blockLength;
      for (let t = 0; t < klen; t++) {
        const k = kernel[t];
        const from = outerBase + sources[i + t] * blockLength;
        if (all) {
          if (t === 0) for (let j = 0; j < blockLength; j++) data[dst + j] = k * src[from + j];
          else for (let j = 0; j < blockLength; j++) data[dst + j] += k * src[from + j];
        } else {
          for (const c of list) {
            if (t === 0) for (let j = c; j < blockLength; j += channels) data[dst + j] = k * src[from + j];
            else for (let j = c; j < blockLength; j += channels) data[dst + j] += k * src[from + j];
          }
        }
      }
    }
  }
}

/** Gaussian smoothing in place with one sigma per axis (0 leaves an axis alone). */
export function gaussianSmooth(data: Float32Array, shape: Shape3, channels: number, sigma: readonly [number, number, number], only?: readonly number[]): void {
  for (const axis of [0, 1, 2] as const) convolveAxis(data, shape, channels, axis, gaussianKernel(sigma[axis]), only);
}
