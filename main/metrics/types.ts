/** Inputs shared by the metric functions. */
import type { Vec3 } from '../volume/volume.ts';

/**
 * A binary mask on a voxel grid: `data[x + nx * (y + ny * z)]` is 1 inside, 0 outside (any non-zero counts as inside).
 * `spacing` is the physical distance between voxel centres along x, y, z (millimetres, or whatever unit the volume's
 * spacing is in); every distance and area a metric returns is in that unit.
 */
export interface Mask {
  data: Uint8Array;
  shape: Vec3;
  spacing: Vec3;
}

/** Per-class results: label value -> metric value (NaN where the metric is undefined, see each metric). */
export type ClassValues = Map<number, number>;

export function voxelTotal(shape: Vec3): number {
  return shape[0] * shape[1] * shape[2];
}

/** Throws when two masks are not on the same grid (the evaluation layer turns grids into InputErrors before this). */
export function assertSameGrid(a: Mask, b: Mask): void {
  for (let i = 0; i < 3; i++) {
    if (a.shape[i] !== b.shape[i]) throw new RangeError(`mask shapes differ: [${a.shape.join(', ')}] vs [${b.shape.join(', ')}]`);
    if (a.spacing[i] !== b.spacing[i]) {
      throw new RangeError(`mask spacings differ: [${a.spacing.join(', ')}] vs [${b.spacing.join(', ')}]`);
    }
  }
  if (a.data.length !== voxelTotal(a.shape) || b.data.length !== voxelTotal(b.shape)) {
    throw new RangeError('mask data length does not match its shape');
  }
}
