// Line-chart helpers: min/max downsampling keeps spikes and ends, axis extents, nearest point for hover; run curves
// from live events and from the stored history; config diff.
import { describe, expect, it } from 'vitest';
import { downsampleMinMax, extent, nearestIndex, type ChartPoint } from '../../../../renderer/src/components/charts/downsample.ts';
import { diffConfigs, flattenConfig } from '../../../../renderer/src/core/training/configDiff.ts';
import { addPoint, applyHistory, applyProgress, diceClasses, lossTerms, type RunCurves } from '../../../../renderer/src/core/training/series.ts';

const pts = (ys: number[]): ChartPoint[] => ys.map((y, x) => ({ x, y }));

describe('downsampleMinMax', () => {
  it('keeps short series as they are', () => {
    expect(downsampleMinMax(pts([1, 2, 3]), 4)).toEqual(pts([1, 2, 3]));
  });

  it('keeps the first, last, and each bucket’s min and max in x order', () => {
    // 10 points, 6 allowed: 2 buckets over the 8 inner points (x 1..4 and 5..8).
    const out = downsampleMinMax(pts([0, 5, 1, 9, 2, 3, 8, 0, 4, 7]), 6);
    expect(out).toEqual([
      { x: 0, y: 0 },
      { x: 2, y: 1 },
      { x: 3, y: 9 },
      { x: 6, y: 8 },
      { x: 7, y: 0 },
      { x: 9, y: 7 },
    ]);
  });

  it('bounds a long series and keeps its spike', () => {
    const ys = Array.from({ length: 100_000 }, (_, i) => Math.sin(i / 100));
    ys[54_321] = 50;
    const out = downsampleMinMax(pts(ys), 2000);
    expect(out.length).toBeLessThanOrEqual(2000);
    expect(out.some((p) => p.y === 50)).toBe(true);
    expect(out.every((p, i) => i === 0 || p.x > out[i - 1].x)).toBe(true);
  });

  it('refuses a bad maxPoints', () => expect(() => downsampleMinMax([], 3)).toThrow(RangeError));
});

describe('extent and nearestIndex', () => {
  it.each([
    [[1, 3, NaN, 2], false, [1, 3]],
    [[2, 2], false, [1, 3]],
    [[0, -1, 10, 100], true, [10, 100]],
    [[], false, [0, 1]],
    [[5], true, [2.5, 10]],
  ])('extent(%j, log %j) = %j', (values, log, range) => expect(extent(values, log)).toEqual(range));

  it.each([
    [-5, 0],
    [2.4, 1],
    [2.6, 2],
    [99, 2],
  ])('nearest to x=%j is point %j', (x, index) => expect(nearestIndex([{ x: 0, y: 0 }, { x: 2, y: 0 }, { x: 3, y: 0 }], x)).toBe(index));
});

describe('run curves', () => {
  const step = (n: number, loss: number) => ({
    type: 'step' as const, jobId: 'j', runId: 'r', epoch: 0, step: n, totalSteps: 8, stepInEpoch: n, stepsPerEpoch: 4, loss,
    terms: { ce: loss / 2, dice: null }, lr: 0.01, gradNorm: 1, voxelsPerSecond: 1000, etaSeconds: 3, memoryBytes: 2 ** 21,
  });

  it('adds step and epoch events; replays add nothing twice', () => {
    const curves: RunCurves = {};
    applyProgress(curves, step(2, 1));
    applyProgress(curves, step(1, 2));
    applyProgress(curves, step(2, 1));
    applyProgress(curves, { type: 'epoch', jobId: 'j', runId: 'r', epoch: 0, step: 4, metrics: { loss: 1.5, val_dice_ball: 0.5, val_dice_mean: null }, valDice: { ball: 0.5 }, valDiceMean: null, best: true, seconds: 1 });
    expect(curves['step:loss']).toEqual([{ x: 1, y: 2 }, { x: 2, y: 1 }]);
    expect(curves['step:loss_ce']).toEqual([{ x: 1, y: 1 }, { x: 2, y: 0.5 }]);
    expect(curves['step:loss_dice']).toBeUndefined();
    expect(curves['step:memory_mb']).toEqual([{ x: 1, y: 2 }, { x: 2, y: 2 }]);
    expect(curves.loss).toEqual([{ x: 4, y: 1.5 }]);
    expect(curves.val_dice_mean).toBeUndefined();
    expect(diceClasses(curves)).toEqual(['ball']);
    expect(lossTerms(curves)).toEqual(['ce']);
  });

  it('refills epoch curves from the stored history without doubling live points', () => {
    const curves: RunCurves = { loss: [{ x: 8, y: 0.5 }] };
    applyHistory(curves, [{ name: 'loss', points: [{ epoch: 0, step: 4, value: 1 }, { epoch: 1, step: 8, value: 0.5 }, { epoch: 2, step: 12, value: null }] }]);
    expect(curves.loss).toEqual([{ x: 4, y: 1 }, { x: 8, y: 0.5 }]);
  });

  it('addPoint inserts in x order', () => {
    const s = pts([0, 0, 0]).filter((p) => p.x !== 1);
    addPoint(s, { x: 1, y: 5 });
    expect(s.map((p) => p.x)).toEqual([0, 1, 2]);
  });
});

describe('config diff', () => {
  it('flattens nested settings; plain arrays are one leaf, arrays of objects are indexed', () => {
    expect(flattenConfig({ a: { b: 1 }, p: [32, 32], t: [{ type: 'ce' }], e: {} })).toEqual({ 'a.b': '1', p: '[32,32]', 't.0.type': '"ce"', e: '{}' });
  });

  it('marks the keys whose values differ, missing keys included', () => {
    const rows = diffConfigs([{ lr: 0.01, seed: 1, p: [32, 32] }, { lr: 0.001, seed: 1, p: [32, 32], extra: true }]);
    expect(rows).toEqual([
      { key: 'extra', values: [null, 'true'], differs: true },
      { key: 'lr', values: ['0.01', '0.001'], differs: true },
      { key: 'p', values: ['[32,32]', '[32,32]'], differs: false },
      { key: 'seed', values: ['1', '1'], differs: false },
    ]);
    expect(diffConfigs([{ a: 1 }, { a: 1 }, { a: 2 }], true).map((r) => r.key)).toEqual(['a']);
  });
});
