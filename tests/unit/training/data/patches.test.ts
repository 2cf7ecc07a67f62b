import { describe, expect, it } from 'vitest';
import { buildUNet } from '../../../../models/unet.ts';
import { samplerPatchSize } from '../../../../main/training/data/batches.ts';
import type { LoadedCase } from '../../../../main/training/data/cases.ts';
import { indexClasses, interleave } from '../../../../main/training/data/cases.ts';
import { activationValues, chooseBatchSize, estimateStepBytes } from '../../../../main/training/data/memory.ts';
import { extractPatch, tensorShapeOf } from '../../../../main/training/data/patches.ts';
import type { InputLayout } from '../../../../models/spec.ts';

/** 3 x 2 x 2 volume whose value is its voxel index, label = index % 3. */
function smallCase(channels = 1): LoadedCase {
  const n = 12;
  const image = new Float32Array(n * channels);
  for (let i = 0; i < n; i++) for (let c = 0; c < channels; c++) image[i * channels + c] = i + 100 * c;
  const label = Uint8Array.from({ length: n }, (_, i) => i % 3);
  return { id: 'c', domain: 'd', shape: [3, 2, 2], spacing: [1, 1, 1], channels, image, label, classVoxels: indexClasses(label) };
}

const layout = (kind: InputLayout['kind'], axis: InputLayout['axis'], context = 0): InputLayout => ({ kind, axis, context, imageChannels: 1 });

describe('extractPatch', () => {
  it('3d: copies [z, y, x] and pads outside with zeros', () => {
    const c = smallCase();
    const image = new Float32Array(2 * 2 * 2);
    const label = new Uint8Array(8);
    extractPatch(c, layout('3d', 'z'), [2, 0, 1], [2, 2, 2], image, label);
    // z=1 (voxels 6..11): x=2 -> 8, x=3 outside; y=1 -> 11; z=2 outside.
    expect(Array.from(image)).toEqual([8, 0, 11, 0, 0, 0, 0, 0]);
    expect(Array.from(label)).toEqual([2, 0, 2, 0, 0, 0, 0, 0]);
  });

  it('2.5d along z: neighbouring slices as channels, edges repeated', () => {
    const c = smallCase();
    const image = new Float32Array(2 * 3 * 3);
    const label = new Uint8Array(6);
    extractPatch(c, layout('2.5d', 'z', 1), [0, 0, 0], [3, 2, 1], image, label);
    // Voxel (x, y) of slice z=0 gets channels [z=-1 -> 0, z=0, z=1].
    expect(Array.from(image.slice(0, 3))).toEqual([0, 0, 6]);
    expect(Array.from(image.slice(15, 18))).toEqual([5, 5, 11]);
    expect(Array.from(label)).toEqual([0, 1, 2, 0, 1, 2]);
  });

  it('2d along x: H = z, W = y', () => {
    const c = smallCase();
    const image = new Float32Array(4);
    const label = new Uint8Array(4);
    extractPatch(c, layout('2d', 'x'), [1, 0, 0], [1, 2, 2], image, label);
    expect(Array.from(image)).toEqual([1, 4, 7, 10]);
    expect(tensorShapeOf(layout('2d', 'x'), [1, 2, 2])).toEqual([2, 2]);
  });

  it('interleaves channels', () => {
    expect(Array.from(interleave([Float32Array.from([1, 2]), Float32Array.from([3, 4])]))).toEqual([1, 3, 2, 4]);
  });

  it.each([
    ['z', [64, 32], [64, 32, 1]],
    ['y', [64, 32], [64, 1, 32]],
    ['x', [64, 32], [1, 64, 32]],
  ] as const)('patch size of a slice network normal to %s', (axis, patch, expected) => {
    expect(samplerPatchSize(layout('2.5d', axis, 1), patch)).toEqual(expected);
  });
});

describe('memory budget', () => {
  const spec = buildUNet({ kind: '2d', levels: 2, filters: 4, norm: 'none' }, { imageChannels: 1, classes: 2 });

  it('counts activations node by node', () => {
    // 8x8 input: input 1ch@64, enc0 convs 4ch@64 + acts, pool 4@16, enc1 8@16 ..., exact count from the graph.
    const perVoxel = activationValues(spec, 64) / 64;
    expect(perVoxel).toBeGreaterThan(20);
    expect(activationValues(spec, 128)).toBe(2 * activationValues(spec, 64));
  });

  it('picks the largest batch that fits and at least one', () => {
    const voxels = 64 * 64;
    const perSample = estimateStepBytes(spec, voxels, 2) - estimateStepBytes(spec, voxels, 1);
    const fixed = estimateStepBytes(spec, voxels, 1) - perSample;
    const b = chooseBatchSize(spec, voxels, { fraction: 0.5, maxBatch: 100, freeBytes: 2 * (fixed + 7.5 * perSample) });
    expect(b.batchSize).toBe(7);
    expect(chooseBatchSize(spec, voxels, { fraction: 0.5, maxBatch: 4, freeBytes: 1e12 }).batchSize).toBe(4);
    expect(chooseBatchSize(spec, voxels, { fraction: 0.5, maxBatch: 4, freeBytes: 10 }).batchSize).toBe(1);
  });
});
