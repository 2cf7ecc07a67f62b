import '../../../main/io/formats.ts';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assignSplits,
  computeStatistics,
  DomainStatisticsSchema,
  FINE_HISTOGRAM_BINS,
  getSplits,
  importCase,
  initProject,
  listStatistics,
  type DomainStatistics,
} from '../../../main/dataset/index.ts';
import { readVolume, writeVolume } from '../../../main/io/registry.ts';
import type { TypedArray } from '../../../main/volume/dtype.ts';
import type { Vec3, Volume } from '../../../main/volume/volume.ts';
import { sharedPath } from '../../helpers/shared-data.ts';
import { labelPhantom, phantom, tempDir } from './helpers.ts';

/** numpy.percentile(values, p) with the default 'linear' method. */
function npPercentile(sorted: Float64Array, p: number): number {
  const h = ((sorted.length - 1) * p) / 100;
  const lo = Math.floor(h);
  return lo + 1 < sorted.length ? sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]) : sorted[lo];
}

interface Reference {
  n: number;
  mean: number;
  std: number;
  p0_5: number;
  p99_5: number;
  min: number;
  max: number;
}

/** Statistics straight from the arrays: the finite voxels of `images` where the matching mask is > 0. */
function reference(images: TypedArray[], masks: (TypedArray | null)[]): Reference {
  const values: number[] = [];
  images.forEach((data, k) => {
    const mask = masks[k];
    for (let i = 0; i < data.length; i++) {
      if (mask && !(mask[i] > 0)) continue;
      if (Number.isFinite(data[i])) values.push(data[i]);
    }
  });
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  let sum = 0;
  for (const v of sorted) sum += v;
  const mean = sum / n;
  let ss = 0;
  for (const v of sorted) ss += (v - mean) ** 2;
  return {
    n,
    mean,
    std: Math.sqrt(ss / n),
    p0_5: npPercentile(sorted, 0.5),
    p99_5: npPercentile(sorted, 99.5),
    min: sorted[0],
    max: sorted[n - 1],
  };
}

function expectMatches(s: DomainStatistics, ref: Reference, percentileTolerance = 0): void {
  expect(DomainStatisticsSchema.parse(s)).toEqual(s);
  expect(s.voxelCount).toBe(ref.n);
  expect(s.min).toBe(ref.min);
  expect(s.max).toBe(ref.max);
  expect(Math.abs((s.mean as number) - ref.mean)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(ref.mean)));
  expect(Math.abs((s.std as number) - ref.std)).toBeLessThanOrEqual(1e-9 * Math.max(1, ref.std));
  if (percentileTolerance === 0) {
    expect(s.p0_5).toBeCloseTo(ref.p0_5, 9);
    expect(s.p99_5).toBeCloseTo(ref.p99_5, 9);
  } else {
    expect(Math.abs((s.p0_5 as number) - ref.p0_5)).toBeLessThanOrEqual(percentileTolerance);
    expect(Math.abs((s.p99_5 as number) - ref.p99_5)).toBeLessThanOrEqual(percentileTolerance);
  }
  const { bins, counts } = s.histogram;
  expect(bins.length).toBe(counts.length + 1);
  expect(counts.reduce((a, b) => a + b, 0)).toBe(ref.n);
  expect(bins[0]).toBeLessThanOrEqual(ref.min);
  expect(bins[bins.length - 1]).toBeGreaterThanOrEqual(ref.max);
}

const SHAPE: Vec3 = [8, 8, 150]; // 150 planes: three slabs at 64 planes per chunk row
const SLAB = { slabVoxels: 8 * 8 * 64 };

interface CaseFixture {
  id: string;
  domain: string;
  channels: Volume[];
  label: Volume | null;
}

let tmp: string;
let dir: string;
const cases: CaseFixture[] = [];

function find(stats: DomainStatistics[], domain: string, channel: number): DomainStatistics {
  const found = stats.find((s) => s.domain === domain && s.channel === channel);
  if (!found) throw new Error(`no statistics for ${domain} channel ${channel}`);
  return found;
}

function referenceFor(domain: string, channel: number, exclude: readonly string[] = []): Reference {
  const inDomain = cases.filter((c) => c.domain === domain && !exclude.includes(c.id));
  const labelled = inDomain.filter((c) => c.label);
  const used = labelled.length > 0 ? labelled : inDomain;
  return reference(
    used.map((c) => c.channels[channel].data),
    used.map((c) => (labelled.length > 0 ? (c.label as Volume).data : null)),
  );
}

beforeAll(async () => {
  tmp = await tempDir('stats');
  dir = path.join(tmp, 'project');
  await initProject(dir);
  const specs: { id: string; domain: string; labelled: boolean; seed: number }[] = [
    { id: 'a1', domain: 'A', labelled: true, seed: 1 },
    { id: 'a2', domain: 'A', labelled: true, seed: 2 },
    { id: 'a3', domain: 'A', labelled: true, seed: 3 },
    { id: 'a4', domain: 'A', labelled: false, seed: 4 }, // left out: A has labelled cases
    { id: 'b1', domain: 'B', labelled: false, seed: 5 },
    { id: 'b2', domain: 'B', labelled: false, seed: 6 },
  ];
  for (const spec of specs) {
    // Channel 0: float32 with a wide spread (and a NaN and an infinity in one case); channel 1: int16.
    const c0 = phantom({
      shape: SHAPE,
      seed: spec.seed,
      value: (i, _c, r) => (spec.id === 'b2' && i === 5 ? NaN : spec.id === 'b2' && i === 6 ? Infinity : (r() - 0.3) * 1000 * spec.seed),
    });
    const c1 = phantom({ shape: SHAPE, seed: spec.seed + 100, dtype: 'int16', value: (_i, _c, r) => Math.floor(r() * 3000) - 1000 });
    const label = spec.labelled ? labelPhantom({ shape: SHAPE, seed: spec.seed }) : null;
    const files = [path.join(tmp, `${spec.id}-0.nii.gz`), path.join(tmp, `${spec.id}-1.nrrd`)];
    await writeVolume(c0, files[0]);
    await writeVolume(c1, files[1]);
    let labelFile: string | undefined;
    if (label) {
      labelFile = path.join(tmp, `${spec.id}-label.nii.gz`);
      await writeVolume(label, labelFile);
    }
    await importCase(dir, { image: files, label: labelFile, caseId: spec.id, domain: spec.domain, modality: ['CT', 'PET'] });
    cases.push({ id: spec.id, domain: spec.domain, channels: [c0, c1], label });
  }
}, 120_000);

afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('computeStatistics', () => {
  it('matches statistics computed from the raw arrays (foreground for labelled domains, all voxels otherwise)', async () => {
    const stats = await computeStatistics(dir, SLAB);
    expect(stats.map((s) => [s.domain, s.channel, s.mask, s.caseCount, s.modality, s.percentileMethod])).toEqual([
      ['A', 0, 'foreground', 3, 'CT', 'exact'],
      ['A', 1, 'foreground', 3, 'PET', 'exact'],
      ['B', 0, 'all', 2, 'CT', 'exact'],
      ['B', 1, 'all', 2, 'PET', 'exact'],
    ]);
    for (const s of stats) expectMatches(s, referenceFor(s.domain, s.channel));
    // The NaN and the infinity of b2 are skipped.
    expect(find(stats, 'B', 0).voxelCount).toBe(2 * 8 * 8 * 150 - 2);
    // int16 channel with a small range: unit bins.
    const a1 = find(stats, 'A', 1);
    expect(a1.histogram.counts.length).toBe(256);
    expect(await listStatistics(dir)).toEqual(stats);
  });

  it('is the same whatever the slab size', async () => {
    const small = await computeStatistics(dir, { slabVoxels: 1 });
    const large = await computeStatistics(dir);
    const strip = (s: DomainStatistics[]) => s.map(({ computed: _c, mean, std, ...rest }) => ({ ...rest, mean: mean?.toPrecision(12), std: std?.toPrecision(12) }));
    expect(strip(small)).toEqual(strip(large));
  });

  it('uses the fine histogram above the exact limit, within one bin width of the exact percentiles', async () => {
    const stats = await computeStatistics(dir, { ...SLAB, exactLimit: 100 });
    for (const s of stats) {
      const ref = referenceFor(s.domain, s.channel);
      if (s.channel === 0) {
        expect(s.percentileMethod).toBe('histogram');
        const binWidth = (ref.max - ref.min) / FINE_HISTOGRAM_BINS;
        expectMatches(s, ref, binWidth);
        expect(s.histogram.counts.length).toBe(256);
      } else {
        // Integer channels keep exact counts per value whatever their size.
        expect(s.percentileMethod).toBe('exact');
        expectMatches(s, ref);
      }
    }
  });

  it('leaves the test set out, and an import invalidates its domain', async () => {
    await assignSplits(dir, { folds: 2, seed: 11, testFraction: 0.34 });
    const split = await getSplits(dir);
    const test = (split?.cases ?? []).filter((c) => c.pool === 'test').map((c) => c.caseId);
    expect(test).toHaveLength(1);
    const stats = await computeStatistics(dir, SLAB);
    for (const s of stats) expectMatches(s, referenceFor(s.domain, s.channel, test));
    expect(find(stats, 'A', 0).caseCount).toBe(2);

    const extra = cases.find((c) => c.id === 'b1') as CaseFixture;
    const file = path.join(tmp, 'extra.nii.gz');
    await writeVolume(extra.channels[0], file);
    const file1 = path.join(tmp, 'extra-1.nii.gz');
    await writeVolume(extra.channels[1], file1);
    await importCase(dir, { image: [file, file1], caseId: 'b3', domain: 'B' });
    expect((await listStatistics(dir)).map((s) => s.domain)).toEqual(['A', 'A']);
  });
});

describe('computeStatistics on the real KmeansTest pair', () => {
  it('gives nnU-Net style foreground statistics equal to those from the source arrays', async () => {
    const image = sharedPath('debian_itk_examples/KmeansTest_T1UCharRaw.nii.gz');
    const label = sharedPath('debian_itk_examples/KmeansTest_T1KmeansPrelimSegmentation.nii.gz');
    const project = path.join(tmp, 'kmeans');
    await initProject(project);
    await importCase(project, { image, label, domain: 'brain', modality: ['T1'] });
    const [s] = await computeStatistics(project);
    const ref = reference([(await readVolume(image)).data], [(await readVolume(label)).data]);
    expect(s).toMatchObject({ domain: 'brain', channel: 0, mask: 'foreground', caseCount: 1, percentileMethod: 'exact' });
    expectMatches(s, ref);
    expect(s.voxelCount).toBeGreaterThan(100_000);
  });
});
