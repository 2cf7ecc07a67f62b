import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemberEvaluator } from '../../../main/inference/members.ts';
import { createSession, windowPredictor, type SegmentationSession } from '../../../main/inference/session.ts';
import { importanceMap, gaussianKernel1d } from '../../../main/inference/slidingWindow/importance.ts';
import { SlidingWindowInferer, slidingWindowInference } from '../../../main/inference/slidingWindow/memory.ts';
import { planWindows, scanInterval, scanPositions } from '../../../main/inference/slidingWindow/windows.ts';
import { mulberry32 } from '../../../main/util/random.ts';
import type { Vec3 } from '../../../main/volume/volume.ts';
import { cardFor, maxAbsDiff, softmaxGraph, softmaxInterleaved, tempDir, writeModel } from './helpers.ts';

describe('window placement (MONAI dense_patch_slices)', () => {
  it.each([
    // size, roi, overlap, starts
    [10, 4, 0.5, [0, 2, 4, 6]],
    [11, 4, 0.25, [0, 3, 6, 7]],
    [4, 4, 0.5, [0]],
    [5, 4, 0, [0, 1]],
    [7, 3, 0.9, [0, 1, 2, 3, 4]],
    [9, 5, 0.6, [0, 2, 4]],
  ])('size %i roi %i overlap %f', (size, roi, overlap, starts) => {
    expect(scanPositions(size, roi, overlap)).toEqual(starts);
  });

  it('uses the ROI as the step when it equals the size, else floor(roi (1 - overlap)) >= 1', () => {
    expect(scanInterval(8, 8, 0.5)).toBe(8);
    expect(scanInterval(9, 8, 0.5)).toBe(4);
    expect(scanInterval(9, 3, 0.9)).toBe(1);
  });

  it('pads volumes smaller than the ROI symmetrically (extra voxel after)', () => {
    const plan = planWindows([3, 8, 1], [6, 4, 4], 0.5);
    expect(plan.padded).toEqual([6, 8, 4]);
    expect(plan.padBefore).toEqual([1, 0, 1]);
    expect(plan.count).toBe(1 * 3 * 1);
  });
});

describe('importance map (MONAI compute_importance_map)', () => {
  it('is all ones for constant blending', () => {
    expect([...importanceMap([3, 2, 2], 'constant')]).toEqual(Array(12).fill(1));
  });

  it('peaks at roi // 2 with 1, is separable and never below 1e-3', () => {
    const roi: Vec3 = [16, 9, 4];
    const map = importanceMap(roi, 'gaussian');
    const at = (x: number, y: number, z: number) => map[(z * roi[1] + y) * roi[0] + x];
    expect(at(8, 4, 2)).toBeCloseTo(1, 6);
    expect(Math.min(...map)).toBeGreaterThanOrEqual(1e-3);
    expect(at(7, 4, 2) / at(8, 4, 2)).toBeCloseTo(at(7, 3, 2) / at(8, 3, 2), 5);
    // sigma = 16 / 8 = 2: the discrete erf kernel ratio at offset 1
    const k = gaussianKernel1d(2);
    const tail = (k.length - 1) / 2;
    expect(at(9, 4, 2)).toBeCloseTo(k[tail + 1] / k[tail], 6);
  });
});

describe('sliding window with the identity model (softmax over input channels)', () => {
  let dir: string;
  const sessions = new Map<number, SegmentationSession>();
  beforeAll(async () => {
    dir = await tempDir();
    for (const classes of [2, 3]) {
      const model = await writeModel(dir, `softmax${classes}`, softmaxGraph(classes), cardFor(classes));
      sessions.set(classes, await createSession(model));
    }
  });
  afterAll(async () => {
    for (const s of sessions.values()) await s.release();
  });

  const cases: [Vec3, Vec3, number, 'constant' | 'gaussian', number, number][] = [
    // shape, roi, overlap, blend, classes, batch
    [[12, 10, 9], [8, 8, 8], 0.5, 'gaussian', 2, 4],
    [[12, 10, 9], [8, 8, 8], 0.5, 'constant', 3, 1],
    [[13, 11, 7], [5, 4, 3], 0.25, 'gaussian', 2, 3],
    [[13, 11, 7], [5, 4, 3], 0.75, 'constant', 2, 8],
    [[5, 3, 2], [8, 8, 8], 0.5, 'gaussian', 3, 2], // smaller than the ROI on every axis
    [[9, 3, 11], [4, 6, 4], 0, 'gaussian', 2, 2], // smaller on one axis, no overlap
    [[17, 6, 6], [6, 6, 6], 0.4, 'constant', 2, 5], // ROI equal to the size on two axes
  ];
  it.each(cases)('shape %j roi %j overlap %f %s, %i classes, batch %i', async (shape, roi, overlap, blend, classes, batch) => {
    const rng = mulberry32(shape[0] * 31 + roi[0]);
    const n = shape[0] * shape[1] * shape[2] * classes;
    const scores = Float32Array.from({ length: n }, () => (rng() - 0.5) * 8);
    const evaluate = createMemberEvaluator({ predictors: [windowPredictor(sessions.get(classes)!)], classes });
    const { features, result } = await slidingWindowInference({ data: scores, shape, channels: classes }, evaluate, {
      roi,
      overlap,
      blend,
      batchSize: batch,
      features: classes,
    });
    expect(result.windows).toBe(result.plan.count);
    expect(maxAbsDiff(features, softmaxInterleaved(scores, classes))).toBeLessThan(2e-6);
  });

  it('the configurable SlidingWindowInferer gives the same result as the function', async () => {
    const evaluate = createMemberEvaluator({ predictors: [windowPredictor(sessions.get(2)!)], classes: 2 });
    const shape: Vec3 = [9, 7, 6];
    const scores = Float32Array.from({ length: 9 * 7 * 6 * 2 }, (_, i) => Math.sin(i));
    const inferer = new SlidingWindowInferer({ roi: [4, 4, 4], overlap: 0.5, blend: 'gaussian', batchSize: 3, features: 2 });
    const a = await inferer.infer({ data: scores, shape, channels: 2 }, evaluate);
    const b = await slidingWindowInference({ data: scores, shape, channels: 2 }, evaluate, inferer.options);
    expect([...a.features]).toEqual([...b.features]);
    expect(maxAbsDiff(a.features, softmaxInterleaved(scores, 2))).toBeLessThan(2e-6);
  });

  it('reports progress and stops when cancelled', async () => {
    const evaluate = createMemberEvaluator({ predictors: [windowPredictor(sessions.get(2)!)], classes: 2 });
    const controller = new AbortController();
    const seen: number[] = [];
    const run = slidingWindowInference({ data: new Float32Array(16 * 16 * 16 * 2), shape: [16, 16, 16], channels: 2 }, evaluate, {
      roi: [4, 4, 4],
      overlap: 0.5,
      blend: 'constant',
      batchSize: 2,
      features: 2,
      signal: controller.signal,
      onProgress: (p) => {
        seen.push(p.done);
        expect(p.total).toBe(7 * 7 * 7);
        if (p.done >= 10) controller.abort();
      },
    });
    await expect(run).rejects.toThrow(/cancelled/);
    expect(seen[0]).toBe(2);
    expect(Math.max(...seen)).toBeLessThan(7 * 7 * 7);
  });
});
