import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  boundaryLoss,
  CompoundLoss,
  createLoss,
  crossEntropyLoss,
  LossConfigSchema,
  lossNeedsDistanceMaps,
  softDiceLoss,
  weightAt,
} from '../../../../main/training/losses/index.ts';
import { fixture, setupCpu, tensors } from './fixture.ts';

beforeAll(setupCpu);

describe('weight schedules', () => {
  it.each([
    [0.5, 7, 0.5],
    [{ schedule: 'linear' as const, from: 0, to: 1, startEpoch: 10, endEpoch: 20 }, 5, 0],
    [{ schedule: 'linear' as const, from: 0, to: 1, startEpoch: 10, endEpoch: 20 }, 15, 0.5],
    [{ schedule: 'linear' as const, from: 0, to: 1, startEpoch: 10, endEpoch: 20 }, 30, 1],
    [{ schedule: 'linear' as const, from: 1, to: 0.01, startEpoch: 0, endEpoch: 0 }, 0, 1],
    [{ schedule: 'steps' as const, steps: [[10, 0.3], [0, 1]] as [number, number][] }, 9, 1],
    [{ schedule: 'steps' as const, steps: [[10, 0.3], [0, 1]] as [number, number][] }, 10, 0.3],
  ])('%j at epoch %d is %d', (schedule, epoch, expected) => {
    expect(weightAt(schedule, epoch)).toBeCloseTo(expected, 12);
  });
});

describe('CompoundLoss', () => {
  const [c] = fixture.losses;

  it('sums weighted terms, reports each unweighted term, and follows the boundary ramp', () => {
    const { logits, target, distanceMaps } = tensors(c);
    const loss = createLoss({
      terms: [
        { type: 'dice' },
        { type: 'ce', weight: 0.5 },
        { type: 'boundary', weight: { schedule: 'linear', from: 0, to: 0.2, startEpoch: 0, endEpoch: 10 } },
      ],
    });
    const dice = softDiceLoss(logits, target).dataSync()[0];
    const ce = crossEntropyLoss(logits, target).dataSync()[0];
    const boundary = boundaryLoss(logits, target, { distanceMaps }).dataSync()[0];
    for (const epoch of [0, 5, 10, 40]) {
      const result = loss.compute(logits, target, { distanceMaps }, epoch);
      const w = Math.min(epoch, 10) * 0.02;
      expect(result.weights).toEqual({ dice: 1, ce: 0.5, boundary: expect.closeTo(w, 12) });
      expect(result.terms.dice.dataSync()[0]).toBeCloseTo(dice, 6);
      expect(result.terms.ce.dataSync()[0]).toBeCloseTo(ce, 6);
      expect(result.terms.boundary.dataSync()[0]).toBeCloseTo(boundary, 6);
      expect(result.total.dataSync()[0]).toBeCloseTo(dice + 0.5 * ce + w * boundary, 5);
    }
  });

  it('its gradient is the weighted sum of the terms\' gradients', () => {
    const { logits, target } = tensors(c);
    const loss = createLoss({ terms: [{ type: 'dice', weight: 2 }, { type: 'ce', weight: 0.25 }] });
    const g = tf.grad((x: tf.Tensor) => loss.compute(x, target, {}, 3).total)(logits).dataSync();
    const gd = tf.grad((x: tf.Tensor) => softDiceLoss(x, target))(logits).dataSync();
    const gc = tf.grad((x: tf.Tensor) => crossEntropyLoss(x, target))(logits).dataSync();
    for (let i = 0; i < g.length; i++) expect(g[i]).toBeCloseTo(2 * gd[i] + 0.25 * gc[i], 6);
  });

  it('a single term config works and .at(epoch) gives a LossFn', () => {
    const { logits, target } = tensors(c);
    const loss = createLoss({ type: 'focal', gamma: 0 });
    expect(loss.at(0)(logits, target).dataSync()[0]).toBeCloseTo(c.expected.ce, 5);
  });

  it('rejects duplicate names, unknown keys, wrong types and out-of-range values', () => {
    expect(() => new CompoundLoss([])).toThrow(/at least one/);
    expect(() => createLoss({ terms: [{ type: 'ce' }, { type: 'ce' }] })).toThrow(/used twice/);
    expect(LossConfigSchema.safeParse({ type: 'dice', smoth: 1 }).success).toBe(false);
    expect(LossConfigSchema.safeParse({ type: 'dice', smooth: 'x' }).success).toBe(false);
    expect(LossConfigSchema.safeParse({ type: 'topk', k: 150 }).success).toBe(false);
    expect(LossConfigSchema.safeParse({ type: 'hinge' }).success).toBe(false);
    expect(LossConfigSchema.safeParse({ terms: [{ type: 'ce', weight: { schedule: 'linear', from: 0, to: 1, startEpoch: 5, endEpoch: 2 } }] }).success).toBe(false);
  });

  it('knows when distance maps are needed', () => {
    expect(lossNeedsDistanceMaps({ terms: [{ type: 'dice' }, { type: 'boundary' }] })).toBe(true);
    expect(lossNeedsDistanceMaps({ type: 'dice' })).toBe(false);
  });
});
