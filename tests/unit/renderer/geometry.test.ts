import { describe, expect, it } from 'vitest';
import { indexToWorld, indexToWorldMatrix, invert3, toVtkDirection, worldBounds, worldToIndex } from '../../../renderer/src/core/geometry.ts';

// headsq.vti: rotated 30 degrees about z, anisotropic spacing.
const c = Math.cos(Math.PI / 6);
const s = Math.sin(Math.PI / 6);
const HEADSQ = { shape: [64, 64, 93], spacing: [3.2, 3.2, 1.5], origin: [10, -20, 5], direction: [c, -s, 0, s, c, 0, 0, 0, 1] };
// KmeansTest_T1UCharRaw.nii.gz: L, S, A index axes.
const LSA = { shape: [128, 128, 62], spacing: [2, 2, 3], origin: [0, 254, 0], direction: [1, 0, 0, 0, 0, -1, 0, 1, 0] };

describe('indexToWorld / worldToIndex', () => {
  it.each([
    [[0, 0, 0], [10, -20, 5]],
    [[1, 0, 0], [10 + 3.2 * c, -20 + 3.2 * s, 5]],
    [[0, 1, 0], [10 - 3.2 * s, -20 + 3.2 * c, 5]],
    [[0, 0, 2], [10, -20, 8]],
  ])('headsq index %j -> world %j', (ijk, world) => {
    const w = indexToWorld(HEADSQ, ijk);
    w.forEach((v, i) => expect(v).toBeCloseTo(world[i], 10));
    worldToIndex(HEADSQ, w).forEach((v, i) => expect(v).toBeCloseTo(ijk[i], 10));
  });

  it('maps index y of an LSA volume to world z (superior) and index z to -y (anterior)', () => {
    expect(indexToWorld(LSA, [0, 1, 0])).toEqual([0, 254, 2]);
    expect(indexToWorld(LSA, [0, 0, 1])).toEqual([0, 251, 0]);
  });

  it('refuses a singular matrix', () => {
    expect(() => invert3([1, 0, 0, 0, 0, 0, 0, 0, 1])).toThrow(RangeError);
  });
});

describe('vtk conversions', () => {
  it('transposes the row-major direction into vtk.js column order', () => {
    expect(toVtkDirection([1, 2, 3, 4, 5, 6, 7, 8, 9])).toEqual([1, 4, 7, 2, 5, 8, 3, 6, 9]);
  });

  it('builds a column-major index-to-world matrix that agrees with indexToWorld, with an index offset', () => {
    const m = indexToWorldMatrix(HEADSQ, [-1, -1, -1]);
    const ijk = [3, 7, 11];
    const viaMatrix = [0, 1, 2].map((r) => m[r] * ijk[0] + m[4 + r] * ijk[1] + m[8 + r] * ijk[2] + m[12 + r]);
    const direct = indexToWorld(HEADSQ, [2, 6, 10]);
    viaMatrix.forEach((v, i) => expect(v).toBeCloseTo(direct[i], 10));
    expect(m[15]).toBe(1);
  });

  it('bounds cover every corner voxel centre', () => {
    expect(worldBounds(LSA)).toEqual([0, 254, 254 - 61 * 3, 254, 0, 254]);
  });
});
