/** Mirroring along any of the three axes (nnU-Net's mirror transform). Exact: labels move with their voxels. */
import type { Axis, Sample } from './sample.ts';
import { axisIndex, checkSample } from './sample.ts';
import { identityMap, remapSample } from './remap.ts';

/** Mirrors `sample` along each axis in `axes` (an axis listed twice flips once). Returns a new sample. */
export function flip(sample: Sample, axes: readonly Axis[]): Sample {
  checkSample(sample);
  const map = identityMap(sample.shape);
  const done = new Set<Axis>();
  for (const axis of axes) {
    if (done.has(axis)) continue;
    done.add(axis);
    const a = axisIndex(axis);
    map.offset += (sample.shape[a] - 1) * map.strides[a];
    map.strides[a] = -map.strides[a];
  }
  return remapSample(sample, map);
}
