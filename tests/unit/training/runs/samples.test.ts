// Sample pictures of a training run: the composed slice (image | truth | prediction) and its PNG decoded back with zlib
// inflate, pixel by pixel; names safe for URLs; atomic writes into runs/<id>/samples/.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodePng } from '../../../../main/report/png.ts';
import type { TrainingEvent } from '../../../../main/training/runs/events.ts';
import { composeSliceSample, sampleFileName, writeValidationSamples, type SliceSampleInput } from '../../../../main/training/runs/samples.ts';
import { train } from '../../../../main/training/runs/trainer.ts';
import { makeTinyProject } from '../../../fixtures/training/tiny-project.ts';
import { decodePng } from '../../report/decodePng.ts';

const colors: [number, number, number][] = [
  [0, 0, 0],
  [255, 0, 0],
  [0, 255, 0],
];

/** 3 x 2 x 3 volume; the middle slice (z = 1) holds image values 0..50 and labels/predictions that differ. */
function tiny(): SliceSampleInput {
  const shape = [3, 2, 3] as const;
  const n = 18;
  const image = new Float32Array(n).fill(-100);
  const label = new Uint8Array(n);
  const prediction = new Uint8Array(n);
  const mid = 6;
  [0, 10, 20, 30, 40, 50].forEach((v, i) => (image[mid + i] = v));
  [0, 1, 2, 0, 1, 2].forEach((v, i) => (label[mid + i] = v));
  [2, 1, 0, 0, 0, 1].forEach((v, i) => (prediction[mid + i] = v));
  return { shape, channels: 1, image, label, prediction };
}

describe('composeSliceSample', () => {
  it('puts image, truth and prediction of the middle slice side by side with a 2-pixel gap', () => {
    const r = composeSliceSample(tiny(), colors);
    expect([r.width, r.height, r.channels]).toEqual([3 * 3 + 2 * 2, 2, 3]);
    const at = (x: number, y: number) => Array.from(r.pixels.subarray((y * r.width + x) * 3, (y * r.width + x) * 3 + 3));
    // Image panel: windowed to the slice's own range 0..50 (the -100s of other slices do not count).
    expect([at(0, 0), at(1, 0), at(2, 1)]).toEqual([[0, 0, 0], [51, 51, 51], [255, 255, 255]]);
    expect(at(3, 0)).toEqual([40, 40, 40]);
    // Truth panel starts at x = 5, prediction at x = 10.
    expect([at(5, 0), at(6, 0), at(7, 0), at(6, 1)]).toEqual([colors[0], colors[1], colors[2], colors[1]]);
    expect([at(10, 0), at(11, 0), at(12, 0), at(12, 1)]).toEqual([colors[2], colors[1], colors[0], colors[1]]);
  });

  it('refuses arrays that do not match the shape', () => {
    expect(() => composeSliceSample({ ...tiny(), label: new Uint8Array(5) }, colors)).toThrow(/do not match/);
  });

  it('shrinks large slices by an integer stride', () => {
    const n = 600 * 10 * 1;
    const r = composeSliceSample({ shape: [600, 10, 1], channels: 1, image: new Float32Array(n), label: new Uint8Array(n), prediction: new Uint8Array(n) }, colors);
    expect([r.width, r.height]).toEqual([3 * 200 + 4, 4]);
  });
});

describe('PNG of a sample', () => {
  it('decodes back (zlib inflate) to the same pixels', () => {
    const r = composeSliceSample(tiny(), colors);
    const png = decodePng(encodePng(r));
    expect([png.width, png.height, png.channels]).toEqual([r.width, r.height, 3]);
    expect(Array.from(png.pixels)).toEqual(Array.from(r.pixels));
  });
});

describe('sample files', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'segstation-samples-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it.each([
    ['case0', 'val-case0.png'],
    ['a b/../c', 'val-a_b_.._c.png'],
    ['ü-1.x', 'val-_-1.x.png'],
  ])('names case %j %j', (id, name) => expect(sampleFileName(id)).toBe(name));

  it('writes one PNG per case into samples/ and leaves no temporary file', async () => {
    const files = await writeValidationSamples(tmp, [{ ...tiny(), id: 'c1' }, { ...tiny(), id: 'c2' }], colors);
    expect(files).toEqual(['val-c1.png', 'val-c2.png']);
    expect(readdirSync(path.join(tmp, 'samples')).sort()).toEqual(files);
    expect(decodePng(new Uint8Array(readFileSync(path.join(tmp, 'samples', 'val-c2.png')))).width).toBe(13);
  });
});

describe('samples of a training run', () => {
  it('after each validation writes the first validation cases as PNGs and announces them', async () => {
    const project = await makeTinyProject({ cases: 4, shape: [24, 20, 4] });
    try {
      const events: TrainingEvent[] = [];
      const config = {
        seed: 2, backend: 'cpu', network: { kind: '2.5d', levels: 2, filters: 4 }, patchSize: [16, 16], batchSize: 2,
        epochs: 2, stepsPerEpoch: 1, optimizer: { type: 'adam', lr: 0.01 }, augmentation: { affine: { pRotation: 0, pScale: 0 } },
      };
      const result = await train({ project, config, prefetch: false, onEvent: (e) => events.push(e) });
      const samples = events.filter((e): e is Extract<TrainingEvent, { type: 'samples' }> => e.type === 'samples');
      expect(samples.map((e) => [e.epoch, e.step])).toEqual([[0, 1], [1, 2]]);
      const start = events.find((e) => e.type === 'start') as Extract<TrainingEvent, { type: 'start' }>;
      const shown = start.valCases.slice(0, 2);
      expect(samples[1].cases).toEqual(shown);
      expect(samples[1].files).toEqual(shown.map(sampleFileName));
      // Each sample comes before its epoch's event, so the dashboard shows it with that epoch's Dice.
      expect(events.findIndex((e) => e.type === 'samples')).toBeLessThan(events.findIndex((e) => e.type === 'epoch'));
      const dir = path.join(result.folder, 'samples');
      expect(readdirSync(dir).sort()).toEqual([...samples[1].files].sort());
      const png = decodePng(new Uint8Array(readFileSync(path.join(dir, samples[1].files[0]))));
      expect([png.width, png.height]).toEqual([3 * 24 + 4, 20]);
    } finally {
      rmSync(path.dirname(project), { recursive: true, force: true });
    }
  }, 60_000);
});
