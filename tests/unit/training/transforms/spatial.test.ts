import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  affine,
  affineSamplingMatrix,
  elasticDeform,
  elasticDisplacement,
  gaussianBlur,
  resample,
  rot90,
  smoothNoiseField,
  type Plane,
  type Shape3,
} from '../../../../main/training/transforms/index.ts';
import { mulberry32 } from '../../../../main/util/random.ts';
import { InputError } from '../../../../main/util/errors.ts';
import { at, makeSample, maxDiff, meanOf, phantom, stdOf } from './helpers.ts';

interface Reference {
  blur: { shape: Shape3; sigma: [number, number, number]; input: number[]; output: number[] }[];
  resample: {
    shape: Shape3;
    rotationDeg: [number, number, number];
    scale: [number, number, number];
    mode: 'constant' | 'edge';
    fill: number;
    input: number[];
    output: number[];
  }[];
}
const reference = JSON.parse(
  readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/scipy-reference.json'), 'utf8'),
) as Reference;

const ramp = (shape: Shape3) => makeSample(shape, 2, (x, y, z, c) => (c === 0 ? x + 10 * y + 100 * z : -x), () => 1);

describe('resampling against scipy.ndimage.map_coordinates (order 1)', () => {
  it.each(reference.resample.map((r, i) => [i, r] as const))('case %i', (_, r) => {
    const sample = { image: Float32Array.from(r.input), label: new Uint8Array(r.input.length), shape: r.shape, channels: 1 };
    const matrix = affineSamplingMatrix({ rotationDeg: r.rotationDeg, scale: r.scale }, r.shape[2] === 1);
    const out = resample(sample, matrix, null, { mode: r.mode, imageFill: r.fill, labelFill: 0 });
    expect(maxDiff(out.image, r.output)).toBeLessThan(1e-5);
  });
});

describe('gaussian blur against scipy.ndimage.gaussian_filter (reflect)', () => {
  it.each(reference.blur.map((r, i) => [i, r] as const))('case %i', (_, r) => {
    const sample = { image: Float32Array.from(r.input), label: new Uint8Array(r.input.length), shape: r.shape, channels: 1 };
    expect(maxDiff(gaussianBlur(sample, r.sigma).image, r.output)).toBeLessThan(1e-5);
  });

  it('keeps a constant image constant and preserves the mean of any image', () => {
    const constant = makeSample([9, 7, 5], 2, (_x, _y, _z, c) => 3 + c);
    const blurred = gaussianBlur(constant, [1.3, 2.2, 0.8]);
    expect(maxDiff(blurred.image, constant.image)).toBeLessThan(1e-5);
    const noisy = makeSample([16, 12, 8], 1, (x, y, z) => Math.sin(x * 1.7 + y * 0.3) * Math.cos(z * 2.1) + (x % 3));
    expect(meanOf(gaussianBlur(noisy, 1.5).image)).toBeCloseTo(meanOf(noisy.image), 5);
  });

  it('blurs each channel with its own sigma and 2D samples only in plane', () => {
    const s = makeSample([11, 11, 1], 2, (x, y) => (x === 5 && y === 5 ? 1 : 0));
    const out = gaussianBlur(s, [
      [1, 1, 5],
      [0, 0, 0],
    ]);
    expect(out.image[at(s.shape, 5, 5, 0) * 2]).toBeLessThan(0.2);
    expect(out.image[at(s.shape, 5, 5, 0) * 2 + 1]).toBe(1);
    expect(() => gaussianBlur(s, -1)).toThrow(InputError);
  });
});

describe('affine', () => {
  it.each<['constant' | 'edge', Shape3]>([
    ['constant', [7, 6, 5]],
    ['edge', [7, 6, 5]],
    ['constant', [7, 6, 1]],
  ])('identity parameters give the identity (%s, %j)', (mode, shape) => {
    const s = phantom(shape, 2);
    const out = affine(s, { rotationDeg: [0, 0, 0], scale: [1, 1, 1] }, { mode, imageFill: -9, labelFill: 7 });
    expect(Array.from(out.image)).toEqual(Array.from(s.image));
    expect(Array.from(out.label)).toEqual(Array.from(s.label));
  });

  it.each<[[number, number, number], Plane, number]>([
    [[0, 0, 90], 'xy', 1],
    [[0, 0, -90], 'xy', 3],
    [[0, 0, 180], 'xy', 2],
    [[90, 0, 0], 'yz', 1],
    [[0, -90, 0], 'xz', 1],
  ])('a rotation by %j equals rot90 in %s by %i', (rotationDeg, plane, k) => {
    const s = phantom([9, 9, 9], 2);
    const expected = rot90(s, plane, k);
    const exact = affine(s, { rotationDeg, scale: [1, 1, 1] });
    expect(Array.from(exact.image)).toEqual(Array.from(expected.image));
    expect(Array.from(exact.label)).toEqual(Array.from(expected.label));
    // Through the general trigonometric path (angle off by 1e-9°) the difference is interpolation round-off only.
    const nudged = affine(s, { rotationDeg: rotationDeg.map((d) => (d === 0 ? 0 : d + 1e-9)) as [number, number, number], scale: [1, 1, 1] });
    expect(maxDiff(nudged.image, expected.image)).toBeLessThan(1e-5);
    expect(Array.from(nudged.label)).toEqual(Array.from(expected.label));
  });

  it('scales about the centre: a linear ramp is reproduced exactly inside the patch', () => {
    const s = ramp([11, 9, 7]);
    const out = affine(s, { rotationDeg: [0, 0, 0], scale: [2, 1, 0.5] });
    const c = [5, 4, 3];
    for (const [x, y, z] of [
      [5, 4, 3],
      [7, 2, 3],
      [1, 8, 3],
    ]) {
      // x is read at c + (x - c) / 2; z at c + (z - c) * 2 (z = 3 is the centre, so unchanged).
      expect(out.image[at(s.shape, x, y, z) * 2]).toBeCloseTo(c[0] + (x - c[0]) / 2 + 10 * y + 100 * z, 4);
      expect(out.image[at(s.shape, x, y, z) * 2 + 1]).toBeCloseTo(-(c[0] + (x - c[0]) / 2), 4);
    }
  });

  it('fills from outside with the constant or repeats the edge', () => {
    const s = makeSample([9, 9, 1], 1, () => 1, () => 3);
    const constant = affine(s, { rotationDeg: [0, 0, 45], scale: [1, 1, 1] }, { mode: 'constant', imageFill: 0, labelFill: 9 });
    const corner = at(s.shape, 0, 0, 0);
    expect(constant.image[corner]).toBe(0);
    expect(constant.label[corner]).toBe(9);
    expect(constant.image[at(s.shape, 4, 4, 0)]).toBe(1);
    const edge = affine(s, { rotationDeg: [0, 0, 45], scale: [1, 1, 1] }, { mode: 'edge', imageFill: 0, labelFill: 9 });
    expect(Array.from(edge.image).every((v) => Math.abs(v - 1) < 1e-6)).toBe(true);
    expect(Array.from(edge.label).every((v) => v === 3)).toBe(true);
  });

  it('rotates a 2D sample in plane only', () => {
    const s = phantom([12, 12, 1]);
    const inPlane = affine(s, { rotationDeg: [0, 0, 30], scale: [1.2, 1.2, 1] });
    const withOthers = affine(s, { rotationDeg: [40, -25, 30], scale: [1.2, 1.2, 3] });
    expect(Array.from(withOthers.image)).toEqual(Array.from(inPlane.image));
  });

  it('rejects bad parameters', () => {
    const s = phantom([4, 4, 4]);
    expect(() => affine(s, { rotationDeg: [0, Number.NaN, 0], scale: [1, 1, 1] })).toThrow(/affine.rotationDeg\[1\]/);
    expect(() => affine(s, { rotationDeg: [0, 0, 0], scale: [1, 0, 1] })).toThrow(/affine.scale\[1\]/);
  });
});

describe('smooth noise fields and elastic deformation', () => {
  it.each<[Shape3, number]>([
    [[48, 48, 48], 2],
    [[64, 64, 48], 6],
    [[96, 96, 96], 12],
    [[256, 256, 1], 10],
  ])('a field over %j with sigma %d has unit RMS and zero mean', (shape, sigma) => {
    const values: number[] = [];
    for (let seed = 1; seed <= 3; seed++) for (const v of smoothNoiseField(shape, sigma, mulberry32(seed))) values.push(v);
    expect(Math.abs(meanOf(values))).toBeLessThan(0.25);
    expect(Math.sqrt(meanOf(values.map((v) => v * v)))).toBeGreaterThan(0.8);
    expect(Math.sqrt(meanOf(values.map((v) => v * v)))).toBeLessThan(1.2);
  });

  it('a field is smooth: neighbours along x differ far less than the field varies', () => {
    const shape: Shape3 = [64, 64, 32];
    const f = smoothNoiseField(shape, 8, mulberry32(4));
    const diffs: number[] = [];
    for (let i = 0; i + 1 < f.length; i++) if ((i + 1) % 64 !== 0) diffs.push(f[i + 1] - f[i]);
    // For a Gaussian-correlated field, RMS(gradient) = RMS(field) / (sqrt(2) sigma) ~ 0.09.
    expect(stdOf(diffs)).toBeLessThan(0.15);
    expect(stdOf(diffs)).toBeGreaterThan(0.04);
  });

  it('displacements have the requested RMS, and none along z for a 2D sample', () => {
    const d = elasticDisplacement([64, 64, 64], { alpha: 2, sigma: 10 }, mulberry32(9));
    for (const f of [d.x, d.y, d.z]) {
      const rms = Math.sqrt(meanOf(Array.from(f, (v) => v * v)));
      expect(rms).toBeGreaterThan(1.2);
      expect(rms).toBeLessThan(2.8);
    }
    const flat = elasticDisplacement([64, 64, 1], { alpha: 2, sigma: 10 }, mulberry32(9));
    expect(Array.from(flat.z).every((v) => v === 0)).toBe(true);
    expect(stdOf(flat.x)).toBeGreaterThan(0.5);
  });

  it('alpha 0 is the identity; a seed gives the same deformation every time, another seed a different one', () => {
    const s = phantom([20, 18, 16], 2);
    const none = elasticDeform(s, { alpha: 0, sigma: 5 }, mulberry32(1));
    expect(Array.from(none.image)).toEqual(Array.from(s.image));
    const a = elasticDeform(s, { alpha: 2, sigma: 5 }, mulberry32(1));
    const b = elasticDeform(s, { alpha: 2, sigma: 5 }, mulberry32(1));
    const c = elasticDeform(s, { alpha: 2, sigma: 5 }, mulberry32(2));
    expect(Array.from(a.image)).toEqual(Array.from(b.image));
    expect(maxDiff(a.image, s.image)).toBeGreaterThan(0.01);
    expect(maxDiff(a.image, c.image)).toBeGreaterThan(0.01);
    expect(() => elasticDeform(s, { alpha: -1, sigma: 5 }, mulberry32(1))).toThrow(/elastic.alpha/);
  });
});
