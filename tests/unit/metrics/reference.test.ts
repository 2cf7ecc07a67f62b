// Metrics on real label maps (the two KmeansTest segmentations, and erosion/shift perturbations) and on an anisotropic
// phantom, against scipy references computed once by tests/fixtures/metrics/make.py; agreement to 1e-6.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import '../../../main/io/formats.ts';
import { readVolume } from '../../../main/io/registry.ts';
import {
  CLASS_METRIC_NAMES,
  computeAllMetrics,
  computeBrierScore,
  computeClassBrierScore,
  computeClassCalibrationError,
  computeExpectedCalibrationError,
  maskOf,
} from '../../../main/metrics/index.ts';
import type { TypedArray } from '../../../main/volume/dtype.ts';
import type { Vec3 } from '../../../main/volume/volume.ts';
import { sharedPath } from '../../helpers/shared-data.ts';
import { agrees, ellipsoid, erodeLabels, refNumber, shiftLabels } from './perturb.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const REF = JSON.parse(readFileSync(path.join(here, '../../fixtures/metrics/reference.json'), 'utf8'));

type RefMetrics = Record<string, number | string>;
interface RefPair {
  name: string;
  spacing: Vec3;
  tolerance: number;
  boundaryDistance: number;
  classes: Record<string, RefMetrics>;
}

function expectAgreement(actual: Record<string, number>, expected: RefMetrics, label: string): void {
  for (const name of CLASS_METRIC_NAMES) {
    const want = refNumber(expected[name]);
    const got = actual[name];
    expect(agrees(got, want), `${label} ${name}: got ${got}, scipy ${want}`).toBe(true);
  }
}

describe('metrics against scipy on KmeansTest label maps', () => {
  let truth: TypedArray;
  let other: TypedArray;
  let shape: Vec3;
  let spacing: Vec3;
  beforeAll(async () => {
    const t = await readVolume(sharedPath('debian_itk_examples/KmeansTest_T1KmeansPrelimSegmentation.nii.gz'));
    const o = await readVolume(sharedPath('debian_itk_examples/KmeansTest_T1RawSkullStrip.nii.gz'));
    truth = t.data;
    other = o.data;
    shape = t.shape;
    spacing = t.spacing;
  });

  it('reads the volumes in the reference voxel order', () => {
    expect(shape).toEqual(REF.kmeans.shape);
    expect(spacing).toEqual(REF.kmeans.spacing);
    for (const [x, y, z, v] of REF.kmeans.samples as number[][]) expect(truth[(z * shape[1] + y) * shape[0] + x]).toBe(v);
  });

  const pairs = REF.kmeans.pairs as RefPair[];
  it.each(pairs.map((p) => [p.name, p] as const))('%s', (_name, ref) => {
    const pred =
      ref.name === 'kmeans-skullstrip-vs-prelim' ? other
      : ref.name === 'kmeans-prelim-eroded' ? erodeLabels(truth, shape)
      : shiftLabels(truth, shape, REF.kmeans.shift as Vec3);
    for (const [cls, expected] of Object.entries(ref.classes)) {
      const c = Number(cls);
      const metrics = computeAllMetrics(maskOf(pred, c, shape, spacing), maskOf(truth, c, shape, spacing), {
        surfaceTolerance: ref.tolerance,
        boundaryDistance: ref.boundaryDistance,
      });
      expectAgreement(metrics, expected, `${ref.name} class ${c}`);
    }
  });
});

describe('anisotropic spacing (1 x 3 x 2, like nibabel/standard.nii.gz)', () => {
  const A = REF.anisotropic;
  const truth = ellipsoid(A.shape, A.shapeSpacing, A.truth.centre, A.truth.r2);
  const pred = ellipsoid(A.shape, A.shapeSpacing, A.pred.centre, A.pred.r2);
  const results = (A.cases as { spacing: Vec3; metrics: RefMetrics }[]).map((c) => ({
    ref: c,
    got: computeAllMetrics({ data: pred, shape: A.shape, spacing: c.spacing }, { data: truth, shape: A.shape, spacing: c.spacing }, {
      surfaceTolerance: A.tolerance,
      boundaryDistance: A.boundaryDistance,
    }),
  }));

  it('agrees with scipy for both spacings', () => {
    for (const r of results) expectAgreement(r.got, r.ref.metrics, `spacing ${r.ref.spacing.join('x')}`);
  });

  it('distances grow with the spacing while overlap metrics do not change', () => {
    const [aniso, iso] = results.map((r) => r.got);
    expect(aniso.dice).toBe(iso.dice);
    expect(aniso.hausdorff).toBeGreaterThan(iso.hausdorff);
    expect(aniso.assd).toBeGreaterThan(iso.assd);
    // Every voxel step is at least 1 in both; the anisotropic one is at most 3 times longer.
    expect(aniso.hausdorff).toBeLessThanOrEqual(3 * iso.hausdorff);
  });
});

describe('nibabel/standard.nii.gz (4x5x7, spacing 1 x 3 x 2) shifted by one voxel along each axis', () => {
  const S = REF.standard;
  it('agrees with scipy with the file\'s spacing and with unit spacing', async () => {
    const v = await readVolume(sharedPath('nibabel/standard.nii.gz'));
    expect(v.shape).toEqual(S.shape);
    expect(v.spacing).toEqual(S.spacing);
    const truth = Uint8Array.from(v.data, (x) => (x === 255 ? 1 : 0));
    const byShift = new Map<string, Record<string, number>[]>();
    for (const c of S.cases as { shift: Vec3; spacing: Vec3; metrics: RefMetrics }[]) {
      const pred = shiftLabels(truth, v.shape, c.shift);
      const got = computeAllMetrics({ data: Uint8Array.from(pred), shape: v.shape, spacing: c.spacing }, { data: truth, shape: v.shape, spacing: c.spacing }, {
        surfaceTolerance: 2,
        boundaryDistance: 2.5,
      });
      expectAgreement(got, c.metrics, `shift ${c.shift.join(',')} spacing ${c.spacing.join('x')}`);
      byShift.set(c.shift.join(','), [...(byShift.get(c.shift.join(',')) ?? []), got]);
    }
    // a shift along y (3 mm voxels) moves the surface by 3 mm, against 1 voxel with unit spacing
    const [yAniso, yIso] = byShift.get('0,1,0') ?? [];
    expect(yAniso.hausdorff).toBe(3);
    expect(yIso.hausdorff).toBeGreaterThan(1);
    for (const [aniso, iso] of byShift.values()) {
      expect(aniso.dice).toBe(iso.dice);
      expect(aniso.assd).toBeGreaterThan(iso.assd);
    }
  });
});

describe('calibration against numpy', () => {
  const C = REF.calibration;
  const n: number = C.voxels;
  const k: number = C.classes;
  const probabilities = new Float64Array(n * k);
  const labels = new Int32Array(n);
  for (let v = 0; v < n; v++) {
    const raw = Array.from({ length: k }, (_, c) => ((v * 7 + c * 13) % 17) + 1);
    const sum = raw.reduce((a, b) => a + b, 0);
    raw.forEach((r, c) => (probabilities[v * k + c] = r / sum));
    labels[v] = ((v * 5) % 7) % 3;
  }
  const input = { probabilities, labels, classValues: [0, 1, 2] };

  it('ECE and Brier score', () => {
    expect(agrees(computeExpectedCalibrationError(input, { bins: C.bins }), C.ece, 1e-12)).toBe(true);
    expect(agrees(computeBrierScore(input), C.brier, 1e-12)).toBe(true);
    const classEce = computeClassCalibrationError(input, { bins: C.bins });
    const classBrier = computeClassBrierScore(input);
    for (let c = 0; c < k; c++) {
      expect(agrees(classEce.get(c) ?? NaN, C.classEce[c], 1e-12)).toBe(true);
      expect(agrees(classBrier.get(c) ?? NaN, C.classBrier[c], 1e-12)).toBe(true);
    }
  });
});
