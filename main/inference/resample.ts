/**
 * Resampling between a volume's grid and a model's spacing. The origin (the centre of voxel 0) is kept, so index i
 * of the target grid sits at index i * targetSpacing / sourceSpacing of the source; samples beyond the last voxel
 * take the edge value. Trilinear for images and probabilities, nearest for label maps. Channels are interleaved.
 */
import type { TypedArray } from '../volume/dtype.ts';
import type { Vec3 } from '../volume/volume.ts';

/** Shape of the grid covering the same extent at `target` spacing. */
export function resampledShape(shape: Vec3, spacing: Vec3, target: Vec3): Vec3 {
  return shape.map((n, a) => Math.max(1, Math.round((n * spacing[a]) / target[a]))) as Vec3;
}

/** Whether two spacings differ by more than a relative tolerance on any axis. */
export function spacingDiffers(a: Vec3, b: Vec3, tolerance = 1e-3): boolean {
  return a.some((s, i) => Math.abs(s - b[i]) > tolerance * Math.max(s, b[i]));
}

interface AxisTaps {
  i0: Int32Array;
  i1: Int32Array;
  w1: Float32Array;
}

function taps(outN: number, inN: number, step: number): AxisTaps {
  const i0 = new Int32Array(outN);
  const i1 = new Int32Array(outN);
  const w1 = new Float32Array(outN);
  for (let i = 0; i < outN; i++) {
    const p = Math.min(inN - 1, Math.max(0, i * step));
    const lo = Math.floor(p);
    i0[i] = lo;
    i1[i] = Math.min(inN - 1, lo + 1);
    w1[i] = p - lo;
  }
  return { i0, i1, w1 };
}

/**
 * Trilinear resampling of `data` (shape `from`, `channels` interleaved) to shape `to`, where target index i maps to
 * source index i * step[a].
 */
export function resampleLinear(data: ArrayLike<number>, from: Vec3, channels: number, to: Vec3, step: Vec3): Float32Array {
  const [ix, iy] = from;
  const [ox, oy, oz] = to;
  const tx = taps(ox, from[0], step[0]);
  const ty = taps(oy, from[1], step[1]);
  const tz = taps(oz, from[2], step[2]);
  const C = channels;
  const out = new Float32Array(ox * oy * oz * C);
  for (let z = 0, o = 0; z < oz; z++) {
    const z0 = tz.i0[z] * iy;
    const z1 = tz.i1[z] * iy;
    const wz = tz.w1[z];
    for (let y = 0; y < oy; y++) {
      const y0 = ty.i0[y];
      const y1 = ty.i1[y];
      const wy = ty.w1[y];
      const r00 = (z0 + y0) * ix;
      const r01 = (z0 + y1) * ix;
      const r10 = (z1 + y0) * ix;
      const r11 = (z1 + y1) * ix;
      for (let x = 0; x < ox; x++) {
        const x0 = tx.i0[x];
        const x1 = tx.i1[x];
        const wx = tx.w1[x];
        for (let c = 0; c < C; c++, o++) {
          const a = (r00 + x0) * C + c;
          const b = (r00 + x1) * C + c;
          const d = (r01 + x0) * C + c;
          const e = (r01 + x1) * C + c;
          const f = (r10 + x0) * C + c;
          const g = (r10 + x1) * C + c;
          const h = (r11 + x0) * C + c;
          const k = (r11 + x1) * C + c;
          const c00 = data[a] + (data[b] - data[a]) * wx;
          const c01 = data[d] + (data[e] - data[d]) * wx;
          const c10 = data[f] + (data[g] - data[f]) * wx;
          const c11 = data[h] + (data[k] - data[h]) * wx;
          const c0 = c00 + (c01 - c00) * wy;
          const c1 = c10 + (c11 - c10) * wy;
          out[o] = c0 + (c1 - c0) * wz;
        }
      }
    }
  }
  return out;
}

/** Nearest-neighbour resampling (label maps); keeps the array type. */
export function resampleNearest<T extends TypedArray>(data: T, from: Vec3, channels: number, to: Vec3, step: Vec3): T {
  const near = (i: number, n: number, s: number) => Math.min(n - 1, Math.max(0, Math.round(i * s)));
  const [ix, iy] = from;
  const [ox, oy, oz] = to;
  const out = new (data.constructor as new (n: number) => T)(ox * oy * oz * channels);
  for (let z = 0, o = 0; z < oz; z++) {
    const sz = near(z, from[2], step[2]);
    for (let y = 0; y < oy; y++) {
      const sy = near(y, from[1], step[1]);
      for (let x = 0; x < ox; x++) {
        const s = ((sz * iy + sy) * ix + near(x, ix, step[0])) * channels;
        for (let c = 0; c < channels; c++, o++) out[o] = data[s + c];
      }
    }
  }
  return out;
}
