import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createWeights, disposeWeights, normActivationPairs, runNetwork, trainableVariables } from '../../../models/forward.ts';
import { buildUNet, type UNetConfigInput } from '../../../models/unet.ts';
import { ensureGradients, registerCpuKernelFixes } from '../../../main/training/backend/index.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await ensureGradients();
  registerCpuKernelFixes();
});

afterEach(() => {
  delete process.env.SEGSTATION_CPU_KERNELS;
});

/** Loss value and every weight's gradient for one batch. */
function lossAndGradients(config: UNetConfigInput, inputShape: number[]): { loss: number; grads: Map<string, Float32Array> } {
  const spec = buildUNet(config, { imageChannels: 1, classes: 3 });
  const store = createWeights(spec, 7);
  const vars = trainableVariables(spec, store);
  const x = tf.randomNormal(inputShape, 0, 1, 'float32', 3);
  const probe = tf.randomNormal([...inputShape.slice(0, -1), 3], 0, 1, 'float32', 4);
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(runNetwork(spec, store, x, { training: true }).segmentation, probe)) as tf.Scalar, vars);
  // Keyed by the weight's name in the spec (variable names carry a per-store prefix).
  const byWeight = new Map([...store.entries()].map(([name, v]) => [v.name, name]));
  const result = { loss: value.dataSync()[0], grads: new Map(Object.entries(grads).map(([k, g]) => [byWeight.get(k) ?? k, g.dataSync() as Float32Array])) };
  tf.dispose([x, probe, value, ...Object.values(grads)]);
  disposeWeights(store);
  return result;
}

describe('norm + leaky ReLU fusion', () => {
  it.each([
    ['plain U-Net, instance norm (2 blocks per level, 3 levels of blocks)', { kind: '2d', levels: 2, filters: 4 } as UNetConfigInput, 6],
    ['residual U-Net, group norm (norm -> add -> act is not fused)', { kind: '2d', levels: 2, filters: 4, residual: true, norm: 'group', groups: 2 } as UNetConfigInput, 4],
    ['batch norm (never fused)', { kind: '2d', levels: 2, filters: 4, norm: 'batch' } as UNetConfigInput, 0],
  ])('%s: fuses the norms whose one consumer is the activation after them', (_name, config, pairs) => {
    const spec = buildUNet(config, { imageChannels: 1, classes: 3 });
    const plan = normActivationPairs(spec);
    expect(plan.size).toBe(pairs);
    for (const [normId, act] of plan) expect(act.input).toBe(normId);
  });

  it.each([
    ['plain 2D U-Net, instance norm', { kind: '2d', levels: 3, filters: 8 } as UNetConfigInput, [2, 16, 16, 1]],
    ['residual 3D U-Net, group norm', { kind: '3d', levels: 2, filters: 4, residual: true, norm: 'group', groups: 2 } as UNetConfigInput, [1, 4, 8, 8, 1]],
  ])('%s: loss and gradients equal those of the separate ops', (_name, config, inputShape) => {
    const fused = lossAndGradients(config, inputShape);
    process.env.SEGSTATION_CPU_KERNELS = 'tfjs'; // norm and tfjs' leaky ReLU as separate ops
    const separate = lossAndGradients(config, inputShape);
    expect(fused.loss).toBeCloseTo(separate.loss, 3);
    expect([...fused.grads.keys()].sort()).toEqual([...separate.grads.keys()].sort());
    for (const [name, g] of fused.grads) {
      const ref = separate.grads.get(name) as Float32Array;
      const scale = Math.max(1e-6, ...Array.from(ref, Math.abs));
      let diff = 0;
      for (let i = 0; i < g.length; i++) diff = Math.max(diff, Math.abs(g[i] - ref[i]));
      expect(diff / scale, name).toBeLessThan(1e-3);
    }
  });
});
