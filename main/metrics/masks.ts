/**
 * Binary masks from label maps, bounding-box crops and border voxels.
 *
 * Border voxels follow MONAI's `get_mask_edges`: `mask XOR binary_erosion(mask)` with scipy's default structuring
 * element for 3D (the 6-neighbour cross, `generate_binary_structure(3, 1)`) and `border_value = 0`, i.e. voxels
 * outside the grid count as background, so a mask voxel on the grid's faces is always a border voxel.
 */
import type { TypedArray } from '../volume/dtype.ts';
import type { Vec3 } from '../volume/volume.ts';
import { voxelTotal, type Mask } from './types.ts';

/** 1 where `labels == value`. */
export function classMask(labels: TypedArray, value: number): Uint8Array {
  const out = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) out[i] = labels[i] === value ? 1 : 0;
  return out;
}

export interface Box {
  /** Inclusive start per axis. */
  start: Vec3;
  /** Exclusive end per axis. */
  end: Vec3;
}

/** Bounding box of the voxels set in any of `masks`; undefined when all are empty. */
export function boundingBox(shape: Vec3, masks: readonly Uint8Array[]): Box | undefined {
  const [nx, ny, nz] = shape;
  let x0 = nx, y0 = ny, z0 = nz, x1 = -1, y1 = -1, z1 = -1;
  for (const m of masks) {
    for (let z = 0; z < nz; z++) {
      for (let y = 0; y < ny; y++) {
        const row = (z * ny + y) * nx;
        // first and last set voxel of the row; rows are scanned once from each end
        let first = -1;
        for (let x = 0; x < nx; x++) {
          if (m[row + x]) {
            first = x;
            break;
          }
        }
        if (first < 0) continue;
        let last = first;
        for (let x = nx - 1; x > first; x--) {
          if (m[row + x]) {
            last = x;
            break;
          }
        }
        if (first < x0) x0 = first;
        if (last > x1) x1 = last;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
        if (z < z0) z0 = z;
        if (z > z1) z1 = z;
      }
    }
  }
  if (x1 < 0) return undefined;
  return { start: [x0, y0, z0], end: [x1 + 1, y1 + 1, z1 + 1] };
}

/** The box grown by `margin` voxels on every side, clipped to the grid. */
export function growBox(box: Box, margin: number, shape: Vec3): Box {
  return {
    start: box.start.map((s) => Math.max(0, s - margin)) as Vec3,
    end: box.end.map((e, i) => Math.min(shape[i], e + margin)) as Vec3,
  };
}

/** Copies the part of `data` inside `box` into a new array of the box's shape. */
export function cropMask(data: Uint8Array, shape: Vec3, box: Box): Uint8Array {
  const [bx, by, bz] = [box.end[0] - box.start[0], box.end[1] - box.start[1], box.end[2] - box.start[2]];
  const out = new Uint8Array(bx * by * bz);
  for (let z = 0; z < bz; z++) {
    for (let y = 0; y < by; y++) {
      const src = ((z + box.start[2]) * shape[1] + (y + box.start[1])) * shape[0] + box.start[0];
      out.set(data.subarray(src, src + bx), (z * by + y) * bx);
    }
  }
  return out;
}

export function boxShape(box: Box): Vec3 {
  return [box.end[0] - box.start[0], box.end[1] - box.start[1], box.end[2] - box.start[2]];
}

/**
 * Border voxels, MONAI convention: set where the mask is set and at least one of its six face neighbours is not
 * (a neighbour outside the grid counts as not set).
 */
export function borderVoxels(mask: Uint8Array, shape: Vec3): Uint8Array {
  const [nx, ny, nz] = shape;
  const sy = nx;
  const sz = nx * ny;
  const out = new Uint8Array(mask.length);
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const row = z * sz + y * sy;
      for (let x = 0; x < nx; x++) {
        const i = row + x;
        if (!mask[i]) continue;
        const interior =
          x > 0 && x < nx - 1 && y > 0 && y < ny - 1 && z > 0 && z < nz - 1 &&
          mask[i - 1] && mask[i + 1] && mask[i - sy] && mask[i + sy] && mask[i - sz] && mask[i + sz];
        if (!interior) out[i] = 1;
      }
    }
  }
  return out;
}

export function countSet(data: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < data.length; i++) if (data[i]) n++;
  return n;
}

/** A Mask from label data: voxels equal to `value`. */
export function maskOf(labels: TypedArray, value: number, shape: Vec3, spacing: Vec3): Mask {
  if (labels.length !== voxelTotal(shape)) throw new RangeError('label data length does not match its shape');
  return { data: classMask(labels, value), shape, spacing };
}
