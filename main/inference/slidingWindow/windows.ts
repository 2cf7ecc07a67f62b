/**
 * Window placement, exactly as MONAI's `sliding_window_inference` does it: the volume is first padded (symmetrically,
 * the extra voxel after) to at least the ROI on every axis; the step is int(roi * (1 - overlap)), at least 1, or the
 * ROI itself when it equals the (padded) size; windows start at 0, step, 2*step... until one reaches the end, and
 * the last one is moved back to end exactly at the edge.
 */
import type { Vec3 } from '../../volume/volume.ts';

/** MONAI `_get_scan_interval` for one axis. */
export function scanInterval(size: number, roi: number, overlap: number): number {
  if (roi === size) return roi;
  const interval = Math.trunc(roi * (1 - overlap));
  return interval > 0 ? interval : 1;
}

/** Window starts along one axis of (padded) extent `size` >= roi (MONAI `dense_patch_slices`). */
export function scanPositions(size: number, roi: number, overlap: number): number[] {
  if (roi > size) throw new RangeError(`ROI ${roi} is larger than the padded extent ${size}`);
  const step = scanInterval(size, roi, overlap);
  const count = Math.ceil(size / step);
  let windows = 1;
  for (let d = 0; d < count; d++) {
    if (d * step + roi >= size) {
      windows = d + 1;
      break;
    }
  }
  const starts: number[] = [];
  for (let i = 0; i < windows; i++) {
    const start = i * step;
    starts.push(start - Math.max(start + roi - size, 0));
  }
  return starts;
}

export interface WindowPlan {
  /** Original volume shape (x, y, z). */
  shape: Vec3;
  roi: Vec3;
  /** Shape after padding to at least the ROI. */
  padded: Vec3;
  /** Padding before the volume on each axis (the rest goes after). */
  padBefore: Vec3;
  /** Window starts per axis, in padded coordinates. */
  starts: [number[], number[], number[]];
  /** Number of windows. */
  count: number;
}

export function planWindows(shape: Vec3, roi: Vec3, overlap: number | Vec3): WindowPlan {
  const ov: Vec3 = typeof overlap === 'number' ? [overlap, overlap, overlap] : overlap;
  for (let a = 0; a < 3; a++) {
    if (!Number.isInteger(roi[a]) || roi[a] < 1) throw new RangeError(`ROI must be positive integers, got [${roi.join(', ')}]`);
    if (!(ov[a] >= 0 && ov[a] < 1)) throw new RangeError(`overlap must be in [0, 1), got ${ov[a]}`);
  }
  const padded = shape.map((n, a) => Math.max(n, roi[a])) as Vec3;
  const padBefore = shape.map((n, a) => Math.floor((padded[a] - n) / 2)) as Vec3;
  const starts = [0, 1, 2].map((a) => scanPositions(padded[a], roi[a], ov[a])) as [number[], number[], number[]];
  return { shape, roi, padded, padBefore, starts, count: starts[0].length * starts[1].length * starts[2].length };
}
