/**
 * Cutting network inputs out of a case. A patch is given by its corner (x, y, z) and size (x, y, z); voxels outside
 * the volume read as 0 (image) and 0 (label), so patches larger than a small volume still work.
 *
 * Layouts (channels-last, as tfjs wants):
 * - '3d': image [z, y, x, c], label [z, y, x]: the volume's own memory order, rows copied as they are.
 * - '2d' / '2.5d' along axis a: a patch of size 1 along a; the 2D image is [H, W] = (y, x) for axis z, (z, x) for
 *   axis y, (z, y) for axis x, with channels = image channels x (2 * context + 1) slices (slice-major: all channels of
 *   slice a-context first). Neighbouring slices beyond the volume repeat the edge slice.
 */
import type { InputLayout } from '../../../models/spec.ts';
import type { LoadedCase } from './cases.ts';

export type Vec3i = [number, number, number];

const AXIS = { x: 0, y: 1, z: 2 } as const;

/** Spatial size (H, W[, D]) of the network input for a patch of size `size` (x, y, z). */
export function tensorShapeOf(layout: InputLayout, size: Vec3i): number[] {
  if (layout.kind === '3d') return [size[2], size[1], size[0]];
  const [h, w] = planeAxes(layout.axis);
  return [size[h], size[w]];
}

/** Volume axes (as 0 = x, 1 = y, 2 = z) that become H and W of a slice normal to `axis`. */
export function planeAxes(axis: 'x' | 'y' | 'z'): [number, number] {
  return axis === 'z' ? [1, 0] : axis === 'y' ? [2, 0] : [2, 1];
}

/** Input channels per voxel of the layout. */
export function layoutChannels(layout: InputLayout): number {
  return layout.imageChannels * (layout.kind === '2.5d' ? 2 * layout.context + 1 : 1);
}

/**
 * Writes the patch at `corner` into `image` (length = product of the tensor shape x channels) and `label`, at the
 * given element offsets (the batch slot).
 */
export function extractPatch(
  c: LoadedCase,
  layout: InputLayout,
  corner: Vec3i,
  size: Vec3i,
  image: Float32Array,
  label: Uint8Array,
  imageOffset = 0,
  labelOffset = 0,
): void {
  const [nx, ny, nz] = c.shape;
  const ch = c.channels;
  if (layout.kind === '3d') {
    let li = labelOffset;
    let ii = imageOffset;
    for (let z = 0; z < size[2]; z++) {
      const vz = corner[2] + z;
      for (let y = 0; y < size[1]; y++) {
        const vy = corner[1] + y;
        for (let x = 0; x < size[0]; x++, li++, ii += ch) {
          const vx = corner[0] + x;
          if (vx < 0 || vy < 0 || vz < 0 || vx >= nx || vy >= ny || vz >= nz) {
            label[li] = 0;
            for (let k = 0; k < ch; k++) image[ii + k] = 0;
            continue;
          }
          const v = (vz * ny + vy) * nx + vx;
          label[li] = c.label[v];
          for (let k = 0; k < ch; k++) image[ii + k] = c.image[v * ch + k];
        }
      }
    }
    return;
  }
  const a = AXIS[layout.axis];
  const [ha, wa] = planeAxes(layout.axis);
  const context = layout.kind === '2.5d' ? layout.context : 0;
  const slices = 2 * context + 1;
  const outCh = ch * slices;
  const pos: Vec3i = [0, 0, 0];
  let li = labelOffset;
  let ii = imageOffset;
  for (let h = 0; h < size[ha]; h++) {
    for (let w = 0; w < size[wa]; w++, li++, ii += outCh) {
      pos[a] = corner[a];
      pos[ha] = corner[ha] + h;
      pos[wa] = corner[wa] + w;
      const inside = pos[0] >= 0 && pos[1] >= 0 && pos[2] >= 0 && pos[0] < nx && pos[1] < ny && pos[2] < nz;
      label[li] = inside ? c.label[(pos[2] * ny + pos[1]) * nx + pos[0]] : 0;
      for (let s = 0; s < slices; s++) {
        const q: Vec3i = [pos[0], pos[1], pos[2]];
        q[a] = Math.min(c.shape[a] - 1, Math.max(0, corner[a] + s - context));
        const qi = (q[2] * ny + q[1]) * nx + q[0];
        for (let k = 0; k < ch; k++) image[ii + s * ch + k] = inside ? c.image[qi * ch + k] : 0;
      }
    }
  }
}
