/**
 * Boundary error of a predicted interface: for each vertex, the distance to the nearest TRUE interface of the same
 * phase pair. The true interface (faces between the pair's voxels in the ground truth) is rasterised onto the voxel
 * corner grid, and an exact EDT of those corners (physical spacing) is sampled at the vertices. Both meshes live on the
 * same corner lattice, and the nearest point of an axis-aligned unit face to a lattice point is one of the face's
 * corners, so for unsmoothed vertices this is the exact point-to-surface distance; smoothed vertices read the field
 * trilinearly.
 */
import { distanceTransform } from './edt.ts';
import { cornerDims } from './pairMesh.ts';

/** Marks the corners of the given faces (face codes of faces.ts) on the corner grid of `shape`. */
export function faceCornerMask(faceCodes: Uint32Array, shape: readonly number[]): Uint8Array {
  const [nx, ny] = shape;
  const [cx, cy, cz] = cornerDims(shape);
  const step = [1, cx, cx * cy];
  const mask = new Uint8Array(cx * cy * cz);
  for (let f = 0; f < faceCodes.length; f++) {
    const rest = faceCodes[f] >>> 1;
    const axis = rest % 3;
    const p = (rest - axis) / 3;
    const x = p % nx;
    const y = Math.floor(p / nx) % ny;
    const z = Math.floor(p / (nx * ny));
    const u = step[(axis + 1) % 3];
    const v = step[(axis + 2) % 3];
    const base = x + y * step[1] + z * step[2] + step[axis];
    mask[base] = 1;
    mask[base + u] = 1;
    mask[base + v] = 1;
    mask[base + u + v] = 1;
  }
  return mask;
}

/** Distance (physical units) from every voxel corner to the nearest corner of the given faces. */
export function interfaceDistanceField(faceCodes: Uint32Array, shape: readonly number[], spacing: readonly number[]): Float32Array {
  return distanceTransform(faceCornerMask(faceCodes, shape), cornerDims(shape), spacing);
}

/**
 * Trilinear sample of a corner-grid field at points in label index units (corner c sits at index c - 0.5); points
 * outside the grid are clamped to it. Infinity where a neighbouring corner is Infinity (no true interface at all).
 */
export function sampleCornerField(field: Float32Array, shape: readonly number[], points: Float32Array): Float32Array {
  const dims = cornerDims(shape);
  const [cx, cy] = dims;
  const out = new Float32Array(points.length / 3);
  const idx = [0, 0, 0];
  const frac = [0, 0, 0];
  for (let i = 0; i < out.length; i++) {
    for (let a = 0; a < 3; a++) {
      const g = Math.min(Math.max(points[i * 3 + a] + 0.5, 0), dims[a] - 1);
      const lo = Math.min(Math.floor(g), Math.max(dims[a] - 2, 0));
      idx[a] = lo;
      frac[a] = dims[a] > 1 ? g - lo : 0;
    }
    let sum = 0;
    for (let c = 0; c < 8; c++) {
      const wx = c & 1 ? frac[0] : 1 - frac[0];
      const wy = c & 2 ? frac[1] : 1 - frac[1];
      const wz = c & 4 ? frac[2] : 1 - frac[2];
      const w = wx * wy * wz;
      if (w === 0) continue;
      const x = idx[0] + (c & 1 ? 1 : 0);
      const y = idx[1] + (c & 2 ? 1 : 0);
      const z = idx[2] + (c & 4 ? 1 : 0);
      sum += w * field[(z * cy + y) * cx + x];
    }
    out[i] = sum;
  }
  return out;
}

/** Per-vertex distance to the true interface of the same pair; all Infinity when the truth has no such interface. */
export function vertexBoundaryErrors(
  points: Float32Array,
  truthFaces: Uint32Array | undefined,
  shape: readonly number[],
  spacing: readonly number[],
): Float32Array {
  if (!truthFaces || truthFaces.length === 0) return new Float32Array(points.length / 3).fill(Infinity);
  return sampleCornerField(interfaceDistanceField(truthFaces, shape, spacing), shape, points);
}

export interface ErrorSummary {
  /** Vertices with a finite distance. */
  count: number;
  mean: number;
  max: number;
  /** 95th percentile (the HD95 convention), NaN without finite values. */
  p95: number;
}

export function summarizeErrors(errors: Float32Array): ErrorSummary {
  const finite = Float32Array.from(errors.filter((e) => Number.isFinite(e))).sort();
  if (finite.length === 0) return { count: 0, mean: NaN, max: NaN, p95: NaN };
  let sum = 0;
  for (const e of finite) sum += e;
  const p95 = finite[Math.min(finite.length - 1, Math.ceil(0.95 * finite.length) - 1)];
  return { count: finite.length, mean: sum / finite.length, max: finite[finite.length - 1], p95 };
}
