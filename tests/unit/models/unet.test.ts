import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { createWeights, disposeWeights, runNetwork } from '../../../models/forward.ts';
import { NetworkSpecSchema, nodeWeights, parameterCount, weightsOfPart } from '../../../models/spec.ts';
import { buildUNet, levelFilters, type UNetConfigInput } from '../../../models/unet.ts';
import { ensureGradients, registerCpuKernelFixes } from '../../../main/training/backend/index.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await ensureGradients();
  registerCpuKernelFixes();
});

type Variant = [string, UNetConfigInput, number[], Record<string, number[]>];
const variants: Variant[] = [
  ['2d plain', { kind: '2d', levels: 3, filters: 4 }, [2, 16, 16, 1], { segmentation: [2, 16, 16, 3] }],
  ['2.5d context 2', { kind: '2.5d', context: 2, levels: 2, filters: 4 }, [1, 8, 12, 5], { segmentation: [1, 8, 12, 3] }],
  ['3d', { kind: '3d', levels: 2, filters: 2 }, [1, 4, 8, 8, 1], { segmentation: [1, 4, 8, 8, 3] }],
  ['3d residual, batch norm', { kind: '3d', levels: 3, filters: 2, residual: true, norm: 'batch' }, [2, 4, 4, 8, 1], { segmentation: [2, 4, 4, 8, 3] }],
  ['2d group norm, dropout, deep supervision', { kind: '2d', levels: 4, filters: 8, norm: 'group', groups: 4, dropout: 0.2, deepSupervision: true }, [1, 16, 16, 1], {
    segmentation: [1, 16, 16, 3],
    segmentation_ds1: [1, 8, 8, 3],
    segmentation_ds2: [1, 4, 4, 3],
  }],
  ['2d two heads on one encoder', { kind: '2d', levels: 2, filters: 4, norm: 'none', heads: [{ name: 'seg' }, { name: 'edges', classes: 2, decoder: 'aux' }] }, [1, 8, 8, 1], {
    seg: [1, 8, 8, 3],
    edges: [1, 8, 8, 2],
  }],
];

describe('U-Net variants', () => {
  it.each(variants)('%s: output shapes', (_name, config, inputShape, expected) => {
    const spec = buildUNet(config, { imageChannels: 1, classes: 3 });
    expect(spec.inputChannels).toBe(inputShape[inputShape.length - 1]);
    const store = createWeights(spec, 1);
    const shapes = tf.tidy(() => {
      const out = runNetwork(spec, store, tf.randomNormal(inputShape, 0, 1, 'float32', 3), { training: true, random: () => 0.5 });
      return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.shape]));
    });
    disposeWeights(store);
    expect(shapes).toEqual(expected);
  });

  it.each(variants)('%s: spec and weights agree', (_name, config) => {
    const spec = buildUNet(config, { imageChannels: 1, classes: 3 });
    expect(NetworkSpecSchema.safeParse(JSON.parse(JSON.stringify(spec))).success).toBe(true);
    const used = spec.nodes.flatMap(nodeWeights);
    expect(new Set(used).size).toBe(used.length); // no weight shared by two nodes
    expect([...used].sort()).toEqual(spec.weights.map((w) => w.name).sort());
    const store = createWeights(spec, 0);
    for (const w of spec.weights) expect(store.get(w.name)?.shape).toEqual(w.shape);
    const count = spec.weights.filter((w) => w.trainable).reduce((s, w) => s + (store.get(w.name)?.size ?? 0), 0);
    expect(parameterCount(spec)).toBe(count);
    disposeWeights(store);
  });

  it('shares the encoder between heads: every head part has its own weights, the encoder is counted once', () => {
    const spec = buildUNet({ kind: '2d', levels: 2, filters: 4, heads: [{ name: 'a' }, { name: 'b', decoder: 'other' }] }, { imageChannels: 1, classes: 2 });
    expect(weightsOfPart(spec, 'encoder').length).toBeGreaterThan(0);
    expect(weightsOfPart(spec, 'decoder:main').length).toBe(weightsOfPart(spec, 'decoder:other').length);
    expect(weightsOfPart(spec, 'head:a').map((w) => w.shape)).toEqual([[1, 1, 4, 2], [2]]);
  });

  it('doubles filters per level up to maxFilters', () => {
    expect(levelFilters({ levels: 5, filters: 16, maxFilters: 64 })).toEqual([16, 32, 64, 64, 64]);
  });

  it('MC-dropout: inference is deterministic unless dropout is kept active', () => {
    const spec = buildUNet({ kind: '2d', levels: 2, filters: 4, dropout: 0.5 }, { imageChannels: 1, classes: 2 });
    const store = createWeights(spec, 2);
    const x = tf.randomNormal([1, 8, 8, 1], 0, 1, 'float32', 5);
    let seed = 0;
    const random = (): number => (seed = (seed + 0.123) % 1);
    const run = (mc: boolean): Float32Array => tf.tidy(() => runNetwork(spec, store, x, { training: false, mcDropout: mc, random }).segmentation.dataSync() as Float32Array);
    expect(Array.from(run(false))).toEqual(Array.from(run(false)));
    expect(Array.from(run(true))).not.toEqual(Array.from(run(true)));
    disposeWeights(store);
  });

  it('batch norm: training updates the moving statistics it reports', () => {
    const spec = buildUNet({ kind: '2d', levels: 2, filters: 2, norm: 'batch' }, { imageChannels: 1, classes: 2 });
    const store = createWeights(spec, 1);
    const updates: { name: string; value: tf.Tensor }[] = [];
    tf.tidy(() => runNetwork(spec, store, tf.fill([2, 4, 4, 1], 3), { training: true, statUpdates: updates }));
    const names = spec.weights.filter((w) => !w.trainable).map((w) => w.name);
    expect(updates.map((u) => u.name).sort()).toEqual([...names].sort());
    // Constant input 3: the first layer's moving mean moves from 0 towards the batch mean.
    const first = updates.find((u) => u.name === 'enc0/a/norm/moving_mean');
    expect(first).toBeDefined();
    tf.dispose(updates.map((u) => u.value));
    disposeWeights(store);
  });

  it('refuses inputs of the wrong rank, channels or size', () => {
    const spec = buildUNet({ kind: '2d', levels: 3, filters: 2 }, { imageChannels: 1, classes: 2 });
    const store = createWeights(spec, 1);
    expect(() => tf.tidy(() => runNetwork(spec, store, tf.zeros([1, 8, 8, 2]), { training: false }))).toThrow(/channels/);
    expect(() => tf.tidy(() => runNetwork(spec, store, tf.zeros([1, 6, 8, 1]), { training: false }))).toThrow(/multiple of 4/);
    expect(() => tf.tidy(() => runNetwork(spec, store, tf.zeros([1, 8, 8, 8, 1]), { training: false }))).toThrow(/rank/);
    disposeWeights(store);
  });

  it('rejects a spec whose node reads a later node or an undeclared weight', () => {
    const spec = buildUNet({ kind: '2d', levels: 2, filters: 2 }, { imageChannels: 1, classes: 2 });
    const broken = JSON.parse(JSON.stringify(spec));
    broken.nodes[1].input = 'head_segmentation';
    expect(NetworkSpecSchema.safeParse(broken).success).toBe(false);
    const missing = JSON.parse(JSON.stringify(spec));
    missing.weights.pop();
    expect(NetworkSpecSchema.safeParse(missing).error?.issues[0].message).toMatch(/not declared/);
  });
});
