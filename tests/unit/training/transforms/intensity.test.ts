import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  adjustContrast,
  applyBiasField,
  gammaTransform,
  gaussianBlur,
  gaussianNoise,
  motionGhosting,
  noiseBiasField,
  polynomialBiasField,
  polynomialTerms,
  ricianNoise,
  scaleIntensity,
  shiftIntensity,
  type Sample,
} from '../../../../main/training/transforms/index.ts';
import { mulberry32 } from '../../../../main/util/random.ts';
import { InputError } from '../../../../main/util/errors.ts';
import { makeSample, maxDiff, meanOf, phantom, stdOf } from './helpers.ts';

const reference = JSON.parse(readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/scipy-reference.json'), 'utf8')) as {
  gamma: { gamma: number; invert: boolean; retainStats: boolean; input: number[]; output: number[] }[];
};

const line = (values: number[], channels = 1): Sample => ({
  image: Float32Array.from(values),
  label: new Uint8Array(values.length / channels).fill(1),
  shape: [values.length / channels, 1, 1],
  channels,
});

describe('linear intensity changes', () => {
  it('scale, shift and contrast per channel on a hand-checked case', () => {
    // Two channels interleaved: channel 0 = 1, 2, 3; channel 1 = 10, 20, 30.
    const s = line([1, 10, 2, 20, 3, 30], 2);
    expect(Array.from(scaleIntensity(s, [2, 0.5]).image)).toEqual([2, 5, 4, 10, 6, 15]);
    expect(Array.from(shiftIntensity(s, [1, -10]).image)).toEqual([2, 0, 3, 10, 4, 20]);
    // Contrast 2 about the mean (2 and 20), clipped to the original range.
    expect(Array.from(adjustContrast(s, 2, true).image)).toEqual([1, 10, 2, 20, 3, 30]);
    expect(Array.from(adjustContrast(s, 2, false).image)).toEqual([0, 0, 2, 20, 4, 40]);
    expect(Array.from(adjustContrast(s, 0.5, true).image)).toEqual([1.5, 15, 2, 20, 2.5, 25]);
    // The input is untouched and the label carried through.
    expect(Array.from(s.image)).toEqual([1, 10, 2, 20, 3, 30]);
    expect(scaleIntensity(s, 3).label).toBe(s.label);
  });

  it('identity parameters give the identity', () => {
    const s = phantom([6, 5, 4], 2);
    expect(Array.from(scaleIntensity(s, 1).image)).toEqual(Array.from(s.image));
    expect(Array.from(shiftIntensity(s, 0).image)).toEqual(Array.from(s.image));
    expect(Array.from(adjustContrast(s, 1).image)).toEqual(Array.from(s.image));
  });

  it('rejects a wrong number of per-channel values', () => {
    expect(() => scaleIntensity(line([1, 2, 3, 4], 2), [1, 2, 3])).toThrow(InputError);
    expect(() => shiftIntensity(line([1, 2]), Number.POSITIVE_INFINITY)).toThrow(/shift.offset\[0\]/);
  });
});

describe('gamma', () => {
  it.each(reference.gamma.map((r) => [r.gamma, r.invert, r.retainStats, r] as const))(
    'gamma %d (invert %s, retain stats %s) matches batchgenerators',
    (gamma, invert, retainStats, r) => {
      const out = gammaTransform(line(r.input), gamma, { invert, retainStats });
      expect(maxDiff(out.image, r.output)).toBeLessThan(2e-5 * Math.max(...r.output.map(Math.abs)));
    },
  );

  it('gamma 1 is the identity; gamma on [0, 1] data is a plain power', () => {
    const s = phantom([6, 5, 4]);
    expect(maxDiff(gammaTransform(s, 1, { invert: false, retainStats: true }).image, s.image)).toBeLessThan(1e-5);
    const unit = line([0, 0.25, 0.5, 1]);
    const out = gammaTransform(unit, 2, { invert: false, retainStats: false });
    expect(maxDiff(out.image, [0, 0.0625, 0.25, 1])).toBeLessThan(1e-6);
    // Inverted: brightens the dark end instead: 1 - (1 - v)^2.
    const inv = gammaTransform(unit, 2, { invert: true, retainStats: false });
    expect(maxDiff(inv.image, [0, 0.4375, 0.75, 1])).toBeLessThan(1e-6);
  });
});

describe('noise', () => {
  const N = 200_000;
  const constant = (v: number, channels = 1) => makeSample([N, 1, 1], channels, () => v);

  it('Gaussian noise has the requested mean and standard deviation, per channel', () => {
    const out = gaussianNoise(constant(5, 2), [0.3, 0], mulberry32(11));
    const c0 = out.image.filter((_, i) => i % 2 === 0);
    const c1 = out.image.filter((_, i) => i % 2 === 1);
    expect(meanOf(c0)).toBeCloseTo(5, 2);
    expect(stdOf(c0)).toBeGreaterThan(0.297);
    expect(stdOf(c0)).toBeLessThan(0.303);
    expect(Array.from(c1).every((v) => v === 5)).toBe(true);
  });

  it('Rician noise: E[out^2] = v^2 + 2 s^2, never below zero for a positive image, zeros stay zero', () => {
    const out = ricianNoise(constant(1), 0.5, mulberry32(12));
    expect(meanOf(Array.from(out.image, (v) => v * v))).toBeCloseTo(1 + 2 * 0.25, 1);
    expect(out.image.reduce((m, v) => Math.min(m, v), Infinity)).toBeGreaterThanOrEqual(0);
    const zeros = ricianNoise(line([0, 0, 2]), 0.5, mulberry32(1));
    expect(zeros.image[0]).toBe(0);
  });

  it('the same seed gives the same noise, another seed different noise', () => {
    const s = phantom([8, 8, 8]);
    expect(Array.from(gaussianNoise(s, 0.1, mulberry32(3)).image)).toEqual(Array.from(gaussianNoise(s, 0.1, mulberry32(3)).image));
    expect(maxDiff(gaussianNoise(s, 0.1, mulberry32(3)).image, gaussianNoise(s, 0.1, mulberry32(4)).image)).toBeGreaterThan(0.01);
    expect(() => gaussianNoise(s, -1, mulberry32(3))).toThrow(/gaussianNoise.std/);
  });
});

describe('bias field', () => {
  it('polynomial terms and a hand-checked order-1 field', () => {
    expect(polynomialTerms(1, true)).toEqual([
      [0, 0, 0],
      [0, 1, 0],
      [1, 0, 0],
    ]);
    expect(polynomialTerms(3, false)).toHaveLength(20);
    expect(polynomialTerms(3, true)).toHaveLength(10);
    // coefficients [c0, cy, cx] on a 3x3 grid with coordinates -1, 0, 1.
    const f = polynomialBiasField([3, 3, 1], 1, [0.1, 0.2, 0.3]);
    expect(f[0]).toBeCloseTo(Math.exp(0.1 - 0.2 - 0.3), 6);
    expect(f[4]).toBeCloseTo(Math.exp(0.1), 6);
    expect(f[8]).toBeCloseTo(Math.exp(0.1 + 0.2 + 0.3), 6);
    expect(() => polynomialBiasField([3, 3, 1], 1, [0.1])).toThrow(/needs 3 coefficients/);
  });

  it('order 0 multiplies every channel by one constant; the label is untouched', () => {
    const s = phantom([5, 4, 3], 2);
    const out = applyBiasField(s, polynomialBiasField(s.shape, 0, [Math.log(2)]));
    expect(maxDiff(out.image, Array.from(s.image, (v) => 2 * v))).toBeLessThan(1e-5);
    expect(out.label).toBe(s.label);
  });

  it('a noise field is smooth, positive and its log has the requested RMS', () => {
    const f = noiseBiasField([64, 64, 32], 16, 0.3, mulberry32(5));
    const logs = Array.from(f, Math.log);
    expect(f.reduce((m, v) => Math.min(m, v), Infinity)).toBeGreaterThan(0);
    expect(stdOf(logs)).toBeGreaterThan(0.12);
    expect(stdOf(logs)).toBeLessThan(0.5);
  });
});

describe('motion ghosting', () => {
  it.each<[number, [number, number][]]>([
    // count 1: d = floor(10 / 3) = 3, ghosts of 0.4 / 2 at 2 + 3 and 2 - 3 (wrapped to 9).
    [1, [[5, 0.2], [9, 0.2]]],
    // count 2: d = floor(10 / 5) = 2; first ghosts 0.2 at 4 and 0, second 0.1 at 6 and 8.
    [2, [[4, 0.2], [0, 0.2], [6, 0.1], [8, 0.1]]],
  ])('a point at x = 2 with %i ghost(s) per side (hand-checked)', (count, ghosts) => {
    const values = new Array<number>(10).fill(0);
    values[2] = 1;
    const out = motionGhosting(line(values), { axis: 'x', count, intensity: 0.4, decay: 0.5 });
    const expected = new Array<number>(10).fill(0);
    expected[2] = 1;
    for (const [x, v] of ghosts) expected[x] += v;
    expect(maxDiff(out.image, expected)).toBeLessThan(1e-6);
  });

  it('intensity 0 changes nothing; a bad count is refused', () => {
    const s = phantom([9, 9, 9]);
    expect(Array.from(motionGhosting(s, { axis: 'y', count: 2, intensity: 0, decay: 0.5 }).image)).toEqual(Array.from(s.image));
    expect(() => motionGhosting(s, { axis: 'y', count: 0, intensity: 0.2, decay: 0.5 })).toThrow(/ghosting.count/);
  });
});

describe('gamma on large channels (tabulated power)', () => {
  it.each([0.7, 1.5, 0.3, 3])('gamma %d agrees with Math.pow to 3e-7 of the range', (gamma) => {
    const n = 200_000;
    const values = Float32Array.from({ length: n }, (_, i) => ((i * 7919) % n) / n);
    const max = values.reduce((m, v) => Math.max(m, v), 0); // min is 0
    const exact = Array.from(values, (v) => Math.pow(v / (max + 1e-7), gamma) * max);
    const out = gammaTransform(line(Array.from(values)), gamma, { invert: false, retainStats: false });
    expect(maxDiff(out.image, exact)).toBeLessThan(3e-7);
  });
});

describe('identity parameters give the identity', () => {
  const s = phantom([7, 6, 5], 2);
  it.each<[string, (x: Sample) => Sample]>([
    ['blur sigma 0', (x) => gaussianBlur(x, 0)],
    ['bias field exp(0)', (x) => applyBiasField(x, polynomialBiasField(x.shape, 2, new Array<number>(10).fill(0)))],
    ['noise bias field of strength 0', (x) => applyBiasField(x, noiseBiasField(x.shape, 4, 0, mulberry32(1)))],
    ['Gaussian noise std 0', (x) => gaussianNoise(x, 0, mulberry32(1))],
    ['Rician noise std 0', (x) => ricianNoise(x, 0, mulberry32(1))],
    ['ghosting intensity 0', (x) => motionGhosting(x, { axis: 'x', count: 3, intensity: 0, decay: 0.5 })],
    ['gamma 1 without retained stats', (x) => gammaTransform(x, 1, { invert: false, retainStats: false })],
  ])('%s', (_, transform) => {
    const out = transform(s);
    expect(maxDiff(out.image, s.image)).toBeLessThan(1e-6);
    expect(Array.from(out.label)).toEqual(Array.from(s.label));
    expect(out.shape).toEqual(s.shape);
  });
});
