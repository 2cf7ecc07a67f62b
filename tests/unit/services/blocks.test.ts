import { describe, expect, it } from 'vitest';
import { extractRegion, extractSlice, finiteRange, sliceBlock } from '../../../main/services/blocks.ts';
import { MemoryPyramid } from '../../../main/services/pyramidCache.ts';
import { labelEntriesFor } from '../../../main/services/volumes.ts';
import { createVolume, type Vec3 } from '../../../main/volume/volume.ts';
import { InputError } from '../../../main/util/errors.ts';

/** Value of voxel (x, y, z), component c: unique per voxel and component. */
const code = (x: number, y: number, z: number, c: number) => 1000 * z + 100 * y + 10 * x + c;

function grid(shape: Vec3, components: number): Int32Array {
  const data = new Int32Array(shape[0] * shape[1] * shape[2] * components);
  let i = 0;
  for (let z = 0; z < shape[2]; z++) for (let y = 0; y < shape[1]; y++) for (let x = 0; x < shape[0]; x++) for (let c = 0; c < components; c++) data[i++] = code(x, y, z, c);
  return data;
}

describe('extractSlice', () => {
  const shape: Vec3 = [3, 4, 2];
  it.each([
    [0, 2, 1], [1, 3, 1], [2, 1, 1], [0, 0, 2], [1, 0, 2], [2, 1, 2],
  ] as const)('axis %i index %i with %i components: in-plane order, lower axis fastest', (axis, index, components) => {
    const slice = extractSlice(grid(shape, components), shape, components, axis, index);
    const expected: number[] = [];
    for (let z = 0; z < shape[2]; z++) for (let y = 0; y < shape[1]; y++) for (let x = 0; x < shape[0]; x++) {
      const at = [x, y, z][axis];
      if (at !== index) continue;
      for (let c = 0; c < components; c++) expected.push(code(x, y, z, c));
    }
    expect(Array.from(slice)).toEqual(expected);
  });

  it('places a slice in the world at its first voxel', () => {
    const geometry = { shape: [3, 4, 2] as Vec3, spacing: [2, 3, 4] as Vec3, origin: [10, 20, 30] as Vec3, direction: [0, -1, 0, 1, 0, 0, 0, 0, 1] as [number, number, number, number, number, number, number, number, number] };
    const block = sliceBlock(geometry, 1, 0, 2, new Int32Array(8));
    expect(block.shape).toEqual([1, 4, 2]);
    // index (2,0,0): x moves along world +y by spacing 2.
    expect(block.origin).toEqual([10, 24, 30]);
  });
});

describe('extractRegion', () => {
  it.each([
    [[0, 0, 0], [3, 4, 2], 1],
    [[1, 2, 1], [2, 1, 1], 2],
    [[2, 0, 0], [1, 4, 2], 2],
  ] as const)('from %j size %j, %i components', (start, size, components) => {
    const shape: Vec3 = [3, 4, 2];
    const region = extractRegion(grid(shape, components), shape, components, [...start], [...size]);
    const expected: number[] = [];
    for (let z = start[2]; z < start[2] + size[2]; z++) for (let y = start[1]; y < start[1] + size[1]; y++) for (let x = start[0]; x < start[0] + size[0]; x++) for (let c = 0; c < components; c++) expected.push(code(x, y, z, c));
    expect(Array.from(region)).toEqual(expected);
  });
});

describe('finiteRange', () => {
  it.each([
    [[3, -1, 7], [-1, 7]],
    [[Number.NaN, 2, Number.POSITIVE_INFINITY, -5], [-5, 2]],
    [[Number.NaN], [0, 0]],
  ])('%j -> %j', (values, expected) => {
    expect(finiteRange(new Float32Array(values))).toEqual(expected);
  });
});

describe('MemoryPyramid', () => {
  it('builds coarse levels by mean for images and mode for labels, cached', () => {
    // 2x2x1 block: mean of [0, 0, 0, 9] rounds to 2; mode is 0.
    const volume = createVolume({ shape: [2, 2, 1], data: new Uint8Array([0, 0, 0, 9]) });
    // planPyramid stops at <= 64 a side: force a second level with a larger shape.
    const big = createVolume({ shape: [130, 2, 1], data: new Uint8Array(260).map((_, i) => (i % 2 === 0 ? 0 : 9)) });
    const mean = new MemoryPyramid(big, 'mean');
    const mode = new MemoryPyramid(big, 'mode');
    expect(mean.plan.map((p) => p.shape[0])).toEqual([130, 65, 33]);
    expect(Array.from(mean.level(1).data.subarray(0, 3))).toEqual([5, 5, 5]);
    expect(Array.from(mode.level(1).data.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(mean.level(1)).toBe(mean.level(1));
    expect(mean.level(1).spacing).toEqual([2, 2, 1]);
    expect(mean.level(1).origin).toEqual([0.5, 0.5, 0]);
    expect(new MemoryPyramid(volume, 'mean').plan.length).toBe(1);
  });
});

describe('labelEntriesFor', () => {
  it('lists distinct values with default names and colours', () => {
    const entries = labelEntriesFor(new Uint8Array([0, 2, 2, 5]), 'seg.nii');
    expect(entries.map((e) => [e.value, e.name])).toEqual([[0, 'background'], [2, 'class 2'], [5, 'class 5']]);
    expect(entries[0].color).toEqual([0, 0, 0]);
  });
  it('refuses negative or fractional values', () => {
    expect(() => labelEntriesFor(new Int8Array([0, -1]), 'seg.nii')).toThrow(InputError);
  });
});
