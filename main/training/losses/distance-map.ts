// Exact Euclidean distance transforms (Felzenszwalb & Huttenlocher 2012) with anisotropic spacing, and the signed
// distance maps the boundary loss needs.
import { InputError } from '../../util/errors.ts';

/**
 * Lower envelope of parabolas along one line: out[q] = min_p (x_q - x_p)^2 + f[p] with x = index * spacing.
 * Infinite f[p] (no feature) are left out; a line without any finite value stays infinite.
 */
function distanceLine(f: Float64Array, n: number, spacing: number, out: Float64Array, v: Int32Array, z: Float64Array): void {
  let k = -1;
  for (let q = 0; q < n; q++) {
    if (f[q] === Infinity) continue;
    const xq = q * spacing;
    const fq = f[q] + xq * xq;
    let cross = -Infinity;
    while (k >= 0) {
      const xp = v[k] * spacing;
      cross = (fq - (f[v[k]] + xp * xp)) / (2 * (xq - xp));
      if (cross > z[k]) break;
      k--;
    }
    k++;
    v[k] = q;
    z[k] = k === 0 ? -Infinity : cross;
    z[k + 1] = Infinity;
  }
  if (k < 0) {
    out.fill(Infinity, 0, n);
    return;
  }
  let j = 0;
  for (let q = 0; q < n; q++) {
    const x = q * spacing;
    while (z[j + 1] < x) j++;
    const dx = x - v[j] * spacing;
    out[q] = dx * dx + f[v[j]];
  }
}

/**
 * Squared Euclidean distance (in spacing units) from every voxel to the nearest voxel where `feature` is true;
 * Infinity everywhere if there is none. Volume x-fastest with shape [nx, ny, nz].
 */
export function squaredDistanceTransform(feature: (index: number) => boolean, shape: [number, number, number], spacing: [number, number, number]): Float64Array {
  const [nx, ny, nz] = shape;
  const total = nx * ny * nz;
  const d = new Float64Array(total);
  for (let i = 0; i < total; i++) d[i] = feature(i) ? 0 : Infinity;
  const longest = Math.max(nx, ny, nz);
  const f = new Float64Array(longest);
  const out = new Float64Array(longest);
  const v = new Int32Array(longest);
  const z = new Float64Array(longest + 1);
  const pass = (n: number, stride: number, starts: Iterable<number>, s: number): void => {
    if (n === 1) return;
    for (const start of starts) {
      for (let q = 0; q < n; q++) f[q] = d[start + q * stride];
      distanceLine(f, n, s, out, v, z);
      for (let q = 0; q < n; q++) d[start + q * stride] = out[q];
    }
  };
  function* lineStarts(axis: 0 | 1 | 2): Generator<number> {
    for (let zz = 0; zz < (axis === 2 ? 1 : nz); zz++) {
      for (let yy = 0; yy < (axis === 1 ? 1 : ny); yy++) {
        for (let xx = 0; xx < (axis === 0 ? 1 : nx); xx++) yield (zz * ny + yy) * nx + xx;
      }
    }
  }
  pass(nx, 1, lineStarts(0), spacing[0]);
  pass(ny, nx, lineStarts(1), spacing[1]);
  pass(nz, nx * ny, lineStarts(2), spacing[2]);
  return d;
}

/**
 * Signed distance maps of a label volume, one channel per class, channels interleaved (x-fastest, i.e. the memory
 * order of a [z, y, x, classes] tensor). For class c: outside voxels hold the distance to the nearest voxel of c,
 * voxels of c hold minus the distance to the nearest voxel not in c (so both sides of a boundary are one voxel
 * spacing from 0). Distances are in spacing units. A class that is absent, or that fills the whole volume, has no
 * boundary: its map is all zeros (Kervadec et al.'s convention), so the boundary loss ignores it.
 */
export function signedDistanceMap(label: Uint8Array, shape: [number, number, number], spacing: [number, number, number], classes: number): Float32Array {
  const [nx, ny, nz] = shape;
  const total = nx * ny * nz;
  if (!shape.every((n) => Number.isInteger(n) && n > 0)) throw new InputError('shape', `must be 3 positive integers, got [${shape}]`);
  if (label.length !== total) throw new InputError('label', `has ${label.length} voxels, shape [${shape}] needs ${total}`);
  if (!spacing.every((s) => s > 0 && Number.isFinite(s))) throw new InputError('spacing', `must be positive, got [${spacing}]`);
  if (!(Number.isInteger(classes) && classes >= 1 && classes <= 256)) throw new InputError('classes', `must be an integer in 1..256, got ${classes}`);
  const counts = new Int32Array(256);
  for (let i = 0; i < total; i++) counts[label[i]]++;
  for (let value = classes; value < 256; value++) {
    if (counts[value] > 0) throw new InputError('label', `contains value ${value}, not below the ${classes} classes`);
  }
  const maps = new Float32Array(total * classes);
  for (let c = 0; c < classes; c++) {
    if (counts[c] === 0 || counts[c] === total) continue;
    const toInside = squaredDistanceTransform((i) => label[i] === c, shape, spacing);
    const toOutside = squaredDistanceTransform((i) => label[i] !== c, shape, spacing);
    for (let i = 0; i < total; i++) maps[i * classes + c] = label[i] === c ? -Math.sqrt(toOutside[i]) : Math.sqrt(toInside[i]);
  }
  return maps;
}
