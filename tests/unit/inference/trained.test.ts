import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveModel } from '../../../models/card.ts';
import { runNetwork, type WeightStore } from '../../../models/forward.ts';
import { createNormalizer as createTrainingNormalizer } from '../../../main/training/transforms/normalize.ts';
import { exportTrainedModel } from '../../../main/inference/onnx/export.ts';
import { predictVolume } from '../../../main/inference/predict.ts';
import { normalizeChannels } from '../../../main/inference/preprocess.ts';
import { createSession } from '../../../main/inference/session.ts';
import { mulberry32 } from '../../../main/util/random.ts';
import { createVolume } from '../../../main/volume/volume.ts';
import { tempDir } from './helpers.ts';
import { trainedModelFixture } from './trainedFixture.ts';

let dir: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await tempDir('segstation-trained-');
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const trainedModel = (dropout: number) =>
  trainedModelFixture({ name: 'trained', filters: 3, classNames: ['background', 'phase'], dropout, seed: 4, scale: 0.8 });

describe('a trained model folder exported to ONNX', () => {
  it('normalises like training and predicts like the tfjs network', async () => {
    const { network, tensors, card } = trainedModel(0);
    const folder = path.join(dir, 'model');
    await saveModel(folder, card, tensors);
    const file = path.join(dir, 'trained.onnx');
    await exportTrainedModel(folder, file);
    const session = await createSession(file);
    expect(session.card).toMatchObject({ kind: '3d', output: 'logits', classNames: ['background', 'phase'], mcDropout: false, sizeDivisor: 2 });
    expect(session.card.normalization).toEqual({ kind: 'perChannel', channels: [{ scheme: 'zscore-sample' }] });

    const rng = mulberry32(8);
    const raw = Float32Array.from({ length: 8 * 8 * 8 }, () => 100 + rng() * 50);
    const normalized = normalizeChannels(raw, [{ scheme: 'zscore-sample' }]);
    const training = createTrainingNormalizer({ default: { scheme: 'zscore', source: 'sample' } }, []).normalize(raw, 1, 'default');
    expect([...normalized]).toEqual([...training]);

    // One window covering the volume: the ORT prediction is the softmax of the tfjs network's logits.
    const result = await predictVolume(createVolume({ shape: [8, 8, 8], data: raw }), [session], { roi: [8, 8, 8] });
    const store: WeightStore = new Map(tensors.map((t) => [t.name, tf.variable(tf.tensor(t.values, t.shape))]));
    const probs = tf.tidy(() => tf.softmax(runNetwork(network, store, tf.tensor(training, [1, 8, 8, 8, 1]), { training: false })[network.outputs[0].name]).dataSync() as Float32Array);
    const ours = result.volumes.probabilities.data as Float32Array;
    let max = 0;
    for (let i = 0; i < probs.length; i++) max = Math.max(max, Math.abs(probs[i] - ours[i]));
    expect(max).toBeLessThan(1e-4);
    for (const v of store.values()) v.dispose();
    await session.release();
  });

  it('with active dropout the session knows it can sample MC-dropout', async () => {
    const { tensors, card } = trainedModel(0.3);
    const folder = path.join(dir, 'model-dropout');
    await saveModel(folder, card, tensors);
    const file = path.join(dir, 'dropout.onnx');
    await exportTrainedModel(folder, file, { mcDropout: true });
    const session = await createSession(file);
    expect(session.card.mcDropout).toBe(true);
    const result = await predictVolume(createVolume({ shape: [8, 8, 8], data: new Float32Array(512).fill(1) }), [session], { uncertainty: 'mc', mcPasses: 4 });
    expect(Math.max(...(result.volumes.variance!.data as Float32Array))).toBeGreaterThan(0);
    await session.release();
  });
});
