import { isIntegerDType, type TypedArray } from './dtype.ts';
import type { Volume } from './volume.ts';

export interface ValueRange {
  min: number;
  max: number;
  /** Voxels that are NaN (float volumes only); they are left out of min/max. */
  nanCount: number;
}

export function valueRange(data: TypedArray): ValueRange {
  let min = Infinity;
  let max = -Infinity;
  let nanCount = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < min) min = v;
    if (v > max) max = v;
    if (v !== v) nanCount++;
  }
  return { min, max, nanCount };
}

export interface ValueCount {
  value: number;
  count: number;
}

/**
 * Distinct values with their voxel counts, ascending. Returns null once more than `limit` distinct values are seen,
 * so callers can ask "is this a label map?" without building a huge table for an image.
 */
export function distinctValues(data: TypedArray, limit = 1024): ValueCount[] | null {
  if (data instanceof Uint8Array || data instanceof Int8Array) {
    const counts = new Float64Array(256);
    const offset = data instanceof Int8Array ? 128 : 0;
    for (let i = 0; i < data.length; i++) counts[data[i] + offset]++;
    const out: ValueCount[] = [];
    for (let v = 0; v < 256; v++) if (counts[v] > 0) out.push({ value: v - offset, count: counts[v] });
    return out.length > limit ? null : out;
  }
  const counts = new Map<number, number>();
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    const c = counts.get(v);
    if (c === undefined) {
      if (counts.size >= limit) return null;
      counts.set(v, 1);
    } else counts.set(v, c + 1);
  }
  return [...counts.entries()].sort((a, b) => a[0] - b[0]).map(([value, count]) => ({ value, count }));
}

/** A label map: declared (label table, meta.isLabel) or an integer scalar volume with few distinct values. */
export function looksLikeLabelMap(volume: Volume, maxClasses = 64): boolean {
  if (volume.labels && volume.labels.length > 0) return true;
  if (volume.meta?.isLabel === true) return true;
  if (!isIntegerDType(volume.dtype) || volume.components !== 1) return false;
  const distinct = distinctValues(volume.data, maxClasses);
  return distinct !== null && distinct.length <= maxClasses;
}
