/**
 * Exact Euclidean distance transform in linear time (Felzenszwalb & Huttenlocher, "Distance Transforms of Sampled
 * Functions", Theory of Computing 8, 2012), separable over x, y, z, with anisotropic spacing: the distance between
 * voxels i and j is sqrt(sum_a (spacing_a * (i_a - j_a))^2), measured between voxel centres — what
 * `scipy.ndimage.distance_transform_edt(~features, sampling=spacing)` returns.
 *
 * Pass 1 (x) is a two-sided scan for the nearest feature on each row; passes 2 and 3 (y, z) take the lower envelope
 * of the parabolas s^2 (p - q)^2 + f(q). Lines of the strided passes are gathered in blocks of neighbouring columns so
 * that memory is read in cache-line runs rather than one value per line.
 */
import type { Vec3 } from '../volume/volume.ts';

const BLOCK = 16;

/**
 * Squared Euclidean distance from every voxel to the nearest voxel where `features` is non-zero; Infinity everywhere
 * when there is no feature voxel.
 */
export function squaredDistanceTransform(features: Uint8Array, shape: Vec3, spacing: Vec3): Float64Array {
  const [nx, ny, nz] = shape;
  const n = nx * ny * nz;
  if (features.length !== n) throw new RangeError(`features has ${features.length} values, shape needs ${n}`);
  const out = new Float64Array(n);
  rowPass(features, out, nx, ny * nz, spacing[0]);
  const longest = Math.max(ny, nz);
  const work = new LineWork(longest);
  if (ny > 1) stridedPass(out, nx, ny, nz, nx, nx * ny, spacing[1], work);
  if (nz > 1) stridedPass(out, nx, nz, ny, nx * ny, nx, spacing[2], work);
  return out;
}

/** Euclidean distance (the square root of squaredDistanceTransform). */
export function distanceTransform(features: Uint8Array, shape: Vec3, spacing: Vec3): Float64Array {
  const d = squaredDistanceTransform(features, shape, spacing);
  for (let i = 0; i < d.length; i++) d[i] = Math.sqrt(d[i]);
  return d;
}

/** Distance along each row to the nearest feature in that row, squared and scaled by the x spacing. */
function rowPass(features: Uint8Array, out: Float64Array, nx: number, rows: number, sx: number): void {
  const s2 = sx * sx;
  for (let r = 0; r < rows; r++) {
    const base = r * nx;
    let last = -1;
    for (let x = 0; x < nx; x++) {
      if (features[base + x]) last = x;
      out[base + x] = last < 0 ? Infinity : x - last;
    }
    last = -1;
    for (let x = nx - 1; x >= 0; x--) {
      if (features[base + x]) last = x;
      const i = base + x;
      const back = last < 0 ? Infinity : last - x;
      const d = back < out[i] ? back : out[i];
      out[i] = d === Infinity ? Infinity : d * d * s2;
    }
  }
}

/** Scratch buffers for one line transform. */
class LineWork {
  readonly f: Float64Array;
  readonly d: Float64Array;
  readonly v: Int32Array;
  readonly z: Float64Array;
  readonly block: Float64Array;
  constructor(length: number) {
    this.f = new Float64Array(length);
    this.d = new Float64Array(length);
    this.v = new Int32Array(length);
    this.z = new Float64Array(length + 1);
    this.block = new Float64Array(length * BLOCK);
  }
}

/**
 * Transforms every line along one strided axis in place. `length` values per line at `stride`; lines are indexed by
 * (column c in [0, nx), other o in [0, others)) at c + o * otherStride.
 */
function stridedPass(
  data: Float64Array,
  nx: number,
  length: number,
  others: number,
  stride: number,
  otherStride: number,
  spacing: number,
  work: LineWork,
): void {
  const s2 = spacing * spacing;
  const block = work.block;
  for (let o = 0; o < others; o++) {
    const base = o * otherStride;
    for (let c0 = 0; c0 < nx; c0 += BLOCK) {
      const width = Math.min(BLOCK, nx - c0);
      // Gather `width` neighbouring lines: consecutive columns share cache lines.
      for (let p = 0; p < length; p++) {
        const src = base + p * stride + c0;
        for (let b = 0; b < width; b++) block[b * length + p] = data[src + b];
      }
      for (let b = 0; b < width; b++) envelope(block, b * length, length, s2, work);
      for (let p = 0; p < length; p++) {
        const dst = base + p * stride + c0;
        for (let b = 0; b < width; b++) data[dst + b] = block[b * length + p];
      }
    }
  }
}

/** 1D squared distance transform of f = line[offset .. offset+n) with sample spacing^2 = s2, in place. */
function envelope(line: Float64Array, offset: number, n: number, s2: number, work: LineWork): void {
  const { v, z, d } = work;
  let k = -1;
  for (let q = 0; q < n; q++) {
    const fq = line[offset + q];
    if (fq === Infinity) continue;
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -Infinity;
      z[1] = Infinity;
      continue;
    }
    const hq = fq + s2 * q * q;
    for (;;) {
      const p = v[k];
      const s = (hq - (line[offset + p] + s2 * p * p)) / (2 * s2 * (q - p));
      if (s <= z[k]) {
        k--;
        continue;
      }
      k++;
      v[k] = q;
      z[k] = s;
      z[k + 1] = Infinity;
      break;
    }
  }
  if (k < 0) return; // no finite value on this line: it stays Infinity
  k = 0;
  for (let p = 0; p < n; p++) {
    while (z[k + 1] < p) k++;
    const dq = p - v[k];
    d[p] = s2 * dq * dq + line[offset + v[k]];
  }
  for (let p = 0; p < n; p++) line[offset + p] = d[p];
}
