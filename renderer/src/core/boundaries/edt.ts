/**
 * Exact Euclidean distance transform (Felzenszwalb & Huttenlocher, "Distance Transforms of Sampled Functions", 2012):
 * separable 1D lower-envelope-of-parabolas passes along x, y and z, with anisotropic spacing, in linear time. Distances
 * are between grid points (sqrt(sum_a (spacing_a (i_a - j_a))^2)), like scipy.ndimage.distance_transform_edt(~features,
 * sampling=spacing). Browser-safe twin of the engine's main/metrics/edt.ts (the renderer cannot import main/).
 */

/** Squared distance from every point to the nearest non-zero point of `features`; Infinity everywhere without one. */
export function squaredDistanceTransform(features: Uint8Array, dims: readonly number[], spacing: readonly number[]): Float64Array {
  const [nx, ny, nz] = dims;
  const n = nx * ny * nz;
  if (features.length !== n) throw new RangeError(`features has ${features.length} values, dims ${dims.join('x')} need ${n}`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = features[i] ? 0 : Infinity;
  const longest = Math.max(nx, ny, nz);
  const work = {
    f: new Float64Array(longest),
    d: new Float64Array(longest),
    v: new Int32Array(longest),
    z: new Float64Array(longest + 1),
  };
  const strides = [1, nx, nx * ny];
  for (let axis = 0; axis < 3; axis++) {
    const length = dims[axis];
    if (length < 2) continue;
    const stride = strides[axis];
    const s2 = spacing[axis] * spacing[axis];
    // Every line along `axis`: its start runs over the other two axes.
    const [ua, va] = [0, 1, 2].filter((a) => a !== axis);
    for (let j = 0; j < dims[va]; j++) {
      for (let i = 0; i < dims[ua]; i++) {
        const start = i * strides[ua] + j * strides[va];
        for (let q = 0; q < length; q++) work.f[q] = out[start + q * stride];
        if (envelope(length, s2, work)) for (let q = 0; q < length; q++) out[start + q * stride] = work.d[q];
      }
    }
  }
  return out;
}

/** Euclidean distance transform (square root of squaredDistanceTransform), as float32. */
export function distanceTransform(features: Uint8Array, dims: readonly number[], spacing: readonly number[]): Float32Array {
  const d = squaredDistanceTransform(features, dims, spacing);
  const out = new Float32Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = Math.sqrt(d[i]);
  return out;
}

/** 1D transform of work.f[0..n) into work.d; false (d untouched) when the line has no finite value. */
function envelope(n: number, s2: number, work: { f: Float64Array; d: Float64Array; v: Int32Array; z: Float64Array }): boolean {
  const { f, d, v, z } = work;
  let k = -1;
  for (let q = 0; q < n; q++) {
    const fq = f[q];
    if (fq === Infinity) continue;
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -Infinity;
      z[1] = Infinity;
      continue;
    }
    const hq = fq + s2 * q * q;
    for (;;) {
      const p = v[k];
      // Where the parabola from q starts to lie below the one from p.
      const s = (hq - (f[p] + s2 * p * p)) / (2 * s2 * (q - p));
      if (s <= z[k]) {
        k--;
        if (k < 0) {
          k = 0;
          v[0] = q;
          z[0] = -Infinity;
          z[1] = Infinity;
          break;
        }
        continue;
      }
      k++;
      v[k] = q;
      z[k] = s;
      z[k + 1] = Infinity;
      break;
    }
  }
  if (k < 0) return false;
  k = 0;
  for (let p = 0; p < n; p++) {
    while (z[k + 1] < p) k++;
    const dq = p - v[k];
    d[p] = s2 * dq * dq + f[v[k]];
  }
  return true;
}
