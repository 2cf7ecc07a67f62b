/**
 * Exact voxel permutations (flips, 90° rotations) as one strided copy: output voxel (x, y, z) takes input voxel
 * `offset + x * strides[0] + y * strides[1] + z * strides[2]` (strides in voxels, possibly negative). No
 * interpolation, so image and label stay exactly aligned.
 */
import type { Sample, Shape3 } from './sample.ts';
import { voxelCount } from './sample.ts';

export interface VoxelMap {
  shape: Shape3;
  offset: number;
  strides: Shape3;
}

/** The identity map of a grid. */
export function identityMap(shape: Shape3): VoxelMap {
  return { shape: [...shape], offset: 0, strides: [1, shape[0], shape[0] * shape[1]] };
}

export function remapSample(sample: Sample, map: VoxelMap): Sample {
  const [nx, ny, nz] = map.shape;
  const [sx, sy, sz] = map.strides;
  const c = sample.channels;
  const n = voxelCount(map.shape);
  const image = new Float32Array(n * c);
  const label = new Uint8Array(n);
  const srcImage = sample.image;
  const srcLabel = sample.label;
  let o = 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      let i = map.offset + y * sy + z * sz;
      if (c === 1) {
        for (let x = 0; x < nx; x++, o++, i += sx) {
          image[o] = srcImage[i];
          label[o] = srcLabel[i];
        }
      } else {
        for (let x = 0; x < nx; x++, o++, i += sx) {
          label[o] = srcLabel[i];
          const oi = o * c;
          const ii = i * c;
          for (let k = 0; k < c; k++) image[oi + k] = srcImage[ii + k];
        }
      }
    }
  }
  return { ...sample, image, label, shape: [nx, ny, nz], spacing: sample.spacing ? [...sample.spacing] : undefined };
}
