import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  boundaryLoss,
  crossEntropyLoss,
  focalLoss,
  focalTverskyLoss,
  lovaszSoftmaxLoss,
  softDiceLoss,
  topKCrossEntropyLoss,
  tverskyLoss,
  type LossContext,
  type LossFn,
} from '../../../../main/training/losses/index.ts';
import { fixture, gradientMismatch, setupCpu, tensors } from './fixture.ts';

beforeAll(setupCpu);

const losses: [string, LossFn][] = [
  ['cross-entropy', (l, t, ctx) => crossEntropyLoss(l, t, ctx)],
  ['cross-entropy weighted', (l, t) => crossEntropyLoss(l, t, { classWeights: [0.2, 1, 3] })],
  ['soft Dice', (l, t) => softDiceLoss(l, t)],
  ['soft Dice batch + background', (l, t) => softDiceLoss(l, t, { batchDice: true, includeBackground: true })],
  ['Focal', (l, t) => focalLoss(l, t, {}, { gamma: 2, classWeights: [0.5, 1, 2] })],
  ['Tversky', (l, t) => tverskyLoss(l, t)],
  ['Focal-Tversky', (l, t) => focalTverskyLoss(l, t)],
  ['Lovász-softmax', (l, t) => lovaszSoftmaxLoss(l, t, { classes: 'all' })],
  ['boundary', (l, t, ctx) => boundaryLoss(l, t, ctx)],
  ['TopK cross-entropy', (l, t) => topKCrossEntropyLoss(l, t, {}, { k: 25 })],
];

describe.each(fixture.losses)('gradients against central differences, case $name', (c) => {
  it.each(losses)('%s', (_name, loss) => {
    const { logits, target, distanceMaps } = tensors(c);
    const ctx: LossContext = { distanceMaps };
    const { worst, analytic } = gradientMismatch((x) => loss(x, target, ctx), logits);
    expect(worst).toBe(0);
    // A gradient that is zero everywhere would pass any comparison with a flat loss: make sure it is not.
    expect(Math.max(...analytic.map(Math.abs))).toBeGreaterThan(1e-3);
  });
});

describe('empty classes: finite values and gradients', () => {
  // Two voxels, 3 classes; class 2 never in the target, and the net is extremely confident (logits +-30).
  const target = tf.tensor2d([[1, 0, 0], [0, 1, 0]]);
  const confident = tf.tensor2d([[30, -30, -30], [-30, 30, -30]]);
  const wrong = tf.tensor2d([[-30, -30, 30], [-30, -30, 30]]);
  const distanceMaps = tf.tensor2d([[-1, 1, 0], [1, -1, 0]]);

  it.each(losses)('%s', (_name, loss) => {
    for (const logits of [confident, wrong]) {
      const value = loss(logits, target, { distanceMaps }).dataSync()[0];
      const grad = tf.grad((x: tf.Tensor) => loss(x, target, { distanceMaps }))(logits).dataSync();
      expect(Number.isFinite(value)).toBe(true);
      expect(Array.from(grad).every(Number.isFinite)).toBe(true);
    }
  });

  it('soft Dice convention: an absent class predicted nowhere scores dc = 1, predicted everywhere dc ~ 0', () => {
    // With background excluded, classes 1 and 2 count; class 1 is perfect in `confident`.
    expect(softDiceLoss(confident, target).dataSync()[0]).toBeCloseTo(0, 5);
    // `wrong` puts all mass on class 2: dc(1) = s/(2 + s) ~ 0, dc(2) = s/(2 + s) ~ 0.
    expect(softDiceLoss(wrong, target, { batchDice: true }).dataSync()[0]).toBeCloseTo(1, 4);
    // Per sample (one voxel each): sample 0 has no class 1 and predicts none, dc = 1; the other three dc ~ 0.
    expect(softDiceLoss(wrong, target).dataSync()[0]).toBeCloseTo(0.75, 4);
  });

  it('Lovász convention: absent classes are skipped with "present", cost their largest probability with "all"', () => {
    expect(lovaszSoftmaxLoss(confident, target, { classes: 'present' }).dataSync()[0]).toBeCloseTo(0, 5);
    // 'all': class 2's term is max p2 = 1 for `wrong`; classes 0 and 1 each have error 1 on their voxel.
    expect(lovaszSoftmaxLoss(wrong, target, { classes: 'all' }).dataSync()[0]).toBeCloseTo(1, 5);
  });

  it('a target with no voxel of any used class gives 0, not NaN, for Lovász "present"', () => {
    const onlyBackground = tf.tensor2d([[1, 0, 0], [1, 0, 0]]);
    expect(lovaszSoftmaxLoss(wrong, onlyBackground, { includeBackground: false }).dataSync()[0]).toBe(0);
  });
});

describe('memory', () => {
  it.each(losses)('%s leaves no intermediate tensors behind', (_name, loss) => {
    const [c] = fixture.losses;
    const { logits, target, distanceMaps } = tensors(c);
    const before = tf.memory().numTensors;
    const value = loss(logits, target, { distanceMaps });
    const grad = tf.grad((x: tf.Tensor) => loss(x, target, { distanceMaps }))(logits);
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.dispose([value, grad]);
  });
});
