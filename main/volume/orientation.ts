import type { Geometry, Mat3, Vec3 } from './volume.ts';

/**
 * The single place where RAS (NIfTI, MINC, nibabel) and LPS (ITK, DICOM, NRRD "left-posterior-superior", our engine)
 * meet. They differ by a sign flip of the first two world axes: LPS = diag(-1, -1, 1) · RAS.
 *
 * A 4x4 affine here is row-major, 16 numbers, mapping homogeneous voxel index (i, j, k, 1) to world.
 */
export type Affine = number[];

const FLIP_XY = [-1, -1, 1];

/** Flips the first two world axes of an affine: RAS <-> LPS (the map is its own inverse). */
export function flipAffineXY(affine: Affine): Affine {
  if (affine.length !== 16) throw new RangeError(`affine must have 16 numbers, got ${affine.length}`);
  const out = affine.slice();
  for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) out[r * 4 + c] *= FLIP_XY[r];
  return out;
}

export const rasToLpsAffine = flipAffineXY;
export const lpsToRasAffine = flipAffineXY;

export function flipPointXY(p: Vec3): Vec3 {
  return [-p[0], -p[1], p[2]];
}

/** Geometry (spacing, unit direction columns, origin) of an LPS affine. */
export function geometryFromLpsAffine(affine: Affine, shape: Vec3): Geometry {
  const spacing: Vec3 = [0, 0, 0];
  const direction = [0, 0, 0, 0, 0, 0, 0, 0, 0] as Mat3;
  for (let c = 0; c < 3; c++) {
    const col = [affine[c], affine[4 + c], affine[8 + c]];
    const norm = Math.hypot(col[0], col[1], col[2]);
    if (!(norm > 0) || !Number.isFinite(norm)) {
      throw new RangeError(`affine column ${c} has zero or non-finite length`);
    }
    spacing[c] = norm;
    for (let r = 0; r < 3; r++) direction[r * 3 + c] = col[r] / norm;
  }
  return { shape: [...shape] as Vec3, spacing, origin: [affine[3], affine[7], affine[11]], direction };
}

export function lpsAffineFromGeometry(g: Pick<Geometry, 'spacing' | 'origin' | 'direction'>): Affine {
  const a: Affine = new Array(16).fill(0);
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) a[r * 4 + c] = g.direction[r * 3 + c] * g.spacing[c];
    a[r * 4 + 3] = g.origin[r];
  }
  a[15] = 1;
  return a;
}

/** Geometry of a NIfTI/MINC style RAS affine. */
export function geometryFromRasAffine(affine: Affine, shape: Vec3): Geometry {
  return geometryFromLpsAffine(rasToLpsAffine(affine), shape);
}

export function rasAffineFromGeometry(g: Pick<Geometry, 'spacing' | 'origin' | 'direction'>): Affine {
  return lpsToRasAffine(lpsAffineFromGeometry(g));
}

/**
 * nibabel-style axis codes: for each index axis, the RAS+ world direction it points to ('R','A','S' or 'L','P','I').
 * `KmeansTest_T1UCharRaw.nii.gz` is 'LSA' in nibabel and gives 'LSA' here.
 */
export function axisCodes(direction: Mat3): string {
  const positive = ['R', 'A', 'S'];
  const negative = ['L', 'P', 'I'];
  let codes = '';
  for (let c = 0; c < 3; c++) {
    // column in RAS
    const col = [-direction[c], -direction[3 + c], direction[6 + c]];
    let best = 0;
    for (let r = 1; r < 3; r++) if (Math.abs(col[r]) > Math.abs(col[best])) best = r;
    codes += col[best] >= 0 ? positive[best] : negative[best];
  }
  return codes;
}

/** Orthonormalises a direction matrix (Gram-Schmidt on columns); readers use it for near-orthogonal headers. */
export function orthonormalize(direction: Mat3): Mat3 {
  const cols = [0, 1, 2].map((c) => [direction[c], direction[3 + c], direction[6 + c]]);
  const out: number[][] = [];
  for (const v of cols) {
    const w = v.slice();
    for (const u of out) {
      const d = u[0] * w[0] + u[1] * w[1] + u[2] * w[2];
      for (let r = 0; r < 3; r++) w[r] -= d * u[r];
    }
    const n = Math.hypot(w[0], w[1], w[2]);
    if (!(n > 1e-12)) throw new RangeError('direction columns are linearly dependent');
    out.push(w.map((x) => x / n));
  }
  return [out[0][0], out[1][0], out[2][0], out[0][1], out[1][1], out[2][1], out[0][2], out[1][2], out[2][2]];
}
