import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { DomainStatistics } from '../../../../main/dataset/types.ts';
import { createNormalizer, Normalizer, parseNormalizationConfig } from '../../../../main/training/transforms/index.ts';
import { linearPercentile } from '../../../../main/training/transforms/normalize.ts';
import { InputError } from '../../../../main/util/errors.ts';
import { maxDiff, meanOf, stdOf } from './helpers.ts';

const reference = JSON.parse(readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/scipy-reference.json'), 'utf8')) as {
  percentile: { input: number[]; p0_5: number; p99_5: number }[];
};

function stats(domain: string, channel: number, s: Partial<DomainStatistics>): DomainStatistics {
  return {
    domain,
    channel,
    modality: null,
    mask: 'foreground',
    caseCount: 1,
    voxelCount: 100,
    mean: 10,
    std: 2,
    p0_5: 4,
    p99_5: 16,
    min: 0,
    max: 20,
    percentileMethod: 'exact',
    histogram: { bins: [], counts: [] },
    computed: '2026-01-01T00:00:00.000Z',
    ...s,
  };
}

const catalogue = [
  stats('ct', 0, { modality: 'CT', mean: 40, std: 10, p0_5: 0, p99_5: 80 }),
  stats('mr', 0, { modality: 'MR' }),
  stats('mr', 1, { mean: 100, std: 50, min: 50, max: 250, p0_5: 60, p99_5: 200 }),
  stats('empty', 0, { voxelCount: 0, mean: null, std: null, p0_5: null, p99_5: null, min: null, max: null }),
];

describe('normalisation schemes', () => {
  it('per-sample z-score (hand-checked)', () => {
    const n = createNormalizer({ default: { scheme: 'zscore' } }, []);
    const out = n.normalize(Float32Array.of(1, 2, 3, 4), 1, 'any');
    const sd = Math.sqrt(1.25);
    expect(maxDiff(out, [-1.5 / sd, -0.5 / sd, 0.5 / sd, 1.5 / sd])).toBeLessThan(1e-6);
  });

  it('z-score from domain statistics, and CT: clip to the 0.5/99.5 percentiles then z-score', () => {
    const n = createNormalizer({ default: { scheme: 'zscore', source: 'domain' }, domains: { ct: { scheme: 'ct' } } }, catalogue);
    expect(Array.from(n.normalize(Float32Array.of(10, 14, 6), 1, 'mr'))).toEqual([0, 2, -2]);
    // CT: clip to [0, 80], then (v - 40) / 10.
    expect(Array.from(n.normalize(Int16Array.of(-1000, 0, 40, 60, 3000), 1, 'ct'))).toEqual([-4, -4, 0, 2, 4]);
    expect(n.resolve('ct', 1)).toEqual([{ scheme: 'linear', from: 'ct', clip: [0, 80], offset: 40, divisor: 10, clamp01: false }]);
  });

  it('CT from the sample itself uses numpy percentiles', () => {
    const r = reference.percentile[0];
    const sorted = Float64Array.from(r.input).sort();
    expect(linearPercentile(sorted, 0.5)).toBeCloseTo(r.p0_5, 4);
    expect(linearPercentile(sorted, 99.5)).toBeCloseTo(r.p99_5, 4);
    const out = createNormalizer({ default: { scheme: 'ct', source: 'sample' } }, []).normalize(Float32Array.from(r.input), 1, 'x');
    const clipped = r.input.map((v) => Math.min(r.p99_5, Math.max(r.p0_5, v)));
    const expected = clipped.map((v) => (v - meanOf(r.input)) / stdOf(r.input));
    expect(maxDiff(out, expected)).toBeLessThan(1e-4);
  });

  it('user-given mean/std per domain, per-channel schemes, rescale to [0, 1]', () => {
    const n = new Normalizer(
      {
        default: [{ scheme: 'none' }, { scheme: 'rescale01', source: 'domain' }],
        domains: { lab: [{ scheme: 'fixed', mean: 100, std: 20 }, { scheme: 'rescale01', bounds: 'percentiles', clip: false, source: 'domain' }] },
      },
      catalogue,
    );
    // Interleaved channels: (c0, c1) pairs.
    expect(Array.from(n.normalize(Float32Array.of(7, 50, -3, 250), 2, 'mr'))).toEqual([7, 0, -3, 1]);
    expect(() => n.normalize(Float32Array.of(1, 2), 2, 'lab')).toThrow(/needs statistics of domain "lab" channel 1/);
    const onlyLab = new Normalizer({ domains: { lab: [{ scheme: 'fixed', mean: 100, std: 20 }, { scheme: 'rescale01', bounds: 'percentiles', clip: false, source: 'domain' }] } }, [
      stats('lab', 1, { p0_5: 60, p99_5: 200 }),
    ]);
    expect(Array.from(onlyLab.normalize(Float32Array.of(140, 340), 2, 'lab'))).toEqual([2, 2]);
    const sample = createNormalizer({ default: { scheme: 'rescale01' } }, []).normalize(Float32Array.of(2, 4, 6), 1, 'x');
    expect(Array.from(sample)).toEqual([0, 0.5, 1]);
  });

  it('auto: the domain hint, else CT by modality, else per-sample z-score', () => {
    const n = new Normalizer({}, catalogue, { mr: 'rescale01' });
    expect(n.resolve('ct', 1)[0]).toMatchObject({ from: 'ct', clip: [0, 80] });
    expect(n.resolve('mr', 2)).toEqual([
      { scheme: 'rescale01-sample', bounds: 'minmax', clip: true },
      { scheme: 'rescale01-sample', bounds: 'minmax', clip: true },
    ]);
    expect(n.resolve('other', 1)).toEqual([{ scheme: 'zscore-sample' }]);
  });

  it('non-finite voxels become 0; a constant image becomes 0 (std floored at 1e-8)', () => {
    const n = createNormalizer({ default: { scheme: 'zscore' } }, []);
    expect(Array.from(n.normalize(Float32Array.of(Number.NaN, 1, 3, Number.POSITIVE_INFINITY), 1, 'x'))).toEqual([0, -1, 1, 0]);
    expect(Array.from(n.normalize(Float32Array.of(5, 5, 5), 1, 'x'))).toEqual([0, 0, 0]);
  });

  it('normalizeSample keeps the label and shape', () => {
    const n = createNormalizer({ default: { scheme: 'fixed', mean: 1, std: 2 } }, []);
    const label = Uint8Array.of(0, 1);
    const out = n.normalizeSample({ image: Float32Array.of(1, 5), label, shape: [2, 1, 1], channels: 1 }, 'd');
    expect(Array.from(out.image)).toEqual([0, 2]);
    expect(out.label).toBe(label);
  });
});

describe('normalisation errors', () => {
  it.each<[unknown, RegExp]>([
    [{ default: { scheme: 'fixed', mean: 0, std: 0 } }, /^normalization\.default\.std: must be a finite number > 0/],
    [{ default: { scheme: 'percentile' } }, /^normalization\.default/],
    [{ default: { scheme: 'zscore', source: 'catalogue' } }, /^normalization\.default\.source/],
    [{ domains: { a: { scheme: 'none', extra: 1 } } }, /^normalization\.domains\.a/],
    [{ defaults: {} }, /Unrecognized key: "defaults"/],
  ])('rejects %j naming the field', (config, message) => {
    expect(() => parseNormalizationConfig(config)).toThrow(InputError);
    expect(() => createNormalizer(config as never, [])).toThrow(message);
  });

  it('missing or empty domain statistics fail before any work, naming the domain', () => {
    const n = createNormalizer({ default: { scheme: 'ct' } }, catalogue);
    expect(() => n.check(['ct', 'unknown'], 1)).toThrow(/domain "unknown" channel 0.*segstation stats/);
    expect(() => n.check(['empty'], 1)).toThrow(/domain "empty" channel 0 have no voxels/);
    expect(() => createNormalizer({ default: [{ scheme: 'none' }, { scheme: 'none' }] }, []).check(['a'], 3)).toThrow(/2 channel schemes but the images have 3/);
  });
});
