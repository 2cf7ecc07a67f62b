/** Checks on the volumes an evaluation compares; every failure is an InputError naming the file and the problem. */
import { InputError } from '../util/errors.ts';
import { gridDifferences, type Volume } from '../volume/volume.ts';

/** Where a volume came from, for messages ('prediction.nii.gz', 'case mr1 label'). */
export interface Named {
  name: string;
  volume: Volume;
}

function voxelIndex(volume: Volume, i: number): string {
  const [nx, ny] = volume.shape;
  return `(${i % nx}, ${Math.floor(i / nx) % ny}, ${Math.floor(i / (nx * ny))})`;
}

/** A label map: one component, finite integer values. */
export function checkLabelMap({ name, volume }: Named): void {
  if (volume.components !== 1) throw new InputError(name, `a label map has one component, this volume has ${volume.components}`);
  if (volume.dtype !== 'float32' && volume.dtype !== 'float64') return;
  const d = volume.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (Number.isNaN(v)) throw new InputError(name, `voxel ${voxelIndex(volume, i)} is NaN; a label map needs a class value everywhere`);
    if (!Number.isInteger(v)) throw new InputError(name, `voxel ${voxelIndex(volume, i)} holds ${v}, not an integer class value`);
  }
}

/** Both volumes on the same grid; the message names each differing field (shape, spacing, origin, direction). */
export function checkSameGrid(a: Named, b: Named): void {
  const differences = gridDifferences(a.volume, b.volume);
  if (differences.length > 0) throw new InputError(a.name, `not on the grid of ${b.name}: ${differences.join('; ')}`);
}

/** Largest allowed |sum_k p_k - 1| per voxel (float32 storage rounds each value to ~6e-8). */
export const PROBABILITY_SUM_TOLERANCE = 1e-3;

/** Class probabilities: `classes` components, each in [0, 1], summing to one at every voxel, no NaN. */
export function checkProbabilities({ name, volume }: Named, classes: number): void {
  if (volume.components !== classes) {
    throw new InputError(name, `probabilities need one component per class (${classes}), this volume has ${volume.components}`);
  }
  const d = volume.data;
  const voxels = d.length / classes;
  for (let v = 0; v < voxels; v++) {
    let sum = 0;
    for (let k = 0; k < classes; k++) {
      const p = d[v * classes + k];
      if (Number.isNaN(p)) throw new InputError(name, `probability of class ${k} at voxel ${voxelIndex(volume, v)} is NaN`);
      if (p < 0 || p > 1) throw new InputError(name, `probability of class ${k} at voxel ${voxelIndex(volume, v)} is ${p}, outside [0, 1]`);
      sum += p;
    }
    if (Math.abs(sum - 1) > PROBABILITY_SUM_TOLERANCE) {
      throw new InputError(name, `probabilities at voxel ${voxelIndex(volume, v)} sum to ${+sum.toPrecision(6)}, not 1 (tolerance ${PROBABILITY_SUM_TOLERANCE})`);
    }
  }
}
