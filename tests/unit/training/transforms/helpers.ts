import type { Sample, Shape3 } from '../../../../main/training/transforms/index.ts';

/** A sample whose image channel c at (x, y, z) is f(x, y, z, c) and label g(x, y, z). */
export function makeSample(
  shape: Shape3,
  channels: number,
  f: (x: number, y: number, z: number, c: number) => number,
  g: (x: number, y: number, z: number) => number = () => 0,
): Sample {
  const [nx, ny, nz] = shape;
  const image = new Float32Array(nx * ny * nz * channels);
  const label = new Uint8Array(nx * ny * nz);
  let o = 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++, o++) {
        label[o] = g(x, y, z);
        for (let c = 0; c < channels; c++) image[o * channels + c] = f(x, y, z, c);
      }
    }
  }
  return { image, label, shape, channels };
}

/** Voxel index (x-fastest). */
export function at(shape: Shape3, x: number, y: number, z: number): number {
  return (z * shape[1] + y) * shape[0] + x;
}

export function meanOf(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}

export function stdOf(values: ArrayLike<number>): number {
  const m = meanOf(values);
  let s = 0;
  for (let i = 0; i < values.length; i++) s += (values[i] - m) ** 2;
  return Math.sqrt(s / values.length);
}

/** Largest absolute difference. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/**
 * Smooth phantom for alignment checks: a sum of Gaussian blobs (values 0..~1.3), and a 3-value label from two
 * thresholds: 0 below t1, 2 between t1 and t2, 5 above t2 (odd values, so interpolating labels would show).
 */
export const THRESHOLDS = [0.35, 0.75] as const;
export const labelOf = (v: number): number => (v > THRESHOLDS[1] ? 5 : v > THRESHOLDS[0] ? 2 : 0);

export function phantom(shape: Shape3, channels = 1): Sample {
  const [nx, ny, nz] = shape;
  const blobs = [
    [0.35, 0.4, 0.45, 0.22, 1.0],
    [0.68, 0.6, 0.55, 0.16, 0.9],
    [0.5, 0.75, 0.35, 0.12, 0.7],
  ];
  const value = (x: number, y: number, z: number) => {
    let v = 0;
    for (const [bx, by, bz, r, a] of blobs) {
      const dx = x / nx - bx;
      const dy = y / ny - by;
      const dz = nz === 1 ? 0 : z / nz - bz;
      v += a * Math.exp(-(dx * dx + dy * dy + dz * dz) / (2 * r * r));
    }
    return v;
  };
  // Extra channels are scaled copies, so every channel must move with the label; with `coverage` the last channel
  // is 1 everywhere: after resampling with a constant (0) border it is < 1 where the fill blended in.
  return makeSample(shape, channels, (x, y, z, c) => value(x, y, z) * (1 + c), (x, y, z) => labelOf(value(x, y, z)));
}

/** The phantom plus a last channel of ones (see `alignment`'s coverage). */
export function phantomWithCoverage(shape: Shape3, channels = 1): Sample {
  const base = phantom(shape, channels);
  const n = base.label.length;
  const image = new Float32Array(n * (channels + 1));
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < channels; c++) image[i * (channels + 1) + c] = base.image[i * channels + c];
    image[i * (channels + 1) + channels] = 1;
  }
  return { ...base, image, channels: channels + 1 };
}

export interface Alignment {
  /** Disagreements farther than `margin` voxels from any boundary. */
  far: number;
  /** Disagreements within `margin` voxels of a boundary. */
  near: number;
  /** Voxels of the recomputed label with a 6-neighbour of another value (one surface layer). */
  boundary: number;
  total: number;
}

/**
 * Compares `label` with the label recomputed from channel 0 of `image` (labelOf). Boundaries: where the recomputed
 * label changes, and, when `coverageChannel` is given, where that channel is below 1 (the constant border blended in:
 * the patch edge there is a step between content and fill, so it is a boundary too). Voxels within `margin` of the
 * patch's own edge count as near: the image beyond it is unknown, so a boundary may pass just outside.
 */
export function alignment(sample: Sample, margin: number, coverageChannel?: number): Alignment {
  const { shape, image, label, channels } = sample;
  const [nx, ny, nz] = shape;
  const expected = new Uint8Array(label.length);
  for (let i = 0; i < label.length; i++) expected[i] = labelOf(image[i * channels]);
  const covered = (i: number) => coverageChannel === undefined || image[i * channels + coverageChannel] > 1 - 1e-6;
  let far = 0;
  let near = 0;
  let boundary = 0;
  let o = 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++, o++) {
        if ((x + 1 < nx && expected[o + 1] !== expected[o]) || (y + 1 < ny && expected[o + nx] !== expected[o]) || (z + 1 < nz && expected[o + nx * ny] !== expected[o])) {
          boundary++;
        }
        if (label[o] === expected[o]) continue;
        let isNear = false;
        for (let dz = -margin; dz <= margin && !isNear; dz++) {
          for (let dy = -margin; dy <= margin && !isNear; dy++) {
            for (let dx = -margin; dx <= margin && !isNear; dx++) {
              const X = x + dx;
              const Y = y + dy;
              const Z = z + dz;
              // Beyond the patch edge the image is unknown: a boundary may pass just outside it.
              const outsideZ = Z < 0 || Z >= nz;
              if (outsideZ && nz === 1) continue; // a 2D sample has no neighbours along z
              if (outsideZ || X < 0 || Y < 0 || X >= nx || Y >= ny) {
                isNear = true;
                continue;
              }
              const j = (Z * ny + Y) * nx + X;
              if (expected[j] !== expected[o] || !covered(j)) isNear = true;
            }
          }
        }
        if (isNear) near++;
        else far++;
      }
    }
  }
  return { far, near, boundary, total: label.length };
}
