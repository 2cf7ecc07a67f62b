import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { runNetwork, type WeightStore } from '../../../models/forward.ts';
import type { NetworkSpec } from '../../../models/spec.ts';
import { buildUNet, type UNetConfigInput } from '../../../models/unet.ts';
import { exportOnnx, kernelToChannelsFirst, saveExportedModel } from '../../../main/inference/onnx/export.ts';
import { predictVolume } from '../../../main/inference/predict.ts';
import { createSession } from '../../../main/inference/session.ts';
import { createVolume } from '../../../main/volume/volume.ts';
import { mulberry32 } from '../../../main/util/random.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Every weight random (kernels, biases, norm affine, positive moving variances), seeded. */
function randomWeights(spec: NetworkSpec, seed: number): Map<string, Float32Array> {
  const rng = mulberry32(seed);
  const out = new Map<string, Float32Array>();
  for (const w of spec.weights) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    const fan = w.shape.length > 1 ? n / w.shape[w.shape.length - 1] : 1;
    const scale = w.shape.length > 1 ? Math.sqrt(2 / fan) : 0.3;
    const positive = /variance/i.test(w.name);
    out.set(w.name, Float32Array.from({ length: n }, () => (positive ? 0.5 + rng() : (rng() - 0.5) * 2 * scale + (/gamma/i.test(w.name) ? 1 : 0))));
  }
  return out;
}

/** NDHWC -> NCDHW (or NHWC -> NCHW). */
function toChannelsFirst(data: Float32Array, shape: number[]): Float32Array {
  const c = shape[shape.length - 1];
  const spatial = shape.slice(1, -1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(data.length);
  for (let n = 0; n < shape[0]; n++) for (let s = 0; s < spatial; s++) for (let k = 0; k < c; k++) out[(n * c + k) * spatial + s] = data[(n * spatial + s) * c + k];
  return out;
}

async function compare(config: UNetConfigInput, size: number[], mcDropout = false) {
  const spec = buildUNet(config, { imageChannels: 2, classes: 3, name: 'tiny' });
  const weights = randomWeights(spec, 17);
  const store: WeightStore = new Map([...weights].map(([name, data]) => [name, tf.variable(tf.tensor(data, spec.weights.find((w) => w.name === name)!.shape))]));
  const rng = mulberry32(3);
  const inShape = [1, ...size, spec.inputChannels];
  const input = Float32Array.from({ length: inShape.reduce((a, b) => a * b, 1) }, () => rng() * 2 - 1);
  const logits = tf.tidy(() => runNetwork(spec, store, tf.tensor(input, inShape), { training: false }));
  const name = spec.outputs[0].name;
  const tfOut = toChannelsFirst(logits[name].dataSync() as Float32Array, logits[name].shape);
  const session = await ort.InferenceSession.create(exportOnnx(spec, weights, { mcDropout }).toBytes());
  const chw = [1, spec.inputChannels, ...size];
  const run = async () => (await session.run({ image: new ort.Tensor('float32', toChannelsFirst(input, inShape), chw) })).logits;
  const out = await run();
  expect(out.dims).toEqual([1, 3, ...size]);
  let maxDiff = 0;
  const onnxOut = out.data as Float32Array;
  for (let i = 0; i < tfOut.length; i++) maxDiff = Math.max(maxDiff, Math.abs(tfOut[i] - onnxOut[i]));
  for (const v of store.values()) v.dispose();
  tf.dispose(logits);
  return { maxDiff, run, session, scale: Math.max(...tfOut.map(Math.abs)) };
}

describe('exportOnnx: tfjs and ONNX Runtime agree to 1e-4', () => {
  it.each([
    ['3d plain, instance norm', { kind: '3d', levels: 2, filters: 4, norm: 'instance' }, [8, 8, 8]],
    ['3d residual (strided convs), batch norm', { kind: '3d', levels: 3, filters: 4, norm: 'batch', residual: true }, [8, 12, 8]],
    ['3d residual (strided convs), instance norm', { kind: '3d', levels: 3, filters: 4, norm: 'instance', residual: true }, [8, 12, 8]],
    ['3d residual (strided convs), no norm', { kind: '3d', levels: 2, filters: 4, norm: 'none', residual: true }, [4, 4, 4]],
    ['3d plain, batch norm', { kind: '3d', levels: 2, filters: 4, norm: 'batch' }, [8, 8, 8]],
    ['3d plain, group norm', { kind: '3d', levels: 2, filters: 4, norm: 'group', groups: 2 }, [6, 8, 4]],
    ['2d plain, group norm, dropout off at inference', { kind: '2d', levels: 3, filters: 4, norm: 'group', groups: 2, dropout: 0.3 }, [12, 16]],
    ['2.5d residual, no norm', { kind: '2.5d', context: 1, levels: 2, filters: 3, norm: 'none', residual: true }, [10, 6]],
  ] as [string, UNetConfigInput, number[]][])('%s', async (_, config, size) => {
    const { maxDiff, scale, session } = await compare(config, size);
    expect(scale).toBeGreaterThan(0.1);
    expect(maxDiff).toBeLessThan(1e-4);
    await session.release();
  });

  it('keeps dropout active with mcDropout: repeated runs differ', async () => {
    const { run, session } = await compare({ kind: '3d', levels: 2, filters: 4, norm: 'instance', dropout: 0.5 }, [4, 4, 4], true);
    const a = (await run()).data as Float32Array;
    const b = (await run()).data as Float32Array;
    expect(a.some((v, i) => v !== b[i])).toBe(true);
    await session.release();
  });
});

it('kernelToChannelsFirst: [k, Cin, Cout] -> [Cout, Cin, k]', () => {
  // k = 2, Cin = 1, Cout = 3: data[(s * 1 + 0) * 3 + o] = 10 s + o
  const { data, dims } = kernelToChannelsFirst(Float32Array.from([0, 1, 2, 10, 11, 12]), [2, 1, 3]);
  expect(dims).toEqual([3, 1, 2]);
  expect([...data]).toEqual([0, 10, 1, 11, 2, 12]);
});

describe('saveExportedModel', () => {
  it('writes a model and card that a session opens and predicts with', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'segstation-export-'));
    const spec = buildUNet({ kind: '3d', levels: 2, filters: 2, norm: 'instance', dropout: 0.2 }, { imageChannels: 1, classes: 2, name: 'tiny' });
    const file = path.join(dir, 'tiny.onnx');
    await saveExportedModel(file, spec, randomWeights(spec, 1), {
      classNames: ['background', 'phase'],
      spacing: null,
      normalization: { kind: 'none' },
      patchSize: [8, 8, 8],
    }, { mcDropout: true });
    const session = await createSession(file);
    expect(session.card).toMatchObject({ kind: '3d', output: 'logits', mcDropout: true, sizeDivisor: 2 });
    const result = await predictVolume(createVolume({ shape: [10, 9, 8], data: new Float32Array(720).fill(0.5) }), [session], { uncertainty: 'mc', mcPasses: 3 });
    expect(result.volumes.label.shape).toEqual([10, 9, 8]);
    await expect(predictVolume(createVolume({ shape: [10, 9, 8] }), [session], { roi: [7, 8, 8] })).rejects.toThrow(/multiple of the model's size divisor 2/);
    await session.release();
    await fs.rm(dir, { recursive: true, force: true });
  });
});
