/**
 * Label values mapped to compact phase indices 0..k-1 (ascending value), so that counting per phase or per phase pair
 * uses arrays instead of hash maps on every voxel.
 */
import type { TypedArray } from '../../volume/dtype.ts';

export interface PhaseIndex {
  /** Label value of each phase, ascending. */
  values: number[];
  /** Phase index of every voxel. */
  index: Uint16Array;
  /** Voxel count of each phase. */
  counts: Float64Array;
}

/** Most phases a material analysis handles (label maps of materials hold a handful). */
export const MAX_PHASES = 1024;

export function indexPhases(labels: TypedArray): PhaseIndex {
  const seen = new Set<number>();
  let last = NaN;
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (v === last) continue;
    last = v;
    if (!seen.has(v)) {
      if (Number.isNaN(v)) throw new RangeError(`voxel ${i} is NaN`);
      seen.add(v);
      if (seen.size > MAX_PHASES) throw new RangeError(`more than ${MAX_PHASES} distinct values: not a phase map`);
    }
  }
  const values = [...seen].sort((a, b) => a - b);
  const lookup = new Map(values.map((v, k) => [v, k]));
  const index = new Uint16Array(labels.length);
  const counts = new Float64Array(values.length);
  last = NaN;
  let k = 0;
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (v !== last) {
      last = v;
      k = lookup.get(v) ?? 0;
    }
    index[i] = k;
    counts[k]++;
  }
  return { values, index, counts };
}
