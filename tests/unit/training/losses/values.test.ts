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
  type LossFn,
} from '../../../../main/training/losses/index.ts';
import { fixture, setupCpu, tensors, type LossCase } from './fixture.ts';

beforeAll(setupCpu);

// Each entry: the fixture key (numpy reference in tests/fixtures/losses/make.py) and our loss with the same options.
const variants: [string, (c: LossCase) => LossFn][] = [
  ['ce', () => (l, t) => crossEntropyLoss(l, t)],
  ['ce_weighted', (c) => (l, t) => crossEntropyLoss(l, t, { classWeights: c.classWeights })],
  ['dice', () => (l, t) => softDiceLoss(l, t)],
  ['dice_batch_bg', () => (l, t) => softDiceLoss(l, t, { batchDice: true, includeBackground: true })],
  ['dice_smooth1', () => (l, t) => softDiceLoss(l, t, { smooth: 1 })],
  ['focal_g2', () => (l, t) => focalLoss(l, t, {}, { gamma: 2 })],
  ['focal_g0', () => (l, t) => focalLoss(l, t, {}, { gamma: 0 })],
  ['focal_weighted', (c) => (l, t) => focalLoss(l, t, {}, { gamma: 2, classWeights: c.classWeights })],
  ['tversky', () => (l, t) => tverskyLoss(l, t)],
  ['tversky_batch_bg', () => (l, t) => tverskyLoss(l, t, { batchDice: true, includeBackground: true })],
  ['focal_tversky', () => (l, t) => focalTverskyLoss(l, t)],
  ['lovasz_present', () => (l, t) => lovaszSoftmaxLoss(l, t, { classes: 'present' })],
  ['lovasz_all', () => (l, t) => lovaszSoftmaxLoss(l, t, { classes: 'all' })],
  ['topk25', () => (l, t) => topKCrossEntropyLoss(l, t, {}, { k: 25 })],
  ['topk100', () => (l, t) => topKCrossEntropyLoss(l, t, {}, { k: 100 })],
];

describe.each(fixture.losses)('losses against numpy on case $name', (c) => {
  it.each(variants)('%s', (key, make) => {
    const { logits, target } = tensors(c);
    const value = make(c)(logits, target).dataSync()[0];
    expect(value).toBeCloseTo(c.expected[key], 5);
  });

  it('boundary (distance maps from scipy)', () => {
    const { logits, target, distanceMaps } = tensors(c);
    expect(boundaryLoss(logits, target, { distanceMaps }).dataSync()[0]).toBeCloseTo(c.expected.boundary, 5);
  });

  it('class weights come from ctx when not given as options', () => {
    const { logits, target } = tensors(c);
    expect(crossEntropyLoss(logits, target, { classWeights: c.classWeights }).dataSync()[0]).toBeCloseTo(c.expected.ce_weighted, 5);
  });
});

describe('hand-checked cases', () => {
  // One voxel, 2 classes, logits (0, ln 3): p = (1/4, 3/4), target class 1.
  const logits = tf.tensor2d([[0, Math.log(3)]]);
  const target = tf.tensor2d([[0, 1]]);

  it('cross-entropy of uniform logits is ln C', () => {
    expect(crossEntropyLoss(tf.zeros([2, 2, 4]), tf.oneHot(tf.tensor2d([[0, 1], [3, 2]], [2, 2], 'int32'), 4)).dataSync()[0]).toBeCloseTo(Math.log(4), 6);
  });

  it('cross-entropy = -ln 3/4 and focal = (1/4)^2 * that', () => {
    expect(crossEntropyLoss(logits, target).dataSync()[0]).toBeCloseTo(-Math.log(0.75), 6);
    expect(focalLoss(logits, target).dataSync()[0]).toBeCloseTo(-(0.25 ** 2) * Math.log(0.75), 6);
  });

  it('soft Dice without background: dc = 2*0.75/(2*0.75 + 0 + 0.25)', () => {
    expect(softDiceLoss(logits, target, { smooth: 0 }).dataSync()[0]).toBeCloseTo(1 - 1.5 / 1.75, 6);
  });

  it('Tversky with alpha = beta = 0.5 equals soft Dice', () => {
    const [c] = fixture.losses;
    const { logits: l, target: t } = tensors(c);
    expect(tverskyLoss(l, t, { alpha: 0.5, beta: 0.5, smooth: 0 }).dataSync()[0]).toBeCloseTo(softDiceLoss(l, t, { smooth: 0 }).dataSync()[0], 6);
  });

  it('Lovász of one foreground voxel is its error 1 - p', () => {
    // Class 1 present with one voxel: errors sorted (0.25), grad (1) -> 0.25; class 0 absent -> skipped.
    expect(lovaszSoftmaxLoss(logits, target).dataSync()[0]).toBeCloseTo(0.25, 6);
  });

  it('TopK keeps the k% hardest voxels', () => {
    // Four voxels with p(target) = 3/4, 1/2, 1/2, 1/4: the top 25% is the last one.
    const l = tf.tensor2d([[0, Math.log(3)], [0, 0], [1, 1], [Math.log(3), 0]]);
    const t = tf.tensor2d([[0, 1], [0, 1], [1, 0], [0, 1]]);
    expect(topKCrossEntropyLoss(l, t, {}, { k: 25 }).dataSync()[0]).toBeCloseTo(-Math.log(0.25), 6);
    expect(topKCrossEntropyLoss(l, t, {}, { k: 50 }).dataSync()[0]).toBeCloseTo(-(Math.log(0.25) + Math.log(0.5)) / 2, 6);
  });

  it('boundary loss: probability mass outside an object costs its distance', () => {
    // Three voxels in a row, object = voxel 0, maps (-1, 1, 2) for class 1; p1 = (1, 0.5, 0) approximately.
    const l = tf.tensor2d([[-20, 20], [0, 0], [20, -20]]);
    const t = tf.tensor2d([[0, 1], [1, 0], [1, 0]]);
    const d = tf.tensor2d([[1, -1], [-1, 1], [-2, 2]]);
    expect(boundaryLoss(l, t, { distanceMaps: d }).dataSync()[0]).toBeCloseTo((-1 + 0.5) / 3, 5);
  });
});

describe('bad arguments', () => {
  it('rejects mismatched shapes, wrong class weights and missing distance maps', () => {
    const l = tf.zeros([2, 3]);
    expect(() => crossEntropyLoss(l, tf.zeros([2, 2]))).toThrow(/same shape/);
    expect(() => crossEntropyLoss(l, tf.zeros([2, 3]), { classWeights: [1, 2] })).toThrow(/3 classes/);
    expect(() => boundaryLoss(l, tf.zeros([2, 3]))).toThrow(/distanceMaps/);
    expect(() => topKCrossEntropyLoss(l, tf.zeros([2, 3]), {}, { k: 0 })).toThrow(/percentage/);
  });
});

describe('3D patches', () => {
  it('a [b, z, y, x, c] batch gives the same values as the same voxels laid out as [b, voxels, c]', () => {
    const [c] = fixture.losses; // 2 samples x 12 voxels x 3 classes
    const { logits, target, distanceMaps } = tensors(c);
    const as5d = (t: tf.Tensor): tf.Tensor => tf.reshape(t, [2, 2, 3, 2, 3]);
    const as3d = (t: tf.Tensor): tf.Tensor => tf.reshape(t, [2, 12, 3]);
    const all: LossFn[] = [
      (l, t) => softDiceLoss(l, t),
      (l, t) => tverskyLoss(l, t),
      (l, t) => crossEntropyLoss(l, t),
      (l, t) => lovaszSoftmaxLoss(l, t),
      (l, t, ctx) => boundaryLoss(l, t, ctx),
    ];
    for (const loss of all) {
      const a = loss(as5d(logits), as5d(target), { distanceMaps: as5d(distanceMaps) }).dataSync()[0];
      const b = loss(as3d(logits), as3d(target), { distanceMaps: as3d(distanceMaps) }).dataSync()[0];
      expect(a).toBeCloseTo(b, 6);
    }
    expect(softDiceLoss(as5d(logits), as5d(target)).dataSync()[0]).toBeCloseTo(c.expected.dice, 5);
  });
});
