/**
 * Reordering axes so that a 2D model's slice axis becomes z (slices are then x/y planes). In-plane axes keep their
 * order, the lower one fastest: slice axis x -> (y, z, x), y -> (x, z, y), z -> unchanged.
 */
import type { Vec3 } from '../volume/volume.ts';

/** Source axis of each new axis. */
export function sliceAxisOrder(axis: 0 | 1 | 2): Vec3 {
  return axis === 0 ? [1, 2, 0] : axis === 1 ? [0, 2, 1] : [0, 1, 2];
}

/** new[a] = old[order[a]] for shape and voxel positions; components stay interleaved. */
export function permuteAxes(data: Float32Array, shape: Vec3, channels: number, order: Vec3): { data: Float32Array; shape: Vec3 } {
  const newShape = order.map((a) => shape[a]) as Vec3;
  if (order[0] === 0 && order[1] === 1 && order[2] === 2) return { data, shape: newShape };
  const strides: Vec3 = [channels, shape[0] * channels, shape[0] * shape[1] * channels];
  const [sx, sy, sz] = order.map((a) => strides[a]);
  const out = new Float32Array(data.length);
  const [nx, ny, nz] = newShape;
  for (let z = 0, o = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const s = x * sx + y * sy + z * sz;
        for (let c = 0; c < channels; c++, o++) out[o] = data[s + c];
      }
    }
  }
  return { data: out, shape: newShape };
}

/** The order that undoes `order`. */
export function inverseOrder(order: Vec3): Vec3 {
  const inv: Vec3 = [0, 0, 0];
  order.forEach((a, i) => (inv[a] = i));
  return inv;
}
