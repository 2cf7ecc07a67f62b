/** Volume fraction of every phase: voxel count / total voxel count (phases are label values, 0 included). */
import type { TypedArray } from '../../volume/dtype.ts';
import { indexPhases, type PhaseIndex } from './phases.ts';

export function computeVolumeFractions(labels: TypedArray, phases: PhaseIndex = indexPhases(labels)): Map<number, number> {
  const out = new Map<number, number>();
  phases.values.forEach((v, k) => out.set(v, phases.counts[k] / labels.length));
  return out;
}
