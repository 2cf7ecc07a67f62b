// Metrics on small cases worked out by hand.
import { describe, expect, it } from 'vitest';
import {
  computeAverageSurfaceDistance,
  computeBoundaryIoU,
  computeBrierScore,
  computeDice,
  computeExpectedCalibrationError,
  computeHausdorffDistance,
  computeHD95,
  computeIoU,
  computePrecision,
  computeRecall,
  computeSliceChangeRate,
  computeSpecificity,
  computeSurfaceDice,
  computeVolumeSimilarity,
  DiceMetric,
  HD95Metric,
  squaredDistanceTransform,
  borderVoxels,
  type Mask,
} from '../../../main/metrics/index.ts';
import { mulberry32 } from '../../../main/util/random.ts';
import type { Vec3 } from '../../../main/volume/volume.ts';

function mask(shape: Vec3, spacing: Vec3, voxels: Vec3[]): Mask {
  const data = new Uint8Array(shape[0] * shape[1] * shape[2]);
  for (const [x, y, z] of voxels) data[(z * shape[1] + y) * shape[0] + x] = 1;
  return { data, shape, spacing };
}
function cube(shape: Vec3, spacing: Vec3, lo: Vec3, hi: Vec3): Mask {
  const v: Vec3[] = [];
  for (let z = lo[2]; z <= hi[2]; z++) for (let y = lo[1]; y <= hi[1]; y++) for (let x = lo[0]; x <= hi[0]; x++) v.push([x, y, z]);
  return mask(shape, spacing, v);
}
const line = (n: number, xs: number[], spacing = 1) => mask([n, 1, 1], [spacing, 1, 1], xs.map((x) => [x, 0, 0] as Vec3));

describe('overlap metrics', () => {
  // 20 voxels on a line; truth = x 0..5 (6), pred = x 3..6 (4): TP 3, FP 1, FN 3, TN 13.
  const truth = line(20, [0, 1, 2, 3, 4, 5]);
  const pred = line(20, [3, 4, 5, 6]);
  it.each([
    ['dice', computeDice, 6 / 10],
    ['iou', computeIoU, 3 / 7],
    ['precision', computePrecision, 3 / 4],
    ['recall', computeRecall, 3 / 6],
    ['specificity', computeSpecificity, 13 / 14],
    ['volume similarity', computeVolumeSimilarity, 1 - 2 / 10],
  ] as const)('%s', (_n, fn, expected) => {
    expect(fn(pred, truth)).toBeCloseTo(expected, 14);
  });

  it('empty-set conventions', () => {
    const empty = line(20, []);
    expect(computeDice(pred, empty)).toBeNaN();
    expect(computeIoU(pred, empty)).toBeNaN();
    expect(computeDice(empty, empty)).toBeNaN();
    expect(computeDice(empty, empty, { ignoreEmpty: false })).toBe(1);
    expect(computeDice(pred, empty, { ignoreEmpty: false })).toBe(0);
    expect(computeDice(empty, truth)).toBe(0);
    expect(computePrecision(empty, truth)).toBeNaN();
    expect(computeRecall(pred, empty)).toBeNaN();
    expect(computeVolumeSimilarity(empty, empty)).toBeNaN();
  });

  it('DiceMetric evaluates every class present', () => {
    const p = { data: Uint8Array.from([1, 1, 2, 2, 0, 0]), shape: [6, 1, 1] as Vec3, spacing: [1, 1, 1] as Vec3 };
    const t = { data: Uint8Array.from([1, 2, 2, 2, 0, 3]), shape: [6, 1, 1] as Vec3, spacing: [1, 1, 1] as Vec3 };
    const d = new DiceMetric().compute(p, t);
    expect([...d.keys()]).toEqual([1, 2, 3]);
    expect(d.get(1)).toBeCloseTo(2 / 3, 14);
    expect(d.get(2)).toBeCloseTo(4 / 5, 14);
    expect(d.get(3)).toBe(0);
    expect(new DiceMetric({ classes: [4] }).compute(p, t).get(4)).toBeNaN();
  });
});

describe('surface distances', () => {
  // On a 1-voxel-thick line every voxel is a border voxel. truth = {0}, pred = {0..10}, spacing 2:
  // pred -> truth distances 0, 2, ..., 20; truth -> pred 0.
  const truth = line(12, [0], 2);
  const pred = line(12, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 2);
  it('Hausdorff, HD95 with linear interpolation, ASSD pooled, surface Dice', () => {
    expect(computeHausdorffDistance(pred, truth)).toBe(20);
    // 95th percentile of 0, 2, ..., 20: position 9.5 -> 19
    expect(computeHD95(pred, truth)).toBeCloseTo(19, 12);
    expect(computeHausdorffDistance(pred, truth, { percentile: 50 })).toBe(10);
    expect(computeAverageSurfaceDistance(pred, truth)).toBeCloseTo(110 / 12, 12);
    // within 5: pred voxels 0, 1, 2 (distances 0, 2, 4) and the truth voxel -> 4 of 12
    expect(computeSurfaceDice(pred, truth, { tolerance: 5 })).toBeCloseTo(4 / 12, 14);
  });

  it('two single voxels 3 apart along x with spacing 2 are 6 apart', () => {
    const a = mask([5, 1, 1], [2, 1, 1], [[0, 0, 0]]);
    const b = mask([5, 1, 1], [2, 1, 1], [[3, 0, 0]]);
    expect(computeHausdorffDistance(a, b)).toBe(6);
    expect(computeHD95(a, b)).toBe(6);
    expect(computeAverageSurfaceDistance(a, b)).toBe(6);
  });

  it('a cube shifted by one voxel: the distance is the spacing of the shift axis', () => {
    for (const [axis, spacing, expected] of [[1, [1, 3, 2], 3], [2, [1, 3, 2], 2], [0, [1, 3, 2], 1], [1, [1, 1, 1], 1]] as const) {
      const shift: Vec3 = [0, 0, 0];
      shift[axis] = 1;
      const t = cube([7, 7, 7], [...spacing] as Vec3, [2, 2, 2], [4, 4, 4]);
      const p = cube([7, 7, 7], [...spacing] as Vec3, [2 + shift[0], 2 + shift[1], 2 + shift[2]], [4 + shift[0], 4 + shift[1], 4 + shift[2]]);
      expect(computeHausdorffDistance(p, t)).toBe(expected);
    }
  });

  it('empty masks: both -> NaN, one -> Infinity (surface Dice 0)', () => {
    const empty = line(12, [], 2);
    expect(computeHausdorffDistance(empty, empty)).toBeNaN();
    expect(computeHD95(empty, empty)).toBeNaN();
    expect(computeAverageSurfaceDistance(empty, empty)).toBeNaN();
    expect(computeSurfaceDice(empty, empty, { tolerance: 1 })).toBeNaN();
    for (const [a, b] of [[empty, truth], [truth, empty]]) {
      expect(computeHausdorffDistance(a, b)).toBe(Infinity);
      expect(computeHD95(a, b)).toBe(Infinity);
      expect(computeAverageSurfaceDistance(a, b)).toBe(Infinity);
      expect(computeSurfaceDice(a, b, { tolerance: 100 })).toBe(0);
    }
  });

  it('border voxels are mask XOR erode(mask) with a cross and zero padding', () => {
    const c = cube([5, 5, 5], [1, 1, 1], [1, 1, 1], [3, 3, 3]);
    expect(borderVoxels(c.data, c.shape).reduce((a, b) => a + b, 0)).toBe(26);
    // a mask filling the whole 3x3x3 grid: zero padding makes all but the centre border voxels
    const full = cube([3, 3, 3], [1, 1, 1], [0, 0, 0], [2, 2, 2]);
    expect(borderVoxels(full.data, full.shape).reduce((a, b) => a + b, 0)).toBe(26);
    // a cross-shaped erosion keeps a voxel whose diagonal neighbours are missing
    const plus = mask([3, 3, 3], [1, 1, 1], [[1, 1, 1], [0, 1, 1], [2, 1, 1], [1, 0, 1], [1, 2, 1], [1, 1, 0], [1, 1, 2]]);
    const b = borderVoxels(plus.data, plus.shape);
    expect(b[13]).toBe(0);
    expect(b.reduce((a, v) => a + v, 0)).toBe(6);
  });

  it('HD95Metric per class on label maps', () => {
    const t = { data: Uint8Array.from([1, 0, 0, 0, 2]), shape: [5, 1, 1] as Vec3, spacing: [1.5, 1, 1] as Vec3 };
    const p = { data: Uint8Array.from([0, 1, 0, 0, 2]), shape: [5, 1, 1] as Vec3, spacing: [1.5, 1, 1] as Vec3 };
    const r = new HD95Metric().compute(p, t);
    expect(r.get(1)).toBe(1.5);
    expect(r.get(2)).toBe(0);
  });
});

describe('exact distance transform', () => {
  it.each([[[1, 1, 1]], [[1, 3, 2]], [[0.7, 1.3, 2.1]]] as [Vec3][])('matches a brute-force search, spacing %j', (spacing) => {
    const shape: Vec3 = [9, 7, 8];
    const rand = mulberry32(7);
    const f = new Uint8Array(9 * 7 * 8);
    for (let i = 0; i < f.length; i++) f[i] = rand() < 0.03 ? 1 : 0;
    f[0] = 1;
    const d = squaredDistanceTransform(f, shape, spacing);
    const coords = (i: number) => [i % 9, Math.floor(i / 9) % 7, Math.floor(i / 63)];
    for (let i = 0; i < f.length; i++) {
      const [x, y, z] = coords(i);
      let best = Infinity;
      for (let j = 0; j < f.length; j++) {
        if (!f[j]) continue;
        const [u, v, w] = coords(j);
        best = Math.min(best, ((x - u) * spacing[0]) ** 2 + ((y - v) * spacing[1]) ** 2 + ((z - w) * spacing[2]) ** 2);
      }
      expect(Math.abs(d[i] - best)).toBeLessThan(1e-9);
    }
  });

  it('is Infinity everywhere without features', () => {
    expect([...squaredDistanceTransform(new Uint8Array(8), [2, 2, 2], [1, 1, 1])].every((v) => v === Infinity)).toBe(true);
  });
});

describe('boundary IoU', () => {
  // truth: 3^3 cube in the middle of pred's 5^3 cube.
  const pred = cube([7, 7, 7], [1, 1, 1], [1, 1, 1], [5, 5, 5]);
  const truth = cube([7, 7, 7], [1, 1, 1], [2, 2, 2], [4, 4, 4]);
  it('band of width 1: the borders do not meet', () => {
    expect(computeBoundaryIoU(pred, truth, { distance: 1 })).toBe(0);
  });
  it('band of width 2: 26 shared voxels out of 125', () => {
    // pred band: all but its centre (124); truth band: all 27; shared: truth without the centre.
    expect(computeBoundaryIoU(pred, truth, { distance: 2 })).toBeCloseTo(26 / 125, 14);
  });
  it('identical masks give 1, empty masks NaN', () => {
    expect(computeBoundaryIoU(pred, pred, { distance: 1 })).toBe(1);
    const empty = cube([7, 7, 7], [1, 1, 1], [1, 1, 1], [0, 0, 0]);
    expect(computeBoundaryIoU(empty, empty)).toBeNaN();
  });
});

describe('calibration', () => {
  // two voxels, both class 0: confidences 0.8 (right) and 0.7 (wrong, predicted class 1)
  const input = { probabilities: Float64Array.from([0.8, 0.2, 0.3, 0.7]), labels: Uint8Array.from([0, 0]), classValues: [0, 1] };
  it('ECE with 10 bins and Brier score', () => {
    expect(computeExpectedCalibrationError(input, { bins: 10 })).toBeCloseTo((0.2 + 0.7) / 2, 14);
    expect(computeBrierScore(input)).toBeCloseTo((0.08 + 0.98) / 2, 14);
  });
  it('rejects a probability array of the wrong length', () => {
    expect(() => computeBrierScore({ ...input, classValues: [0, 1, 2] })).toThrow(/probabilities have 4 values/);
  });
});

describe('slice-to-slice consistency', () => {
  it('counts changes between neighbouring slices', () => {
    // one column flickering along z (1,0,1,0), another constant: 3 changes of 6 pairs
    const shape: Vec3 = [2, 1, 4];
    const m = Uint8Array.from([1, 1, 0, 1, 1, 1, 0, 1]);
    expect(computeSliceChangeRate(m, shape, 2)).toBe(3 / 6);
    expect(computeSliceChangeRate(m, shape, 0)).toBe(2 / 4);
  });
});
