// The normaliser on statistics computed by the catalogue (main/dataset/statistics.ts) for a real project folder.
import '../../../../main/io/formats.ts';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDomain, computeStatistics, importCase, initProject } from '../../../../main/dataset/index.ts';
import { writeVolume } from '../../../../main/io/registry.ts';
import { normalizerForProject } from '../../../../main/training/transforms/index.ts';
import { mulberry32 } from '../../../../main/util/random.ts';
import { createVolume, type Vec3 } from '../../../../main/volume/volume.ts';
import { meanOf, stdOf } from './helpers.ts';

const SHAPE: Vec3 = [16, 12, 10];
const N = SHAPE[0] * SHAPE[1] * SHAPE[2];
let tmp = '';
let dir = '';
const ct = new Int16Array(N);
const label = new Uint8Array(N);
const mr = new Float32Array(N);

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'segstation-normalizer-'));
  dir = path.join(tmp, 'project');
  await initProject(dir);
  await addDomain(dir, { name: 'mri', normalization: 'rescale01' });
  const r = mulberry32(3);
  for (let i = 0; i < N; i++) {
    label[i] = i % SHAPE[0] >= 8 ? 1 : 0;
    // Foreground ~ 300 +- 200 HU with a few extreme outliers; background air.
    ct[i] = label[i] ? Math.round(300 + 200 * (r() - 0.5) * 2 + (i % 97 === 0 ? 3000 : 0)) : -1000;
    mr[i] = 50 + 400 * r();
  }
  const files = ['ct.nii.gz', 'ct-label.nii.gz', 'mr.nii.gz'].map((f) => path.join(tmp, f));
  await writeVolume(createVolume({ shape: SHAPE, data: ct, dtype: 'int16' }), files[0]);
  await writeVolume(createVolume({ shape: SHAPE, data: label, dtype: 'uint8' }), files[1]);
  await writeVolume(createVolume({ shape: SHAPE, data: mr, dtype: 'float32' }), files[2]);
  await importCase(dir, { image: files[0], label: files[1], caseId: 'c1', domain: 'thorax', modality: ['CT'] });
  await importCase(dir, { image: files[2], caseId: 'm1', domain: 'mri' });
  await computeStatistics(dir);
}, 120_000);

afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('normalizerForProject', () => {
  it('auto: CT by modality from the foreground statistics, the domain hint elsewhere', async () => {
    const n = await normalizerForProject(dir);
    const [thorax] = n.resolve('thorax', 1);
    expect(thorax).toMatchObject({ scheme: 'linear', from: 'ct' });
    const out = n.normalize(ct, 1, 'thorax');
    // Foreground of the one case, clipped to its own 0.5/99.5 percentiles: z-scored against the unclipped foreground.
    const fg = Array.from(out).filter((_, i) => label[i] > 0);
    expect(Math.abs(meanOf(fg))).toBeLessThan(0.15);
    expect(stdOf(fg)).toBeGreaterThan(0.5);
    expect(stdOf(fg)).toBeLessThan(1.05);
    // Air was clipped to p0.5 of the foreground.
    const air = out[label.indexOf(0)];
    expect(Math.min(...fg)).toBeCloseTo(air, 5);
    expect(n.resolve('mri', 1)).toEqual([{ scheme: 'rescale01-sample', bounds: 'minmax', clip: true }]);
    const mrOut = n.normalize(mr, 1, 'mri');
    expect(Math.min(...mrOut)).toBe(0);
    expect(Math.max(...mrOut)).toBe(1);
  });

  it('z-score from the domain statistics gives the foreground mean 0 and std 1', async () => {
    const n = await normalizerForProject(dir, { default: { scheme: 'zscore', source: 'domain' } });
    const fg = Array.from(n.normalize(ct, 1, 'thorax')).filter((_, i) => label[i] > 0);
    expect(meanOf(fg)).toBeCloseTo(0, 4);
    expect(stdOf(fg)).toBeCloseTo(1, 4);
    expect(() => n.check(['thorax', 'elsewhere'], 1)).toThrow(/domain "elsewhere" channel 0/);
  });
});
