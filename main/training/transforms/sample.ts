/**
 * The unit every transform works on: one training patch, image and label on the same grid.
 *
 * Memory order is the engine's: x fastest, `index = (z * ny + y) * nx + x`, image components interleaved
 * (`image[index * channels + c]`), which is exactly the memory order of a [z, y, x, c] tensor. A 2D sample has z = 1.
 */
import { InputError } from '../../util/errors.ts';

export type Shape3 = [number, number, number];

export interface Sample {
  /** x-fastest, channels interleaved; length = nx * ny * nz * channels. */
  image: Float32Array;
  /** x-fastest label map; length = nx * ny * nz. */
  label: Uint8Array;
  /** [nx, ny, nz]; z = 1 for a 2D sample. */
  shape: Shape3;
  channels: number;
  /** Voxel spacing [x, y, z]; carried through unchanged (transforms work in voxel units). */
  spacing?: Shape3;
}

/** Uniform random numbers in [0, 1), e.g. `mulberry32(seed)` from main/util/random.ts. */
export type Rng = () => number;

export type Axis = 'x' | 'y' | 'z';
export const AXES: readonly Axis[] = ['x', 'y', 'z'];
export const axisIndex = (axis: Axis): 0 | 1 | 2 => (axis === 'x' ? 0 : axis === 'y' ? 1 : 2);

export function voxelCount(shape: Shape3): number {
  return shape[0] * shape[1] * shape[2];
}

/** Throws an InputError when the arrays do not match the shape and channel count. */
export function checkSample(sample: Sample, subject = 'sample'): void {
  const { shape, channels } = sample;
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((n) => Number.isInteger(n) && n >= 1)) {
    throw new InputError(`${subject}.shape`, `must be three positive integers [x, y, z], got ${JSON.stringify(shape)}`);
  }
  if (!Number.isInteger(channels) || channels < 1) {
    throw new InputError(`${subject}.channels`, `must be a positive integer, got ${channels}`);
  }
  const n = voxelCount(shape);
  if (!(sample.image instanceof Float32Array) || sample.image.length !== n * channels) {
    throw new InputError(`${subject}.image`, `must be a Float32Array of ${n * channels} values (${shape.join('x')} x ${channels} channels), got ${sample.image?.length}`);
  }
  if (!(sample.label instanceof Uint8Array) || sample.label.length !== n) {
    throw new InputError(`${subject}.label`, `must be a Uint8Array of ${n} values (${shape.join('x')}), got ${sample.label?.length}`);
  }
}

/** A sample with a new image (label, shape and spacing shared: transforms never write into their input). */
export function withImage(sample: Sample, image: Float32Array): Sample {
  return { ...sample, image };
}

export function uniform(rng: Rng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng();
}

/**
 * Standard normal samples drawn from `rng` (Marsaglia's polar method: no trigonometry, both values of a pair used;
 * noise for 2M voxels is the pipeline's hottest loop after resampling).
 */
export function normalSource(rng: Rng): () => number {
  let spare = 0;
  let hasSpare = false;
  return () => {
    if (hasSpare) {
      hasSpare = false;
      return spare;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * rng() - 1;
      v = 2 * rng() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    spare = v * f;
    hasSpare = true;
    return u * f;
  };
}

/** Checks that a number is finite (and optionally within bounds) for the plain-function API. */
export function checkNumber(value: number, subject: string, min = -Infinity, max = Infinity): void {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new InputError(subject, `must be a finite number in [${min}, ${max}], got ${value}`);
  }
}
