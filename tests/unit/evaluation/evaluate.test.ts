// evaluate(): agreement with the metric functions, calibration, and clear errors for bad input.
import { describe, expect, it } from 'vitest';
import { evaluate, summarize, toCsv } from '../../../main/evaluation/index.ts';
import { computeHD95, maskOf } from '../../../main/metrics/index.ts';
import { InputError } from '../../../main/util/errors.ts';
import { createVolume, type Vec3, type Volume } from '../../../main/volume/volume.ts';

const shape: Vec3 = [6, 5, 4];
const n = 6 * 5 * 4;
function labels(fn: (x: number, y: number, z: number) => number, init: Partial<Parameters<typeof createVolume>[0]> = {}): Volume {
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i++) data[i] = fn(i % 6, Math.floor(i / 6) % 5, Math.floor(i / 30));
  return createVolume({ shape, data, spacing: [1, 2, 3], ...init });
}
const truth = labels((x, y) => (x < 3 ? 1 : y < 2 ? 2 : 0));
const pred = labels((x, y) => (x < 4 ? 1 : y < 3 ? 2 : 0));

function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('evaluate', () => {
  it('gives every class its metrics, in physical units', () => {
    const e = evaluate(pred, truth);
    expect(e.classes.map((c) => c.value)).toEqual([1, 2]);
    const c1 = e.classes[0];
    expect(c1.truthVoxels).toBe(3 * 5 * 4);
    expect(c1.predVoxels).toBe(4 * 5 * 4);
    expect(c1.metrics.dice).toBeCloseTo((2 * 60) / 140, 14);
    expect(c1.metrics.hd95).toBe(computeHD95(maskOf(pred.data, 1, shape, [1, 2, 3]), maskOf(truth.data, 1, shape, [1, 2, 3])));
    expect(c1.metrics.hausdorff).toBe(1); // one column further along x, spacing 1
    expect(e.calibration).toBeUndefined();
  });

  it('adds calibration from probabilities that sum to one', () => {
    const p = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) {
      const v = pred.data[i];
      for (let k = 0; k < 3; k++) p[i * 3 + k] = k === v ? 0.8 : 0.1;
    }
    const probabilities = createVolume({ shape, data: p, components: 3, spacing: [1, 2, 3] });
    const e = evaluate(pred, truth, { probabilities, calibrationBins: 10 });
    // every voxel has confidence 0.8; accuracy is the share of voxels where pred == truth
    let right = 0;
    for (let i = 0; i < n; i++) if (pred.data[i] === truth.data[i]) right++;
    expect(e.calibration?.ece).toBeCloseTo(Math.abs(right / n - 0.8), 6);
    expect(e.classes[0].brier).toBeGreaterThan(0);
  });

  it('names the differing grid field', () => {
    expect(inputError(() => evaluate(labels(() => 0, { spacing: [1, 2, 2.5] }), truth, { names: { pred: 'p.nii', truth: 't.nii' } })).message)
      .toMatch(/^p\.nii: not on the grid of t\.nii: spacing differs: \[1, 2, 2\.5\] vs \[1, 2, 3\]$/);
    expect(inputError(() => evaluate(labels(() => 0, { origin: [0, 0, 5] }), truth)).message).toMatch(/origin differs/);
    const other = createVolume({ shape: [6, 5, 3], data: new Uint8Array(90), spacing: [1, 2, 3] });
    expect(inputError(() => evaluate(other, truth)).message).toMatch(/shape differs: \[6, 5, 3\] vs \[6, 5, 4\]/);
  });

  it('rejects NaN voxels and non-integer labels', () => {
    const f = new Float32Array(n);
    f[7] = NaN;
    const bad = createVolume({ shape, data: f, spacing: [1, 2, 3] });
    expect(inputError(() => evaluate(bad, truth, { names: { pred: 'p.nrrd' } })).message).toBe(
      'p.nrrd: voxel (1, 1, 0) is NaN; a label map needs a class value everywhere',
    );
    f[7] = 0.5;
    expect(inputError(() => evaluate(bad, truth)).message).toMatch(/voxel \(1, 1, 0\) holds 0\.5, not an integer/);
  });

  it('rejects probabilities that do not sum to one, NaN probabilities and the wrong component count', () => {
    const p = new Float32Array(n * 2).fill(0.5);
    p[2 * 11] = 0.7;
    const probabilities = createVolume({ shape, data: p, components: 2, spacing: [1, 2, 3] });
    expect(inputError(() => evaluate(pred, truth, { probabilities, names: { probabilities: 'probs.ome.zarr' } })).message).toMatch(
      /^probs\.ome\.zarr: probabilities at voxel \(5, 1, 0\) sum to 1\.2, not 1/,
    );
    p[2 * 11] = NaN;
    expect(inputError(() => evaluate(pred, truth, { probabilities })).message).toMatch(/class 0 at voxel \(5, 1, 0\) is NaN/);
    const multi = createVolume({ shape, data: new Uint8Array(n * 2), components: 2, spacing: [1, 2, 3] });
    expect(inputError(() => evaluate(multi, truth)).message).toMatch(/one component, this volume has 2/);
  });
});

describe('cohort summary', () => {
  it('mean, median, sample std over finite values; NaN and Infinity counted', () => {
    const s = summarize([1, 2, 3, 4, NaN, Infinity]);
    expect(s).toMatchObject({ n: 4, nan: 1, infinite: 1, mean: 2.5, median: 2.5 });
    expect(s.std).toBeCloseTo(Math.sqrt(5 / 3), 14);
    expect(s.ciLow).toBeGreaterThanOrEqual(1);
    expect(s.ciHigh).toBeLessThanOrEqual(4);
    expect(s.ciLow).toBeLessThan(2.5);
    expect(s.ciHigh).toBeGreaterThan(2.5);
  });
  it('the bootstrap interval depends only on the seed', () => {
    const v = [0.8, 0.91, 0.75, 0.88, 0.93, 0.6, 0.85];
    expect(summarize(v, { seed: 3 })).toEqual(summarize(v, { seed: 3 }));
    expect(summarize(v, { seed: 3 }).ciLow).not.toBe(summarize(v, { seed: 4 }).ciLow);
    const same = summarize([5, 5, 5]);
    expect([same.ciLow, same.ciHigh, same.std]).toEqual([5, 5, 0]);
  });
  it('CSV quotes fields that need it', () => {
    expect(toCsv(['a', 'b'], [['x,y', 1], ['say "hi"', NaN]])).toBe('a,b\n"x,y",1\n"say ""hi""",NaN\n');
  });
});
