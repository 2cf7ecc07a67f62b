import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { createWeights, disposeWeights } from '../../../../models/forward.ts';
import { buildUNet } from '../../../../models/unet.ts';
import { indexClasses } from '../../../../main/training/data/cases.ts';
import { bestOtsuDice } from '../../../../main/training/runs/demo.ts';
import { computeDice, DiceMetric, meanForegroundDice, predictCase, predictionTile, tileStarts } from '../../../../main/training/runs/validate.ts';

describe('Dice', () => {
  it('is exact on a small case, NaN for a class in neither map', () => {
    const dice = computeDice([0, 1, 1, 2, 0, 0], [0, 1, 2, 2, 0, 1], 4);
    expect(dice[0]).toBeCloseTo((2 * 2) / (3 + 2));
    expect(dice[1]).toBeCloseTo((2 * 1) / (2 + 2));
    expect(dice[2]).toBeCloseTo((2 * 1) / (1 + 2));
    expect(dice[3]).toBeNaN();
    expect(meanForegroundDice(dice)).toBeCloseTo((0.5 + 2 / 3) / 2);
  });

  it('DiceMetric averages per case', () => {
    const m = new DiceMetric(2);
    m.add([1, 1], [1, 1]);
    m.add([0, 1], [1, 1]);
    expect(m.result()[1]).toBeCloseTo((1 + 2 / 3) / 2);
  });
});

describe('prediction tiles', () => {
  it.each([
    [10, 4, [0, 4, 6]],
    [8, 4, [0, 4]],
    [3, 4, [0]],
    [2, 6, [-2]],
  ])('tileStarts(%i, %i)', (n, size, expected) => {
    expect(tileStarts(n, size)).toEqual(expected);
  });

  it('predicts every voxel of a case with a slice network (whole slices padded to the divisor)', async () => {
    await tf.setBackend('cpu');
    const spec = buildUNet({ kind: '2.5d', levels: 2, filters: 2 }, { imageChannels: 1, classes: 3 });
    const store = createWeights(spec, 1);
    const shape: [number, number, number] = [5, 3, 2];
    const label = new Uint8Array(30);
    const c = { id: 'c', domain: 'd', shape, spacing: [1, 1, 1] as [number, number, number], channels: 1, image: Float32Array.from({ length: 30 }, (_, i) => i / 30), label, classVoxels: indexClasses(label) };
    const tile = predictionTile(spec, shape, [4, 4, 1]);
    expect(tile).toEqual([6, 4, 1]);
    const predicted = predictCase(spec, store, c, tile, 2);
    expect(predicted).toHaveLength(30);
    expect(Array.from(predicted).every((v) => v < 3)).toBe(true);
    disposeWeights(store);
  });
});

describe('the demo baseline', () => {
  it('matches multi-Otsu classes to phases by the best permutation', () => {
    // Phase 1 is the darkest, phase 0 the middle, phase 2 the brightest: intensity order is not label order.
    const truth = Uint8Array.from([1, 1, 1, 0, 0, 0, 2, 2, 2]);
    const image = Float32Array.from([10, 11, 12, 50, 51, 52, 90, 91, 92]);
    expect(bestOtsuDice(image, truth, 3)).toEqual([1, 1, 1]);
  });
});
