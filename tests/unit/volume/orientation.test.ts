import { describe, expect, it } from 'vitest';
import {
  axisCodes,
  flipAffineXY,
  flipPointXY,
  geometryFromLpsAffine,
  geometryFromRasAffine,
  lpsAffineFromGeometry,
  lpsToRasAffine,
  orthonormalize,
  rasAffineFromGeometry,
  rasToLpsAffine,
  type Affine,
} from '../../../main/volume/orientation.ts';
import { IDENTITY3, indexToWorld, type Mat3, type Vec3 } from '../../../main/volume/volume.ts';

/** Rotation about z by `deg`, then about x by `tilt` (row-major), a generic oblique direction. */
function rotation(deg: number, tilt: number): Mat3 {
  const a = (deg * Math.PI) / 180;
  const b = (tilt * Math.PI) / 180;
  const rz = [Math.cos(a), -Math.sin(a), 0, Math.sin(a), Math.cos(a), 0, 0, 0, 1];
  const rx = [1, 0, 0, 0, Math.cos(b), -Math.sin(b), 0, Math.sin(b), Math.cos(b)];
  const out = new Array(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) out[r * 3 + c] += rx[r * 3 + k] * rz[k * 3 + c];
  return out as Mat3;
}

const affines: [string, Affine][] = [
  ['identity', [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]],
  ['LAS 2 mm with offset', [-2, 0, 0, 32, 0, 2, 0, -40, 0, 0, 2, -16, 0, 0, 0, 1]],
  ['oblique, anisotropic', [0.9, -0.3, 0.1, 5, 0.2, 1.8, -0.4, -7, 0.05, 0.5, 2.9, 11, 0, 0, 0, 1]],
];

describe('RAS <-> LPS', () => {
  it.each(affines)('flipAffineXY is an involution (%s)', (_name, affine) => {
    expect(flipAffineXY(flipAffineXY(affine))).toEqual(affine);
    expect(lpsToRasAffine(rasToLpsAffine(affine))).toEqual(affine);
  });

  it.each(affines)('flip negates exactly the first two world rows (%s)', (_name, affine) => {
    const f = flipAffineXY(affine);
    for (let c = 0; c < 4; c++) {
      expect(f[c]).toBe(-affine[c]);
      expect(f[4 + c]).toBe(-affine[4 + c]);
      expect(f[8 + c]).toBe(affine[8 + c]);
      expect(f[12 + c]).toBe(affine[12 + c]);
    }
  });

  it.each([[[1, 2, 3]], [[-4.5, 0, 7]], [[0, -0.25, -9]]] as [Vec3][])('flipPointXY is an involution %j', (p) => {
    expect(flipPointXY(flipPointXY(p))).toEqual(p);
    expect(flipPointXY(p)).toEqual([-p[0], -p[1], p[2]]);
  });

  it('rejects an affine that is not 4x4', () => {
    expect(() => flipAffineXY([1, 2, 3])).toThrow(RangeError);
  });
});

describe('geometry <-> affine', () => {
  const geometries = [
    { name: 'identity', spacing: [1, 1, 1] as Vec3, origin: [0, 0, 0] as Vec3, direction: IDENTITY3 },
    { name: 'anisotropic', spacing: [0.5, 0.75, 3] as Vec3, origin: [-12.5, 40, 7.25] as Vec3, direction: IDENTITY3 },
    { name: 'oblique', spacing: [0.86, 0.86, 6.9] as Vec3, origin: [100, -120.5, 33] as Vec3, direction: rotation(20, 7.7) },
    {
      name: 'reflected',
      spacing: [2, 2, 3] as Vec3,
      origin: [1, 2, 3] as Vec3,
      direction: [1, 0, 0, 0, 0, 1, 0, 1, 0] as Mat3,
    },
  ];

  it.each(geometries)('LPS and RAS round trips are exact to 1e-12 ($name)', (g) => {
    const shape: Vec3 = [4, 5, 6];
    for (const back of [
      geometryFromLpsAffine(lpsAffineFromGeometry(g), shape),
      geometryFromRasAffine(rasAffineFromGeometry(g), shape),
    ]) {
      expect(back.shape).toEqual(shape);
      back.spacing.forEach((s, i) => expect(s).toBeCloseTo(g.spacing[i], 12));
      back.origin.forEach((o, i) => expect(o).toBeCloseTo(g.origin[i], 12));
      back.direction.forEach((d, i) => expect(d).toBeCloseTo(g.direction[i], 12));
    }
  });

  it.each(geometries)('the affine maps an index like indexToWorld ($name)', (g) => {
    const a = lpsAffineFromGeometry(g);
    const ijk: Vec3 = [3, 1, 4];
    const w = indexToWorld({ ...g, shape: [4, 5, 6] }, ijk);
    for (let r = 0; r < 3; r++) {
      expect(a[r * 4] * ijk[0] + a[r * 4 + 1] * ijk[1] + a[r * 4 + 2] * ijk[2] + a[r * 4 + 3]).toBeCloseTo(w[r], 10);
    }
  });

  it('a RAS LAS 2 mm affine becomes LPS origin (-x, -y, z) and direction diag(1, -1, 1)', () => {
    // nibabel/anatomical.nii: RAS affine [[-2,0,0,32],[0,2,0,-40],[0,0,2,-16]]
    const g = geometryFromRasAffine([-2, 0, 0, 32, 0, 2, 0, -40, 0, 0, 2, -16, 0, 0, 0, 1], [33, 41, 25]);
    expect(g.spacing).toEqual([2, 2, 2]);
    expect(g.origin).toEqual([-32, 40, -16]);
    expect(g.direction.map((d) => d + 0)).toEqual([1, 0, 0, 0, -1, 0, 0, 0, 1]);
  });

  it('rejects a zero column', () => {
    expect(() => geometryFromLpsAffine([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], [2, 2, 2])).toThrow(/column 1/);
  });
});

describe('axisCodes (nibabel aff2axcodes convention)', () => {
  // Directions are LPS columns; codes name the RAS+ direction each index axis points to.
  const cases: [string, Mat3, string][] = [
    ['LPS identity', IDENTITY3, 'LPS'],
    ['RAS', [-1, 0, 0, 0, -1, 0, 0, 0, 1], 'RAS'],
    ['LAS (nibabel anatomical.nii)', [1, 0, 0, 0, -1, 0, 0, 0, 1], 'LAS'],
    ['LSA coronal (KmeansTest_T1UCharRaw)', [1, 0, 0, 0, 0, -1, 0, 1, 0], 'LSA'],
    ['SAR (nibabel small.mnc)', [0, 0, -1, 0, -1, 0, 1, 0, 0], 'SAR'],
    ['RAI', [-1, 0, 0, 0, -1, 0, 0, 0, -1], 'RAI'],
    ['oblique 30 deg about z still reads as the nearest axes', rotation(30, 0), 'LPS'],
    ['oblique 60 deg about z swaps the first two', rotation(60, 0), 'PRS'],
  ];
  it.each(cases)('%s -> %s', (_name, direction, codes) => {
    expect(axisCodes(direction)).toBe(codes);
  });
});

describe('orthonormalize', () => {
  it('leaves an orthonormal matrix unchanged and fixes a slightly skewed one', () => {
    const r = rotation(33, 12);
    orthonormalize(r).forEach((x, i) => expect(x).toBeCloseTo(r[i], 12));
    const skewed = [...r] as Mat3;
    skewed[1] += 1e-4;
    const o = orthonormalize(skewed);
    const col = (m: Mat3, c: number) => [m[c], m[3 + c], m[6 + c]];
    for (let a = 0; a < 3; a++) {
      for (let b = 0; b < 3; b++) {
        const dot = col(o, a).reduce((s, x, k) => s + x * col(o, b)[k], 0);
        expect(dot).toBeCloseTo(a === b ? 1 : 0, 12);
      }
    }
  });
});
