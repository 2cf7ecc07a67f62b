import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession, parseProviders, softmaxChannelsFirst } from '../../../main/inference/session.ts';
import { loadModelCard, parseModelCard } from '../../../main/inference/modelCard.ts';
import { predictVolume } from '../../../main/inference/predict.ts';
import { createVolume } from '../../../main/volume/volume.ts';
import { InputError } from '../../../main/util/errors.ts';
import { cardFor, softmaxGraph, tempDir, writeModel } from './helpers.ts';

let dir: string;
let model: string;
beforeAll(async () => {
  dir = await tempDir();
  model = await writeModel(dir, 'softmax', softmaxGraph(2), cardFor(2));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('createSession', () => {
  it('opens on CPU and says so', async () => {
    const s = await createSession(model);
    expect(s.provider).toBe('cpu');
    expect(s.providerMessage).toMatch(/^execution provider: cpu/);
    expect(s.classes).toBe(2);
    const out = await s.run(Float32Array.from([0, 1, 0, 1]), [1, 2, 1, 1, 2]);
    expect(out[0]).toBeCloseTo(0.5, 6);
    await s.release();
  });

  it('falls back from an unavailable provider to CPU, naming both', async () => {
    const s = await createSession(model, { providers: ['cuda', 'webgpu'] });
    expect(['cuda', 'webgpu', 'cpu']).toContain(s.provider);
    expect(s.providerMessage).toContain(`execution provider: ${s.provider}`);
    if (s.provider === 'cpu') expect(s.providerMessage).toMatch(/cuda unavailable/);
    await s.release();
  });

  it('refuses an unknown provider clearly', async () => {
    await expect(createSession(model, { providers: ['tpu'] })).rejects.toThrow(/unknown execution provider 'tpu' \(known: cpu, cuda, webgpu\)/);
    expect(() => parseProviders(['CPU', 'cuda'])).not.toThrow();
  });

  it('refuses a corrupt ONNX file, naming it', async () => {
    const bad = path.join(dir, 'corrupt.onnx');
    const bytes = await fs.readFile(model);
    await fs.writeFile(bad, bytes.subarray(0, 40));
    await fs.copyFile(path.join(dir, 'softmax.card.json'), path.join(dir, 'corrupt.card.json'));
    const error = await createSession(bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).subject).toBe(bad);
    expect((error as Error).message).toMatch(/not a valid ONNX model/);
  });

  it('refuses a missing model and a missing card', async () => {
    await expect(createSession(path.join(dir, 'nope.onnx'))).rejects.toThrow(/nope\.onnx: model file not found/);
    const lonely = path.join(dir, 'lonely.onnx');
    await fs.copyFile(model, lonely);
    await expect(createSession(lonely)).rejects.toThrow(/lonely\.card\.json: model card not found/);
  });

  it('refuses a card that disagrees with the graph', async () => {
    const wrong = await writeModel(dir, 'wrong', softmaxGraph(2), cardFor(2, { inputChannels: 3, classNames: ['a', 'b', 'c'] }));
    await expect(createSession(wrong)).rejects.toThrow(/has 2 channels but the card says 3.*output 'probabilities' has 2 channels but the card names 3 classes/);
  });

  it('refuses a volume with the wrong channel count', async () => {
    const s = await createSession(model);
    const volume = createVolume({ shape: [4, 4, 4], components: 3 });
    await expect(predictVolume(volume, [s], {}, 'scan.nii.gz')).rejects.toThrow(
      /^scan\.nii\.gz: has 3 image channels but model .*softmax\.onnx expects 2 \(model card .*softmax\.card\.json\)/,
    );
    await s.release();
  });
});

describe('model card', () => {
  it.each([
    [{ inputChannels: 0 }, /inputChannels/],
    [{ classNames: ['only'] }, /classNames/],
    [{ kind: '2d', patchSize: [8, 8, 8] }, /patchSize 1 along its slice axis z/],
    [{ normalization: { kind: 'zscore', mean: [0, 1, 2], std: [1, 1, 1] } }, /one value per input channel \(2\)/],
    [{ layout: 'channels-last' }, /layout/],
  ])('rejects %j', (override, pattern) => {
    expect(() => parseModelCard({ ...cardFor(2), ...override }, 'm.card.json')).toThrow(pattern);
  });

  it('reports invalid JSON with the file name', async () => {
    const file = path.join(dir, 'broken.card.json');
    await fs.writeFile(file, '{ not json');
    await expect(loadModelCard(file)).rejects.toThrow(/broken\.card\.json: model card is not valid JSON/);
  });
});

it('softmaxChannelsFirst normalises along axis 1', () => {
  const d = softmaxChannelsFirst(Float32Array.from([0, Math.log(3), 0, 0]), [1, 2, 2]);
  expect([...d].map((v) => +v.toFixed(6))).toEqual([0.5, 0.75, 0.5, 0.25]);
});
