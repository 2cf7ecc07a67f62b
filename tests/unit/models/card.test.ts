import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { assignWeights, loadModel, ModelCardSchema, parseModelCard, readWeights, saveModel, type ModelCard } from '../../../models/card.ts';
import { createWeights, disposeWeights } from '../../../models/forward.ts';
import { buildUNet } from '../../../models/unet.ts';
import { decodeWeights, encodeWeights } from '../../../models/weights.ts';

const spec = buildUNet({ kind: '2.5d', levels: 2, filters: 2 }, { imageChannels: 1, classes: 3 });
const hash = 'a'.repeat(64);
function card(): ModelCard {
  return {
    format: 'segstation.model-card/1',
    name: 'test',
    created: new Date(0).toISOString(),
    inputChannels: 1,
    spacing: [1, 1, 2],
    normalization: [{ channel: 0, modality: 'XCT', resolved: { scheme: 'linear', from: 'zscore', clip: null, offset: 100, divisor: 20, clamp01: false } }],
    patchSize: [16, 16, 1],
    classes: [
      { value: 0, name: 'pore', color: [0, 0, 0] },
      { value: 1, name: 'NMC', color: [230, 160, 40] },
      { value: 2, name: 'CB', color: [60, 140, 230] },
    ],
    trainingConfigHash: hash,
    datasetHash: hash,
    network: spec,
  };
}

describe('model card', () => {
  it('accepts a complete card and survives JSON', () => {
    expect(ModelCardSchema.parse(JSON.parse(JSON.stringify(card())))).toEqual(card());
  });

  it.each([
    ['a class list that disagrees with the head', (c: ModelCard) => c.classes.pop(), /classes/],
    ['a normalisation per channel missing', (c: ModelCard) => (c.normalization = []), /normalization/],
    ['a hash that is not SHA-256', (c: ModelCard) => (c.datasetHash = 'xyz'), /datasetHash/],
    ['a non-positive divisor', (c: ModelCard) => ((c.normalization[0].resolved as { divisor: number }).divisor = 0), /divisor/],
  ])('rejects %s', (_what, mutate, pattern) => {
    const c = card();
    mutate(c);
    expect(() => parseModelCard(c, 'card.json')).toThrow(pattern);
  });
});

describe('weights files', () => {
  it('round-trips values in spec order and detects corruption', () => {
    const tensors = [
      { name: 'a', shape: [2, 2], values: Float32Array.from([1, -2, 3.5, 1e-8]) },
      { name: 'b', shape: [3], values: Float32Array.from([0, 0.25, -7]) },
    ];
    const { manifest, bytes } = encodeWeights(tensors);
    expect(manifest.tensors.map((t) => [t.name, t.offset, t.length])).toEqual([['a', 0, 4], ['b', 16, 3]]);
    expect(new DataView(bytes.buffer).getFloat32(8, true)).toBe(3.5); // little-endian, documented layout
    expect(decodeWeights(manifest, bytes, 'w.json')).toEqual(tensors);
    const bad = bytes.slice();
    bad[3] ^= 1;
    expect(() => decodeWeights(manifest, bad, 'w.json')).toThrow(/sha256/);
    expect(() => decodeWeights(manifest, bytes.slice(0, 20), 'w.json')).toThrow(/bytes/);
  });

  it('saves a model folder atomically and loads it into a fresh network', async () => {
    await tf.setBackend('cpu');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'segstation-card-'));
    const target = path.join(dir, 'model');
    const a = createWeights(spec, 1);
    await saveModel(target, card(), readWeights(spec, a));
    expect((await readdir(target)).sort()).toEqual(['card.json', 'weights.bin', 'weights.json']);
    expect((await readdir(dir)).filter((f) => f.startsWith('.'))).toEqual([]); // no temporary left behind
    const loaded = await loadModel(target);
    const b = createWeights(spec, 2);
    assignWeights(spec, b, loaded.tensors, 'model');
    for (const w of spec.weights) expect(Array.from(b.get(w.name)?.dataSync() ?? [])).toEqual(Array.from(a.get(w.name)?.dataSync() ?? []));
    // A weights file for another network is refused by name and shape.
    const other = buildUNet({ kind: '2.5d', levels: 2, filters: 3 }, { imageChannels: 1, classes: 3 });
    const c = createWeights(other, 1);
    expect(() => assignWeights(other, c, loaded.tensors, 'model')).toThrow(/shape/);
    // A damaged card is an InputError naming the file.
    await writeFile(path.join(target, 'card.json'), (await readFile(path.join(target, 'card.json'), 'utf8')).replace('"inputChannels": 1', '"inputChannels": 0'));
    await expect(loadModel(target)).rejects.toThrow(/card.json/);
    [a, b, c].forEach(disposeWeights);
  });
});
