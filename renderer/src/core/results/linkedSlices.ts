/**
 * Linking slice views of volumes on different grids: one crosshair in the reference grid's index space, mapped to
 * another grid through world coordinates, and nearest-neighbour resampling of one grid's voxels onto another's (so an
 * overlay or an error map lines up with the reference image even when the prediction was stored on another grid).
 */
import { indexToWorld, invert3, worldToIndex, type GridGeometry, type Vec3 } from '../geometry.ts';

/** The voxel of `to` nearest to voxel `ijk` of `from` (clamped into `to`). */
export function mapIndex(from: GridGeometry, to: GridGeometry, ijk: readonly number[]): Vec3 {
  const t = worldToIndex(to, indexToWorld(from, ijk));
  return [0, 1, 2].map((a) => Math.min(to.shape[a] - 1, Math.max(0, Math.round(t[a])))) as Vec3;
}

/** True when both grids put every voxel at the same world position (within `tolerance` mm). */
export function sameGrid(a: GridGeometry, b: GridGeometry, tolerance = 1e-4): boolean {
  for (let i = 0; i < 3; i++) {
    if (a.shape[i] !== b.shape[i]) return false;
    if (Math.abs(a.spacing[i] - b.spacing[i]) > tolerance || Math.abs(a.origin[i] - b.origin[i]) > tolerance) return false;
  }
  for (let i = 0; i < 9; i++) if (Math.abs(a.direction[i] - b.direction[i]) > tolerance) return false;
  return true;
}

/**
 * `src`'s voxels sampled at every voxel centre of `dst` (nearest neighbour, x fastest); `fill` outside `src`.
 * One affine map index(dst) -> index(src), so the loop does no matrix inversions.
 */
export function resampleNearest(src: GridGeometry & { data: ArrayLike<number> }, dst: GridGeometry, fill = 0): Float32Array {
  const [nx, ny, nz] = dst.shape;
  const out = new Float32Array(nx * ny * nz);
  const o = worldToIndex(src, indexToWorld(dst, [0, 0, 0]));
  // Columns: how src index moves per unit step of each dst index axis.
  const m = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  const srcMatrix = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) srcMatrix[r * 3 + c] = src.direction[r * 3 + c] * src.spacing[c];
  const inv = invert3(srcMatrix);
  for (let c = 0; c < 3; c++) {
    const w = [0, 1, 2].map((r) => dst.direction[r * 3 + c] * dst.spacing[c]);
    for (let r = 0; r < 3; r++) m[r * 3 + c] = inv[r * 3] * w[0] + inv[r * 3 + 1] * w[1] + inv[r * 3 + 2] * w[2];
  }
  const [sx, sy, sz] = src.shape;
  let i = 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++, i++) {
        const u = Math.round(o[0] + m[0] * x + m[1] * y + m[2] * z);
        const v = Math.round(o[1] + m[3] * x + m[4] * y + m[5] * z);
        const w = Math.round(o[2] + m[6] * x + m[7] * y + m[8] * z);
        out[i] = u >= 0 && v >= 0 && w >= 0 && u < sx && v < sy && w < sz ? src.data[(w * sy + v) * sx + u] : fill;
      }
    }
  }
  return out;
}

/** A slice index moved by `delta`, kept inside [0, size). */
export function stepSlice(index: number, delta: number, size: number): number {
  return Math.min(size - 1, Math.max(0, index + delta));
}
