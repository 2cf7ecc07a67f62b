import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureGradients } from '../../../../main/training/backend/index.ts';
import { createOptimizer, OptimizerConfigSchema, type OptimizerConfig } from '../../../../main/training/optim/index.ts';

beforeAll(async () => {
  await ensureGradients();
  await tf.setBackend('cpu');
});

let counter = 0;
function variable(values: number[]): tf.Variable {
  return tf.variable(tf.tensor1d(values), true, `optim-test-${counter++}`);
}

/** Applies the gradient sequence and returns the variable's values after each step. */
function run(config: OptimizerConfig, w0: number[], grads: number[][]): number[][] {
  const w = variable(w0);
  const optimizer = createOptimizer(config);
  const out: number[][] = [];
  for (const g of grads) {
    optimizer.applyGradients({ [w.name]: tf.tensor1d(g) });
    out.push(Array.from(w.dataSync()));
  }
  optimizer.dispose();
  w.dispose();
  return out;
}

function expectClose(actual: number[][], expected: number[][]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(expected[i][j], 6)));
}

describe('Adam', () => {
  it('first step moves every weight by lr against the sign of its gradient (bias correction)', () => {
    expectClose(run({ type: 'adam', lr: 0.1 }, [1, -2], [[0.5, -0.1]]), [[0.9, -1.9]]);
  });

  it('second step by hand', () => {
    const [b1, b2, lr, eps] = [0.9, 0.999, 0.1, 1e-8];
    const g1 = 0.5;
    const g2 = -0.25;
    const m = b1 * (1 - b1) * g1 + (1 - b1) * g2;
    const v = b2 * (1 - b2) * g1 ** 2 + (1 - b2) * g2 ** 2;
    const step = (lr * (m / (1 - b1 ** 2))) / (Math.sqrt(v / (1 - b2 ** 2)) + eps);
    expectClose(run({ type: 'adam', lr }, [1], [[g1], [g2]]), [[0.9], [0.9 - step]]);
  });

  it.each([
    { type: 'adam', lr: 0.01, weightDecay: 0 },
    { type: 'adam', lr: 0.003, weightDecay: 0.05 },
    { type: 'adamw', lr: 0.01, weightDecay: 0.1 },
  ] as const)('the one-loop cpu update equals the op-by-op update over several steps: %o', (config) => {
    const rand = (i: number, k: number): number => Math.sin(i * 12.9898 + k * 78.233) * 2;
    const w0 = Array.from({ length: 37 }, (_, i) => rand(i, 0));
    const grads = Array.from({ length: 5 }, (_, k) => w0.map((_, i) => rand(i, k + 1)));
    const fused = run(config, w0, grads);
    process.env.SEGSTATION_CPU_KERNELS = 'tfjs';
    try {
      const ops = run(config, w0, grads);
      fused.forEach((row, k) => row.forEach((v, i) => expect(Math.abs(v - ops[k][i])).toBeLessThan(1e-5 * Math.max(1, Math.abs(v)))));
      // The weights moved: the comparison is not between two unchanged copies.
      expect(Math.abs(fused[4][0] - w0[0])).toBeGreaterThan(1e-3);
    } finally {
      delete process.env.SEGSTATION_CPU_KERNELS;
    }
  });

  it('Adam weight decay is an L2 term in the gradient; AdamW decays the weight outside the adaptive step', () => {
    // Adam: g' = 0.5 + 0.1 * 1 = 0.6 -> still a step of lr against sign(g'), the decay is swallowed by normalisation.
    expectClose(run({ type: 'adam', lr: 0.1, weightDecay: 0.1 }, [1], [[0.5]]), [[0.9]]);
    // AdamW: w = 1 * (1 - 0.1 * 0.1) - 0.1 * 1 = 0.89.
    expectClose(run({ type: 'adamw', lr: 0.1, weightDecay: 0.1 }, [1], [[0.5]]), [[0.89]]);
    // With a zero gradient AdamW still decays: w = 2 * (1 - 0.01 * 0.5).
    expectClose(run({ type: 'adamw', lr: 0.01, weightDecay: 0.5 }, [2], [[0]]), [[1.99]]);
  });
});

describe('SGD', () => {
  it('Nesterov momentum as in PyTorch (buffer seeded with the first gradient)', () => {
    const [lr, mu] = [0.1, 0.9];
    const g1 = 1;
    const g2 = 2;
    const w1 = 1 - lr * (g1 + mu * g1);
    const buf2 = mu * g1 + g2;
    const w2 = w1 - lr * (g2 + mu * buf2);
    expectClose(run({ type: 'sgd', lr, momentum: mu, nesterov: true, weightDecay: 0 }, [1], [[g1], [g2]]), [[w1], [w2]]);
  });

  it('plain momentum and weight decay', () => {
    const [lr, mu, wd] = [0.1, 0.5, 0.01];
    const g1 = 1 + wd * 1;
    const w1 = 1 - lr * g1;
    const g2 = 1 + wd * w1;
    const w2 = w1 - lr * (mu * g1 + g2);
    expectClose(run({ type: 'sgd', lr, momentum: mu, nesterov: false, weightDecay: wd }, [1], [[1], [1]]), [[w1], [w2]]);
  });

  it('momentum 0 is plain gradient descent', () => {
    expectClose(run({ type: 'sgd', lr: 0.5, momentum: 0, nesterov: false, weightDecay: 0 }, [1, 2], [[1, -2]]), [[0.5, 3]]);
  });
});

describe('state for checkpoints', () => {
  it.each(['adam', 'adamw', 'sgd'] as const)('%s: a restored optimizer continues exactly', (type) => {
    const grads = [[0.3, -0.2], [0.1, 0.4], [-0.5, 0.2]];
    const straight = run({ type, lr: 0.05 }, [1, 2], grads);
    const w = variable([1, 2]);
    const first = createOptimizer({ type, lr: 0.05 });
    for (const g of grads.slice(0, 2)) first.applyGradients({ [w.name]: tf.tensor1d(g) });
    const state = JSON.parse(JSON.stringify(first.getState()));
    first.dispose();
    const second = createOptimizer({ type, lr: 0.05 });
    second.setState(state);
    expect(second.iterations).toBe(2);
    second.applyGradients({ [w.name]: tf.tensor1d(grads[2]) });
    expect(Array.from(w.dataSync())[0]).toBeCloseTo(straight[2][0], 6);
    expect(Array.from(w.dataSync())[1]).toBeCloseTo(straight[2][1], 6);
    expect(() => createOptimizer({ type: type === 'sgd' ? 'adam' : 'sgd' }).setState(state)).toThrow(/state is for/);
  });

  it('the learning rate is settable between steps', () => {
    const w = variable([0]);
    const optimizer = createOptimizer({ type: 'sgd', lr: 1, momentum: 0, weightDecay: 0 });
    optimizer.learningRate = 0.25;
    optimizer.applyGradients({ [w.name]: tf.tensor1d([1]) });
    expect(w.dataSync()[0]).toBeCloseTo(-0.25, 7);
  });

  it('works with tf.variableGrads and unknown names fail clearly', () => {
    const w = variable([3]);
    const optimizer = createOptimizer({ type: 'sgd', lr: 0.25, momentum: 0, weightDecay: 0 });
    const { grads, value } = tf.variableGrads(() => tf.sum(tf.square(w)) as tf.Scalar, [w]);
    optimizer.applyGradients(grads);
    expect(value.dataSync()[0]).toBe(9);
    expect(w.dataSync()[0]).toBeCloseTo(3 - 0.25 * 6, 7);
    expect(() => optimizer.applyGradients({ nope: tf.tensor1d([1]) })).toThrow(/no variable named 'nope'/);
  });
});

describe('config', () => {
  it('applies nnU-Net-like defaults and rejects bad values', () => {
    expect(OptimizerConfigSchema.parse({ type: 'sgd' })).toEqual({ type: 'sgd', lr: 0.01, momentum: 0.99, nesterov: true, weightDecay: 3e-5 });
    expect(OptimizerConfigSchema.safeParse({ type: 'adam', lr: -1 }).success).toBe(false);
    expect(OptimizerConfigSchema.safeParse({ type: 'adam', beta1: 1 }).success).toBe(false);
    expect(OptimizerConfigSchema.safeParse({ type: 'adam', momentum: 0.9 }).success).toBe(false);
    expect(OptimizerConfigSchema.safeParse({ type: 'rmsprop' }).success).toBe(false);
  });
});

describe('minimize', () => {
  it('computes gradients, clips by global norm and updates, without leaking tensors', () => {
    const a = variable([3]);
    const b = variable([4]);
    const optimizer = createOptimizer({ type: 'sgd', lr: 0.5, momentum: 0, weightDecay: 0 });
    const before = tf.memory().numTensors;
    // loss = (a^2 + b^2) / 2: gradient (3, 4), norm 5, clipped to norm 1 -> (0.6, 0.8).
    const result = optimizer.minimize(() => tf.div(tf.add(tf.sum(tf.square(a)), tf.sum(tf.square(b))), 2) as tf.Scalar, { variables: [a, b], clipNorm: 1 });
    expect(result).toEqual({ loss: 12.5, gradNorm: expect.closeTo(5, 5), clipped: true });
    expect(a.dataSync()[0]).toBeCloseTo(3 - 0.5 * 0.6, 5);
    expect(b.dataSync()[0]).toBeCloseTo(4 - 0.5 * 0.8, 5);
    expect(tf.memory().numTensors).toBe(before);
    const plain = optimizer.minimize(() => tf.sum(a) as tf.Scalar, { variables: [a] });
    expect(plain.clipped).toBe(false);
    expect(a.dataSync()[0]).toBeCloseTo(2.7 - 0.5, 5);
  });
});
