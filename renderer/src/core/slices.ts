/**
 * Slice-plane layout of a slice block: which two index axes span the view and their extents. A slice block has one
 * voxel along its normal axis; the remaining two axes are in x-fastest order.
 */
import type { Axis } from './orientation.ts';

export function inPlaneAxes(axis: Axis): [Axis, Axis] {
  return axis === 0 ? [1, 2] : axis === 1 ? [0, 2] : [0, 1];
}

/** Width and height of a slice (in voxels) in block memory order. */
export function sliceSize(shape: readonly number[], axis: Axis): [number, number] {
  const [u, v] = inPlaneAxes(axis);
  return [shape[u], shape[v]];
}

export function clampIndex(index: number, size: number): number {
  return Math.min(size - 1, Math.max(0, Math.round(index)));
}

/**
 * The finest pyramid level with at most `maxVoxels` voxels (level 0 when it fits); the coarsest when none fits.
 * `levels` are ordered finest first.
 */
export function pickLevel(levels: readonly { level: number; shape: readonly number[] }[], maxVoxels: number): number {
  for (const l of levels) if (l.shape[0] * l.shape[1] * l.shape[2] <= maxVoxels) return l.level;
  return levels[levels.length - 1].level;
}

/** The coarsest pyramid level. */
export function coarsestLevel(levels: readonly { level: number }[]): number {
  return levels.reduce((m, l) => Math.max(m, l.level), 0);
}
