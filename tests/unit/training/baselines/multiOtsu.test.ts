import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyThresholds, histogram, MultiOtsu, multiOtsuIndices, multiOtsuThresholds } from '../../../../main/training/baselines/multiOtsu.ts';

interface FixtureCase {
  name: string;
  classes: number;
  bins: number;
  values: number[];
  thresholds: number[];
  digitized: number[];
}
const fixture = JSON.parse(readFileSync(new URL('../../../fixtures/training/multiotsu/fixture.json', import.meta.url), 'utf8')) as { cases: FixtureCase[] };

describe('multiOtsuThresholds against skimage.filters.threshold_multiotsu', () => {
  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const values = Float32Array.from(c.values);
    const t = multiOtsuThresholds(values, { classes: c.classes, bins: c.bins });
    expect(t).toHaveLength(c.classes - 1);
    t.forEach((v, i) => expect(v).toBeCloseTo(c.thresholds[i], 3));
    expect(Array.from(applyThresholds(values, t))).toEqual(c.digitized);
  });
});

describe('multiOtsuIndices', () => {
  it('splits a three-peak histogram between the peaks', () => {
    const counts = [0, 10, 0, 0, 0, 10, 0, 0, 0, 10, 0];
    const [a, b] = multiOtsuIndices(counts, 3);
    expect(a).toBeGreaterThanOrEqual(1);
    expect(a).toBeLessThan(5);
    expect(b).toBeGreaterThanOrEqual(5);
    expect(b).toBeLessThan(9);
  });

  it('is the two-class Otsu threshold for classes = 2 (exact, by brute force)', () => {
    const counts = [3, 8, 2, 1, 0, 4, 9, 5];
    const [k] = multiOtsuIndices(counts, 2);
    let best = -1;
    let bestK = -1;
    for (let t = 0; t < counts.length - 1; t++) {
      const w0 = counts.slice(0, t + 1).reduce((a, b) => a + b, 0);
      const w1 = counts.slice(t + 1).reduce((a, b) => a + b, 0);
      const m0 = counts.slice(0, t + 1).reduce((a, b, i) => a + b * i, 0) / w0;
      const m1 = counts.slice(t + 1).reduce((a, b, i) => a + b * (i + t + 1), 0) / w1;
      const between = w0 * w1 * (m0 - m1) ** 2;
      if (between > best) {
        best = between;
        bestK = t;
      }
    }
    expect(k).toBe(bestK);
  });
});

describe('histogram and MultiOtsu', () => {
  it('bins like numpy.histogram (last bin closed) and ignores non-finite values', () => {
    const h = histogram([0, 1, 2, 3, 4, NaN, Infinity], 4);
    expect(Array.from(h.counts)).toEqual([1, 1, 1, 2]);
    expect(Array.from(h.centres)).toEqual([0.5, 1.5, 2.5, 3.5]);
  });

  it('fits on one set of values and labels another', () => {
    const otsu = new MultiOtsu({ classes: 3, bins: 64 }).fit([0, 0, 1, 50, 51, 52, 100, 101, 99]);
    expect(Array.from(otsu.predict([0.5, 50, 100]))).toEqual([0, 1, 2]);
  });

  it('rejects bad options and empty images', () => {
    expect(() => multiOtsuThresholds([1, 2, 3], { classes: 9 })).toThrow(/classes/);
    expect(() => multiOtsuThresholds([NaN, NaN])).toThrow(/no finite values/);
  });
});
