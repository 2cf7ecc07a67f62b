// Microstructure statistics: small exact cases, and the 3-phase electrode against scipy / scikit-image references
// (tests/fixtures/microstructure/make.py).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import '../../../main/io/formats.ts';
import { readVolume } from '../../../main/io/registry.ts';
import {
  computeInterfaceAreas,
  computeMicrostructure,
  computePercolatingFraction,
  labelComponents,
  type MicrostructureReport,
} from '../../../main/metrics/microstructure/index.ts';
import type { Vec3 } from '../../../main/volume/volume.ts';
import { sharedPath } from '../../helpers/shared-data.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const REF = JSON.parse(readFileSync(path.join(here, '../../fixtures/microstructure/electrode.json'), 'utf8'));

describe('microstructure on small exact cases', () => {
  it('interface areas count voxel faces with the spacing', () => {
    // 2x1x1 voxels, phases 0 | 1 along x, spacing 2 x 3 x 5: one face of area 3 * 5
    const r = computeInterfaceAreas(Uint8Array.from([0, 1]), [2, 1, 1], [2, 3, 5]);
    expect(r).toHaveLength(1);
    expect(r[0]).toMatchObject({ a: 0, b: 1, faces: [1, 0, 0], area: 15 });
    expect(r[0].specificArea).toBeCloseTo(15 / 60, 14);
    // 2x2x1 with phases [[0, 1], [1, 2]]: pairs (0,1): x face + y face; (1,2): x face + y face
    const q = computeInterfaceAreas(Uint8Array.from([0, 1, 1, 2]), [2, 2, 1], [1, 1, 1]);
    expect(q.map((i) => [i.a, i.b, i.area])).toEqual([[0, 1, 2], [1, 2, 2]]);
  });

  it('components with 6, 18 and 26 connectivity', () => {
    // two pairs of voxels touching by an edge; the pairs are two slices apart
    const m = new Uint8Array(27);
    m[0] = 1; // (0,0,0)
    m[4] = 1; // (1,1,0), edge neighbour of (0,0,0)
    m[22] = 1; // (1,1,2)
    m[26] = 1; // (2,2,2), edge neighbour of (1,1,2)
    expect(labelComponents(m, [3, 3, 3], 6).count).toBe(4);
    expect(labelComponents(m, [3, 3, 3], 18).count).toBe(2);
    const corner = new Uint8Array(8);
    corner[0] = 1;
    corner[7] = 1;
    expect(labelComponents(corner, [2, 2, 2], 18).count).toBe(2);
    expect(labelComponents(corner, [2, 2, 2], 26).count).toBe(1);
  });

  it('percolating fraction: a rod along x percolates along x only', () => {
    const shape: Vec3 = [4, 3, 3];
    const m = new Uint8Array(36);
    for (let x = 0; x < 4; x++) m[(1 * 3 + 1) * 4 + x] = 1; // rod at y = z = 1
    m[0] = 1; // isolated voxel at the corner, touches x = 0 only
    const p = computePercolatingFraction(m, shape);
    expect(p[0]).toBeCloseTo(4 / 5, 14);
    expect(p[1]).toBe(0);
    expect(p[2]).toBe(0);
  });
});

describe('microstructure of taufactor/electrode.tiff', () => {
  let report: MicrostructureReport;
  beforeAll(async () => {
    const v = await readVolume(sharedPath('taufactor/electrode.tiff'));
    report = computeMicrostructure(v.data, v.shape, v.spacing);
  });

  it('volume fractions 45.0 / 40.1 / 15.0 % within 0.1 point and equal to the reference', () => {
    const expected = new Map([[0, 45.0], [85, 40.1], [170, 15.0]]);
    expect(report.phases.map((p) => p.value)).toEqual([0, 85, 170]);
    for (const p of report.phases) {
      expect(Math.abs(p.volumeFraction * 100 - (expected.get(p.value) ?? NaN))).toBeLessThanOrEqual(0.1);
      const ref = REF.phases.find((r: { value: number }) => r.value === p.value);
      expect(p.voxels).toBe(ref.voxels);
      expect(p.volumeFraction).toBeCloseTo(ref.volumeFraction, 12);
    }
  });

  it('voxel-face interface areas equal numpy face counts', () => {
    expect(report.interfaces.map((i) => `${i.a},${i.b}`).sort()).toEqual(Object.keys(REF.faces).sort());
    for (const i of report.interfaces) {
      expect(i.faces).toEqual(REF.faces[`${i.a},${i.b}`]);
      expect(i.area).toBe(i.faces[0] + i.faces[1] + i.faces[2]);
    }
  });

  it('voxel faces overestimate the marching-cubes area by the expected 1.2-1.6x', () => {
    for (const i of report.interfaces) {
      const mc = REF.marchingCubesPairArea[`${i.a},${i.b}`];
      const ratio = i.area / mc;
      expect(ratio).toBeGreaterThan(1.2);
      expect(ratio).toBeLessThan(1.6);
    }
    for (const p of report.phases) {
      const ref = REF.phases.find((r: { value: number }) => r.value === p.value);
      expect(p.surfaceArea / ref.marchingCubesArea).toBeGreaterThan(1.2);
      expect(p.surfaceArea / ref.marchingCubesArea).toBeLessThan(1.6);
    }
  });

  it('component counts and percolating fractions equal scipy.ndimage.label', () => {
    for (const p of report.phases) {
      const ref = REF.phases.find((r: { value: number }) => r.value === p.value);
      expect(p.components).toBe(ref.components);
      for (let a = 0; a < 3; a++) expect(p.percolatingFraction[a]).toBeCloseTo(ref.percolatingFraction[a], 12);
    }
  });
});
