/**
 * Rotation and scaling about the patch centre, in voxel units (like nnU-Net; spacing is not used).
 *
 * Forward map (input offset -> output offset from the centre): F = Rz · Ry · Rx · S, rotations by the right-hand rule
 * about each axis (about z by +90° turns +x into +y, like rot90(sample, 'xy', 1); about x by +90° turns +y into +z,
 * like rot90(..., 'yz', 1); about y by -90° is rot90(..., 'xz', 1)), S = diag(scale): scale > 1 magnifies the content.
 * The resampler reads the input at M = F^-1 = S^-1 · Rx^T · Ry^T · Rz^T. For a 2D sample (nz = 1) only the rotation
 * about z and the x/y scales apply.
 */
import type { Sample } from './sample.ts';
import { checkNumber, checkSample } from './sample.ts';
import type { Border, Matrix3 } from './resample.ts';
import { DEFAULT_BORDER, resample } from './resample.ts';

export interface AffineParams {
  /** Rotation about the x, y and z axes, degrees. */
  rotationDeg: [number, number, number];
  /** Magnification along x, y, z (1 = none). */
  scale: [number, number, number];
}

function multiply(a: Matrix3, b: Matrix3): Matrix3 {
  const r = new Array<number>(9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) r[i * 3 + j] = a[i * 3] * b[j] + a[i * 3 + 1] * b[3 + j] + a[i * 3 + 2] * b[6 + j];
  }
  return r as Matrix3;
}

function transpose(a: Matrix3): Matrix3 {
  return [a[0], a[3], a[6], a[1], a[4], a[7], a[2], a[5], a[8]];
}

/** cos/sin that are exact at multiples of 90°, so quarter turns resample without interpolation error. */
function cosSin(deg: number): [number, number] {
  const quarter = deg / 90;
  if (Number.isInteger(quarter)) {
    const t = ((quarter % 4) + 4) % 4;
    return ([[1, 0], [0, 1], [-1, 0], [0, -1]] as const)[t].slice() as [number, number];
  }
  const rad = (deg * Math.PI) / 180;
  return [Math.cos(rad), Math.sin(rad)];
}

export function rotationMatrix(rotationDeg: readonly [number, number, number]): Matrix3 {
  const [cx, sx] = cosSin(rotationDeg[0]);
  const [cy, sy] = cosSin(rotationDeg[1]);
  const [cz, sz] = cosSin(rotationDeg[2]);
  const rx: Matrix3 = [1, 0, 0, 0, cx, -sx, 0, sx, cx];
  const ry: Matrix3 = [cy, 0, sy, 0, 1, 0, -sy, 0, cy];
  const rz: Matrix3 = [cz, -sz, 0, sz, cz, 0, 0, 0, 1];
  return multiply(rz, multiply(ry, rx));
}

/** The resampler's matrix M (output offset -> input offset) for `params`; `flat` drops what a 2D sample cannot do. */
export function affineSamplingMatrix(params: AffineParams, flat: boolean): Matrix3 {
  const rotation: [number, number, number] = flat ? [0, 0, params.rotationDeg[2]] : [...params.rotationDeg];
  const scale = flat ? [params.scale[0], params.scale[1], 1] : params.scale;
  const inverseScale: Matrix3 = [1 / scale[0], 0, 0, 0, 1 / scale[1], 0, 0, 0, 1 / scale[2]];
  return multiply(inverseScale, transpose(rotationMatrix(rotation)));
}

export function checkAffineParams(params: AffineParams): void {
  params.rotationDeg.forEach((v, i) => checkNumber(v, `affine.rotationDeg[${i}]`));
  params.scale.forEach((v, i) => checkNumber(v, `affine.scale[${i}]`, 1e-3, 1e3));
}

/** Rotates and scales `sample` about its centre: trilinear for the image, nearest neighbour for the label. */
export function affine(sample: Sample, params: AffineParams, border: Border = DEFAULT_BORDER): Sample {
  checkSample(sample);
  checkAffineParams(params);
  return resample(sample, affineSamplingMatrix(params, sample.shape[2] === 1), null, border);
}
