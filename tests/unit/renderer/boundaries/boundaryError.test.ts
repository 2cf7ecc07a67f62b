import { describe, expect, it } from 'vitest';
import { distanceTransform, squaredDistanceTransform } from '../../../../renderer/src/core/boundaries/edt.ts';
import { faceCornerMask, sampleCornerField, summarizeErrors } from '../../../../renderer/src/core/boundaries/boundaryError.ts';
import { computeBoundaries } from '../../../../renderer/src/core/boundaries/compute.ts';
import { interfaceFaces } from '../../../../renderer/src/core/boundaries/faces.ts';

function bruteForce(features: Uint8Array, dims: number[], spacing: number[]): Float64Array {
  const [nx, ny, nz] = dims;
  const pts: number[][] = [];
  for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) if (features[(z * ny + y) * nx + x]) pts.push([x, y, z]);
  const out = new Float64Array(nx * ny * nz);
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        let best = Infinity;
        for (const p of pts) best = Math.min(best, ((x - p[0]) * spacing[0]) ** 2 + ((y - p[1]) * spacing[1]) ** 2 + ((z - p[2]) * spacing[2]) ** 2);
        out[(z * ny + y) * nx + x] = best;
      }
    }
  }
  return out;
}

/** Deterministic pseudo-random bits (xorshift). */
function bits(n: number, seed: number, density: number): Uint8Array {
  let s = seed >>> 0 || 1;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = (s >>> 0) / 0xffffffff < density ? 1 : 0;
  }
  return out;
}

function grid(shape: [number, number, number], f: (x: number, y: number, z: number) => number): Uint8Array {
  const [nx, ny, nz] = shape;
  const out = new Uint8Array(nx * ny * nz);
  for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) out[(z * ny + y) * nx + x] = f(x, y, z);
  return out;
}

describe('exact EDT (Felzenszwalb-Huttenlocher)', () => {
  it.each([
    { dims: [7, 5, 4], spacing: [1, 1, 1], density: 0.05, seed: 1 },
    { dims: [6, 9, 5], spacing: [0.5, 2, 1.25], density: 0.03, seed: 7 },
    { dims: [11, 1, 6], spacing: [1, 1, 3], density: 0.1, seed: 3 },
    { dims: [5, 5, 5], spacing: [1, 1, 1], density: 0.005, seed: 11 },
  ])('matches brute force on $dims with spacing $spacing', ({ dims, spacing, density, seed }) => {
    const features = bits(dims[0] * dims[1] * dims[2], seed, density);
    features[seed % features.length] = 1; // at least one feature
    const fast = squaredDistanceTransform(features, dims, spacing);
    const slow = bruteForce(features, dims, spacing);
    for (let i = 0; i < fast.length; i++) expect(fast[i]).toBeCloseTo(slow[i], 9);
  });

  it('is Infinity everywhere without features and zero on them', () => {
    expect([...distanceTransform(new Uint8Array(8), [2, 2, 2], [1, 1, 1])].every((d) => d === Infinity)).toBe(true);
    const one = new Uint8Array(27);
    one[13] = 1;
    const d = distanceTransform(one, [3, 3, 3], [1, 2, 3]);
    expect(d[13]).toBe(0);
    expect(d[0]).toBeCloseTo(Math.sqrt(1 + 4 + 9), 6);
  });
});

describe('boundary error at the vertices', () => {
  it('marks the four corners of every face on the corner grid', () => {
    const shape: [number, number, number] = [2, 1, 1];
    const faces = interfaceFaces(Uint8Array.from([1, 2]), shape).pairs.get('1-2')!;
    const mask = faceCornerMask(faces, shape);
    // Corner grid 3x2x2: the face at corner x = 1.
    expect([...mask]).toEqual([0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0]);
  });

  it('samples a corner field exactly at corners and trilinearly between them', () => {
    const shape = [1, 1, 1]; // corner grid 2x2x2
    const field = Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]); // value = x + 2y + 4z
    const got = sampleCornerField(field, shape, Float32Array.from([-0.5, -0.5, -0.5, 0.5, 0.5, 0.5, 0, 0, 0, 0.5, -0.5, 0]));
    expect([...got]).toEqual([0, 7, 3.5, 3]);
  });

  it('is zero for a prediction equal to the truth', () => {
    const shape: [number, number, number] = [6, 5, 4];
    const truth = grid(shape, (x, y, z) => (x + y + z < 6 ? 0 : x < 4 ? 1 : 2));
    const { pairs } = computeBoundaries({ labels: truth, truth, shape, spacing: [0.3, 0.3, 0.7] });
    expect(pairs.length).toBeGreaterThan(1);
    for (const p of pairs) {
      expect(p.truthFaces).toBe(p.faces);
      expect(p.errorSummary!.max).toBe(0);
    }
  });

  it.each([1, 2, 3])('is the shift times the spacing for an interface moved by %i voxels', (shift) => {
    const shape: [number, number, number] = [10, 4, 3];
    const spacing = [0.25, 1, 1];
    const truth = grid(shape, (x) => (x < 4 ? 1 : 2));
    const labels = grid(shape, (x) => (x < 4 + shift ? 1 : 2));
    const [pair] = computeBoundaries({ labels, truth, shape, spacing }).pairs;
    expect(pair.errors!.length).toBe(pair.points.length / 3);
    for (const e of pair.errors!) expect(e).toBeCloseTo(shift * spacing[0], 6);
    expect(pair.errorSummary!.mean).toBeCloseTo(shift * 0.25, 6);
  });

  it('measures the distance to the nearest true interface of the SAME pair, not of any pair', () => {
    // Truth: 1 | 2 | 3 along x with interfaces at x = 2.5 (1-2) and x = 5.5 (2-3).
    // Prediction: 1 | 3 with its interface at x = 4.5: pair 1-3 does not exist in the truth.
    const shape: [number, number, number] = [8, 2, 2];
    const truth = grid(shape, (x) => (x < 3 ? 1 : x < 6 ? 2 : 3));
    const labels = grid(shape, (x) => (x < 5 ? 1 : 3));
    const result = computeBoundaries({ labels, truth, shape, spacing: [1, 1, 1] });
    expect(result.pairs.map((p) => [p.a, p.b])).toEqual([[1, 3]]);
    expect(result.pairs[0].truthFaces).toBe(0);
    expect([...result.pairs[0].errors!].every((e) => e === Infinity)).toBe(true);
    expect(result.missedPairs).toEqual([
      [1, 2],
      [2, 3],
    ]);
  });

  it('a dilated phase gives errors of one voxel where it grew and zero elsewhere', () => {
    const shape: [number, number, number] = [9, 9, 9];
    const truth = grid(shape, (x, y, z) => (x >= 3 && x < 6 && y >= 3 && y < 6 && z >= 3 && z < 6 ? 1 : 0));
    const labels = grid(shape, (x, y, z) => (x >= 3 && x < 7 && y >= 3 && y < 6 && z >= 3 && z < 6 ? 1 : 0)); // grown by 1 along +x
    const [pair] = computeBoundaries({ labels, truth, shape, spacing: [1, 1, 1] }).pairs;
    const e = pair.errors!;
    let zeros = 0;
    for (let i = 0; i < e.length; i++) {
      const x = pair.points[i * 3];
      if (x === 6.5) expect(e[i]).toBe(1); // the moved +x cap
      if (e[i] === 0) zeros++;
    }
    expect(zeros).toBeGreaterThan(0);
    expect(summarizeErrors(e).max).toBe(1);
  });

  it('summarises finite errors only', () => {
    const s = summarizeErrors(Float32Array.from([0, 1, 2, 3, Infinity]));
    expect(s).toEqual({ count: 4, mean: 1.5, max: 3, p95: 3 });
    expect(summarizeErrors(Float32Array.from([Infinity])).count).toBe(0);
  });
});
