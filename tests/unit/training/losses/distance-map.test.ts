import { describe, expect, it } from 'vitest';
import { signedDistanceMap, squaredDistanceTransform } from '../../../../main/training/losses/index.ts';
import { InputError } from '../../../../main/util/errors.ts';
import { fixture } from './fixture.ts';

/** Brute force: squared distance to the nearest feature voxel, in spacing units. */
function bruteForce(feature: (i: number) => boolean, shape: [number, number, number], spacing: [number, number, number]): Float64Array {
  const [nx, ny, nz] = shape;
  const out = new Float64Array(nx * ny * nz).fill(Infinity);
  for (let a = 0; a < out.length; a++) {
    const [ax, ay, az] = [a % nx, Math.floor(a / nx) % ny, Math.floor(a / (nx * ny))];
    for (let b = 0; b < out.length; b++) {
      if (!feature(b)) continue;
      const [bx, by, bz] = [b % nx, Math.floor(b / nx) % ny, Math.floor(b / (nx * ny))];
      const d = ((ax - bx) * spacing[0]) ** 2 + ((ay - by) * spacing[1]) ** 2 + ((az - bz) * spacing[2]) ** 2;
      out[a] = Math.min(out[a], d);
    }
  }
  return out;
}

describe('squaredDistanceTransform (Felzenszwalb-Huttenlocher)', () => {
  it.each([
    { shape: [7, 5, 4] as [number, number, number], spacing: [1, 1, 1] as [number, number, number], seed: 1 },
    { shape: [6, 6, 3] as [number, number, number], spacing: [0.3, 1.7, 2.5] as [number, number, number], seed: 2 },
    { shape: [9, 1, 1] as [number, number, number], spacing: [2, 1, 1] as [number, number, number], seed: 3 },
    { shape: [5, 4, 6] as [number, number, number], spacing: [3, 0.5, 1] as [number, number, number], seed: 4 },
  ])('equals brute force for shape $shape, spacing $spacing', ({ shape, spacing, seed }) => {
    const n = shape[0] * shape[1] * shape[2];
    const mask = Array.from({ length: n }, (_, i) => ((i * 7919 + seed * 104729) % 11) < 2);
    const feature = (i: number): boolean => mask[i];
    const fast = squaredDistanceTransform(feature, shape, spacing);
    const slow = bruteForce(feature, shape, spacing);
    for (let i = 0; i < n; i++) expect(fast[i]).toBeCloseTo(slow[i], 9);
  });

  it('is infinite everywhere without a feature voxel', () => {
    expect(Array.from(squaredDistanceTransform(() => false, [3, 2, 2], [1, 1, 1])).every((d) => d === Infinity)).toBe(true);
  });
});

describe('signedDistanceMap', () => {
  it('matches scipy.ndimage.distance_transform_edt with anisotropic spacing (tests/fixtures/losses/make.py)', () => {
    const c = fixture.signedDistance;
    const maps = signedDistanceMap(Uint8Array.from(c.label), c.shape, c.spacing, c.classes);
    expect(maps.length).toBe(c.maps.length);
    for (let i = 0; i < maps.length; i++) expect(maps[i]).toBeCloseTo(c.maps[i], 5);
  });

  it('is negative inside, positive outside, zero for an absent class and for a class filling everything', () => {
    // 1D row of 5 voxels: class 1 at x = 1..2; class 2 absent; spacing 2.
    const label = Uint8Array.from([0, 1, 1, 0, 0]);
    const maps = signedDistanceMap(label, [5, 1, 1], [2, 1, 1], 3);
    const class1 = [0, 1, 2, 3, 4].map((x) => maps[x * 3 + 1]);
    expect(class1).toEqual([2, -2, -2, 2, 4]);
    expect([0, 1, 2, 3, 4].map((x) => maps[x * 3 + 2])).toEqual([0, 0, 0, 0, 0]);
    const full = signedDistanceMap(new Uint8Array(4), [2, 2, 1], [1, 1, 1], 2);
    expect(Array.from(full)).toEqual(new Array(8).fill(0));
  });

  it('rejects labels that do not fit', () => {
    expect(() => signedDistanceMap(new Uint8Array(5), [2, 2, 1], [1, 1, 1], 2)).toThrow(InputError);
    expect(() => signedDistanceMap(Uint8Array.from([0, 3, 0, 0]), [2, 2, 1], [1, 1, 1], 2)).toThrow(/value 3/);
    expect(() => signedDistanceMap(new Uint8Array(4), [2, 2, 1], [1, 0, 1], 2)).toThrow(/spacing/);
  });
});
