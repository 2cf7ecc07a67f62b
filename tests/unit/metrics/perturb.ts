/** Label perturbations, defined exactly as in tests/fixtures/metrics/make.py (erode_labels, shift_labels). */
import type { TypedArray } from '../../../main/volume/dtype.ts';
import type { Vec3 } from '../../../main/volume/volume.ts';

/** Every non-zero voxel with a face neighbour of another label (or outside the grid) becomes 0. */
export function erodeLabels(labels: TypedArray, shape: Vec3): Int32Array {
  const [nx, ny, nz] = shape;
  const out = Int32Array.from(labels);
  const at = (x: number, y: number, z: number) => (x < 0 || y < 0 || z < 0 || x >= nx || y >= ny || z >= nz ? -1 : labels[(z * ny + y) * nx + x]);
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const v = at(x, y, z);
        if (v === 0) continue;
        const neighbours = [at(x - 1, y, z), at(x + 1, y, z), at(x, y - 1, z), at(x, y + 1, z), at(x, y, z - 1), at(x, y, z + 1)];
        if (neighbours.some((n) => n !== v)) out[(z * ny + y) * nx + x] = 0;
      }
    }
  }
  return out;
}

/** out[x, y, z] = labels[x - dx, y - dy, z - dz], 0 where that is outside the grid. */
export function shiftLabels(labels: TypedArray, shape: Vec3, d: Vec3): Int32Array {
  const [nx, ny, nz] = shape;
  const out = new Int32Array(labels.length);
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const sx = x - d[0], sy = y - d[1], sz = z - d[2];
        if (sx < 0 || sy < 0 || sz < 0 || sx >= nx || sy >= ny || sz >= nz) continue;
        out[(z * ny + y) * nx + x] = labels[(sz * ny + sy) * nx + sx];
      }
    }
  }
  return out;
}

/** Voxels inside ((x - cx) sx)^2 + ((y - cy) sy)^2 + ((z - cz) sz)^2 <= r2 (make.py's ellipsoid). */
export function ellipsoid(shape: Vec3, scale: Vec3, centre: Vec3, r2: number): Uint8Array {
  const [nx, ny, nz] = shape;
  const out = new Uint8Array(nx * ny * nz);
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const a = (x - centre[0]) * scale[0], b = (y - centre[1]) * scale[1], c = (z - centre[2]) * scale[2];
        if (a * a + b * b + c * c <= r2) out[(z * ny + y) * nx + x] = 1;
      }
    }
  }
  return out;
}

/** Reads make.py's JSON numbers, where NaN and Infinity are strings. */
export function refNumber(value: unknown): number {
  if (value === 'NaN') return NaN;
  if (value === 'Infinity') return Infinity;
  if (typeof value !== 'number') throw new Error(`not a reference number: ${String(value)}`);
  return value;
}

/** |a - b| <= tol * max(1, |b|), with NaN == NaN and Infinity == Infinity. */
export function agrees(actual: number, expected: number, tol = 1e-6): boolean {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  if (!Number.isFinite(expected)) return actual === expected;
  return Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected));
}
