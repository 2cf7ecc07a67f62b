import { describe, expect, it } from 'vitest';
import { mapIndex, resampleNearest, sameGrid, stepSlice } from '../../../../renderer/src/core/results/linkedSlices.ts';

const I = [1, 0, 0, 0, 1, 0, 0, 0, 1];
const fine = { shape: [4, 4, 2], spacing: [1, 1, 1], origin: [0, 0, 0], direction: I };
// Half the resolution in x and y, same extent: voxel centres at 0.5, 2.5 in mm.
const coarse = { shape: [2, 2, 2], spacing: [2, 2, 1], origin: [0.5, 0.5, 0], direction: I };
// Flipped along x (direction -1): index 0 is at x = 3.
const flipped = { shape: [4, 4, 2], spacing: [1, 1, 1], origin: [3, 0, 0], direction: [-1, 0, 0, 0, 1, 0, 0, 0, 1] };

describe('mapIndex', () => {
  it.each([
    [fine, fine, [2, 3, 1], [2, 3, 1]],
    [fine, coarse, [3, 0, 1], [1, 0, 1]],
    [coarse, fine, [1, 1, 0], [3, 3, 0]],
    [fine, flipped, [0, 2, 1], [3, 2, 1]],
    // Outside the target grid: clamped to its edge.
    [fine, { ...coarse, origin: [10, 0, 0] }, [0, 0, 0], [0, 0, 0]],
  ])('maps %#', (from, to, ijk, expected) => {
    expect(mapIndex(from, to, ijk)).toEqual(expected);
  });
});

describe('sameGrid', () => {
  it('compares shape, spacing, origin and direction', () => {
    expect(sameGrid(fine, { ...fine, origin: [0, 0, 0.00001] })).toBe(true);
    expect(sameGrid(fine, coarse)).toBe(false);
    expect(sameGrid(fine, flipped)).toBe(false);
    expect(sameGrid(fine, { ...fine, origin: [0, 0, 0.5] })).toBe(false);
  });
});

describe('resampleNearest', () => {
  it('is the identity on the same grid', () => {
    const data = Uint8Array.from({ length: 32 }, (_, i) => i);
    expect([...resampleNearest({ ...fine, data }, fine)]).toEqual([...data]);
  });

  it('samples a coarse grid onto a fine one (each coarse voxel covers 2x2 fine ones)', () => {
    const data = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const out = resampleNearest({ ...coarse, data }, { ...fine, shape: [4, 4, 1] });
    // x = 0,1 -> coarse 0 (centre 0.5; 1 rounds from 0.25 to 0), x = 2 -> 0.75 -> 1, x = 3 -> 1.25 -> 1.
    expect([...out]).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  });

  it('follows a flipped direction and fills outside the source', () => {
    const data = Uint8Array.from({ length: 32 }, (_, i) => i);
    const out = resampleNearest({ ...flipped, data }, { ...fine, shape: [4, 1, 1] });
    expect([...out]).toEqual([3, 2, 1, 0]);
    const shifted = resampleNearest({ ...fine, data }, { ...fine, shape: [4, 1, 1], origin: [2, 0, 0] }, -1);
    expect([...shifted]).toEqual([2, 3, -1, -1]);
  });
});

describe('stepSlice', () => {
  it.each([
    [3, 1, 10, 4],
    [0, -1, 10, 0],
    [9, 5, 10, 9],
  ])('%i + %i in %i slices -> %i', (index, delta, size, expected) => {
    expect(stepSlice(index, delta, size)).toBe(expected);
  });
});
