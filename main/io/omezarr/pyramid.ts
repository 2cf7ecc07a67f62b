/**
 * Multiscale pyramid: level shapes and 2x downsampling.
 *
 * Each level halves every axis longer than 1 (ceil, so an odd axis keeps a partial block at its far end; axes of
 * size 1 stay). Images take the mean of the 2x2x2 block (of the voxels that exist, for partial edge blocks),
 * rounded half up for integer types. Label maps take the mode of the block (ties go to the smallest value), so a
 * coarse level never holds a value that is not in the finer one.
 */
import { allocate, isIntegerDType, type DType, type TypedArray } from '../../volume/dtype.ts';
import type { VolumeHeader, Vec3 } from '../../volume/volume.ts';

export type DownsampleMode = 'mean' | 'mode';

/** Largest side at which the default pyramid stops. */
export const PYRAMID_STOP_SIDE = 64;

export interface PyramidLevelPlan {
  shape: Vec3;
  /** Cumulative factor (x, y, z) relative to level 0. */
  factor: Vec3;
  /** Factor (x, y, z) relative to the previous level: 2, or 1 for axes that were already of size 1. */
  step: Vec3;
}

/**
 * Levels from full resolution down: `levels` of them when given (fewer if every axis reaches 1 first), otherwise
 * until the largest side is at most 64.
 */
export function planPyramid(shape: Vec3, levels?: number): PyramidLevelPlan[] {
  const out: PyramidLevelPlan[] = [{ shape: [...shape] as Vec3, factor: [1, 1, 1], step: [1, 1, 1] }];
  for (;;) {
    const last = out[out.length - 1];
    if (levels !== undefined ? out.length >= levels : Math.max(...last.shape) <= PYRAMID_STOP_SIDE) break;
    if (last.shape.every((n) => n === 1)) break;
    const step = last.shape.map((n) => (n > 1 ? 2 : 1)) as Vec3;
    out.push({
      shape: last.shape.map((n, i) => Math.ceil(n / step[i])) as Vec3,
      factor: last.factor.map((f, i) => f * step[i]) as Vec3,
      step,
    });
  }
  return out;
}

export function isLabelHeader(header: Pick<VolumeHeader, 'labels' | 'meta'>): boolean {
  return (header.labels !== undefined && header.labels !== null) || header.meta?.isLabel === true;
}

export function downsampleModeFor(header: Pick<VolumeHeader, 'labels' | 'meta'>): DownsampleMode {
  return isLabelHeader(header) ? 'mode' : 'mean';
}

/**
 * Downsamples a block of planes (x fastest, components interleaved) by `step` (1 or 2 per axis). The block's first plane must be the
 * first plane of an output block (an even plane when step z is 2). Output shape is ceil(shape / step).
 */
export function downsample(
  src: TypedArray,
  dtype: DType,
  shape: Vec3,
  components: number,
  step: Vec3,
  mode: DownsampleMode,
): { data: TypedArray; shape: Vec3 } {
  const [nx, ny, nz] = shape;
  const [sx, sy, sz] = step;
  if (step.some((f) => f !== 1 && f !== 2)) throw new RangeError(`downsampling steps must be 1 or 2, got [${step.join(', ')}]`);
  const out: Vec3 = [Math.ceil(nx / sx), Math.ceil(ny / sy), Math.ceil(nz / sz)];
  const C = components;
  const dst = allocate(dtype, out[0] * out[1] * out[2] * C);
  if (sx === 1 && sy === 1 && sz === 1) {
    dst.set(src);
    return { data: dst, shape: out };
  }
  const round = isIntegerDType(dtype);
  const rowStride = nx * C;
  const planeStride = ny * rowStride;
  const values = new Float64Array(8);
  const rows = new Int32Array(4);
  const mean = mode === 'mean';
  let o = 0;
  for (let oz = 0; oz < out[2]; oz++) {
    const z0 = oz * sz;
    const z1 = Math.min(z0 + sz, nz);
    for (let oy = 0; oy < out[1]; oy++) {
      const y0 = oy * sy;
      const y1 = Math.min(y0 + sy, ny);
      // Offsets of the 1 to 4 source rows feeding this output row.
      let nRows = 0;
      for (let z = z0; z < z1; z++) for (let y = y0; y < y1; y++) rows[nRows++] = z * planeStride + y * rowStride;
      for (let ox = 0; ox < out[0]; ox++) {
        const x0 = ox * sx;
        const w = Math.min(x0 + sx, nx) - x0;
        const n = nRows * w;
        for (let c = 0; c < C; c++) {
          const base = x0 * C + c;
          if (mean) {
            let sum = 0;
            for (let r = 0; r < nRows; r++) {
              const i = rows[r] + base;
              sum += src[i];
              if (w === 2) sum += src[i + C];
            }
            const m = sum / n;
            dst[o++] = round ? Math.round(m) : m;
          } else {
            let k = 0;
            for (let r = 0; r < nRows; r++) {
              const i = rows[r] + base;
              values[k++] = src[i];
              if (w === 2) values[k++] = src[i + C];
            }
            dst[o++] = blockMode(values, n);
          }
        }
      }
    }
  }
  return { data: dst, shape: out };
}

/** Most frequent of the first n values; ties go to the smallest value. */
function blockMode(values: Float64Array, n: number): number {
  const first = values[0];
  let uniform = true;
  for (let i = 1; i < n; i++) {
    if (values[i] !== first) {
      uniform = false;
      break;
    }
  }
  if (uniform) return first;
  let best = first;
  let bestCount = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    // Count each distinct value once, at its first occurrence.
    let seen = false;
    for (let j = 0; j < i; j++) {
      if (values[j] === v) {
        seen = true;
        break;
      }
    }
    if (seen) continue;
    let count = 1;
    for (let j = i + 1; j < n; j++) if (values[j] === v) count++;
    if (count > bestCount || (count === bestCount && v < best)) {
      best = v;
      bestCount = count;
    }
  }
  return best;
}
