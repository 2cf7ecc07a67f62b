import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { clipByGlobalNorm, deriveSeed, EarlyStopping, globalNorm, SeedSequence, WeightEma } from '../../../../main/training/optim/index.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('clipByGlobalNorm', () => {
  it('scales a gradient of norm 5 to norm 1', () => {
    const grads = { a: tf.tensor1d([3]), b: tf.tensor2d([[0, 4]]) };
    expect(globalNorm(grads)).toBeCloseTo(5, 6);
    const { grads: clipped, norm, clipped: did } = clipByGlobalNorm(grads, 1);
    expect(norm).toBeCloseTo(5, 6);
    expect(did).toBe(true);
    expect(clipped.a.dataSync()[0]).toBeCloseTo(0.6, 6);
    expect(Array.from(clipped.b.dataSync())).toEqual([0, expect.closeTo(0.8, 6)]);
  });

  it('leaves gradients under the limit untouched (same tensors)', () => {
    const grads = { a: tf.tensor1d([3, 4]) };
    const result = clipByGlobalNorm(grads, 10);
    expect(result.clipped).toBe(false);
    expect(result.grads.a).toBe(grads.a);
    expect(() => clipByGlobalNorm(grads, 0)).toThrow(/maxNorm/);
  });
});

describe('WeightEma', () => {
  it('averages, swaps in for evaluation and restores the trained weights', async () => {
    const w = tf.variable(tf.tensor1d([0, 10]), true, 'ema-test-w');
    const before = tf.memory().numTensors;
    const ema = new WeightEma([w], 0.9);
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.tidy(() => w.assign(tf.tensor1d([1, 10])));
    ema.update();
    ema.update();
    // shadow: 0 -> 0.1 -> 0.19 ; 10 stays 10
    const seen = await ema.withAverages(() => Array.from(w.dataSync()));
    expect(seen[0]).toBeCloseTo(0.19, 6);
    expect(seen[1]).toBeCloseTo(10, 5);
    expect(Array.from(w.dataSync())).toEqual([1, 10]);
    ema.swapIn();
    expect(() => ema.update()).toThrow(/swap/);
    ema.swapOut();
    expect(ema.averages()['ema-test-w'].dataSync()[0]).toBeCloseTo(0.19, 6);
    ema.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => new WeightEma([w], 1)).toThrow(/decay/);
  });
});

describe('EarlyStopping', () => {
  it('stops after `patience` epochs without an improvement larger than minDelta', () => {
    const stopper = new EarlyStopping({ patience: 2, mode: 'max', minDelta: 0.01 });
    const decisions = [0.5, 0.6, 0.605, Number.NaN, 0.7, 0.69, 0.7, 0.705].map((m, epoch) => stopper.observe(m, epoch));
    expect(decisions.map((d) => d.improved)).toEqual([true, true, false, false, true, false, false, false]);
    expect(decisions.map((d) => d.stop)).toEqual([false, false, false, true, false, false, true, true]);
    expect(decisions[7]).toMatchObject({ best: 0.7, bestEpoch: 4 });
  });

  it('min mode and state round trip', () => {
    const a = new EarlyStopping({ patience: 1, mode: 'min' });
    expect(a.observe(1, 0).stop).toBe(false);
    const b = new EarlyStopping({ patience: 1, mode: 'min' });
    b.setState(a.getState());
    expect(b.observe(1.5, 1)).toMatchObject({ improved: false, stop: true, best: 1, bestEpoch: 0 });
    expect(() => new EarlyStopping({ patience: 0 })).toThrow(/patience/);
  });
});

describe('seeds', () => {
  it('are reproducible, differ by label and stay in tfjs seed range', () => {
    expect(deriveSeed(42, 'init')).toBe(deriveSeed(42, 'init'));
    expect(deriveSeed(42, 'init')).not.toBe(deriveSeed(42, 'sampler'));
    expect(deriveSeed(42, 'fold', 1)).not.toBe(deriveSeed(43, 'fold', 1));
    const a = new SeedSequence(7, 'run');
    const b = new SeedSequence(7, 'run');
    const seq = [a.next(), a.next(), a.next()];
    expect([b.next(), b.next(), b.next()]).toEqual(seq);
    expect(new Set(seq).size).toBe(3);
    for (const s of seq) expect(Number.isInteger(s) && s >= 0 && s < 2 ** 31).toBe(true);
    expect(a.rng('aug')()).toBe(b.rng('aug')());
  });

  it('make tfjs random ops reproducible', () => {
    const seeds = new SeedSequence(1);
    const x = tf.randomNormal([4], 0, 1, 'float32', seeds.next()).dataSync();
    const y = tf.randomNormal([4], 0, 1, 'float32', new SeedSequence(1).next()).dataSync();
    expect(Array.from(x)).toEqual(Array.from(y));
  });
});
