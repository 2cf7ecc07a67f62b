/**
 * Connected components of a binary mask (union-find over one raster scan) and percolation: the share of a phase's
 * voxels that lie in components touching both opposite faces of the grid along an axis.
 * Connectivity 6 (faces, scipy's `generate_binary_structure(3, 1)`, the default), 18 (faces and edges) or 26.
 */
import type { Vec3 } from '../../volume/volume.ts';

export type Connectivity = 6 | 18 | 26;

/** Backward neighbour offsets (dx, dy, dz) already visited in raster order. */
function backwardOffsets(connectivity: Connectivity): Vec3[] {
  const out: Vec3[] = [];
  for (let dz = -1; dz <= 0; dz++) {
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        if (dz === 0 && (dy > 0 || (dy === 0 && dx >= 0))) continue;
        const order = Math.abs(dx) + Math.abs(dy) + Math.abs(dz);
        if (connectivity === 6 && order > 1) continue;
        if (connectivity === 18 && order > 2) continue;
        out.push([dx, dy, dz]);
      }
    }
  }
  return out;
}

export interface Components {
  /** Component id per voxel, 1..count; 0 outside the mask. */
  labels: Int32Array;
  count: number;
  /** Voxel count of component k at index k (index 0 unused). */
  sizes: Float64Array;
}

export function labelComponents(mask: Uint8Array, shape: Vec3, connectivity: Connectivity = 6): Components {
  const [nx, ny, nz] = shape;
  const n = nx * ny * nz;
  if (mask.length !== n) throw new RangeError('mask length does not match its shape');
  const parent = new Int32Array(n).fill(-1);
  const find = (i: number): number => {
    let r = i;
    while (parent[r] !== r) r = parent[r];
    while (parent[i] !== r) {
      const next = parent[i];
      parent[i] = r;
      i = next;
    }
    return r;
  };
  const offsets = backwardOffsets(connectivity);
  const count = offsets.length;
  const ox = Int32Array.from(offsets, (o) => o[0]);
  const oy = Int32Array.from(offsets, (o) => o[1]);
  const oz = Int32Array.from(offsets, (o) => o[2]);
  const delta = Int32Array.from(offsets, (o) => o[0] + nx * (o[1] + ny * o[2]));
  const union = (i: number, j: number) => {
    const a = find(i), b = find(j);
    if (a !== b) parent[a < b ? b : a] = a < b ? a : b;
  };
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const interiorY = y > 0 && y < ny - 1 && z > 0;
      for (let x = 0; x < nx; x++) {
        const i = (z * ny + y) * nx + x;
        if (!mask[i]) continue;
        parent[i] = i;
        if (interiorY && x > 0 && x < nx - 1) {
          // no bounds checks away from the grid's faces
          for (let k = 0; k < count; k++) if (mask[i + delta[k]]) union(i, i + delta[k]);
          continue;
        }
        for (let k = 0; k < count; k++) {
          const xx = x + ox[k], yy = y + oy[k], zz = z + oz[k];
          if (xx < 0 || xx >= nx || yy < 0 || yy >= ny || zz < 0) continue;
          const j = i + delta[k];
          if (mask[j]) union(i, j);
        }
      }
    }
  }
  // Every root is the smallest index of its component (unions keep the smaller root), so one forward pass meets a
  // component's root before any other voxel of it and can number components in raster order.
  const labels = new Int32Array(n);
  const sizes: number[] = [0];
  for (let i = 0; i < n; i++) {
    if (!mask[i]) continue;
    if (parent[i] === i) {
      labels[i] = sizes.length;
      sizes.push(1);
    } else {
      const id = labels[find(i)];
      labels[i] = id;
      sizes[id]++;
    }
  }
  return { labels, count: sizes.length - 1, sizes: Float64Array.from(sizes) };
}

/**
 * Percolating fraction along x, y, z: voxels in components that touch both the first and the last slice of that axis,
 * over all voxels of the mask (NaN for an empty mask).
 */
export function computePercolatingFraction(mask: Uint8Array, shape: Vec3, connectivity: Connectivity = 6, components?: Components): Vec3 {
  const cc = components ?? labelComponents(mask, shape, connectivity);
  const [nx, ny] = shape;
  let total = 0;
  for (let k = 1; k <= cc.count; k++) total += cc.sizes[k];
  const out: Vec3 = [NaN, NaN, NaN];
  if (total === 0) return out;
  const strides: Vec3 = [1, nx, nx * ny];
  for (let axis = 0; axis < 3; axis++) {
    const first = new Uint8Array(cc.count + 1);
    const last = new Uint8Array(cc.count + 1);
    // the two faces normal to `axis`: the other two axes span them
    const [u, v] = axis === 0 ? [1, 2] : axis === 1 ? [0, 2] : [0, 1];
    const lastOffset = (shape[axis] - 1) * strides[axis];
    for (let b = 0; b < shape[v]; b++) {
      for (let a = 0; a < shape[u]; a++) {
        const i = a * strides[u] + b * strides[v];
        first[cc.labels[i]] = 1;
        last[cc.labels[i + lastOffset]] = 1;
      }
    }
    let spanning = 0;
    for (let k = 1; k <= cc.count; k++) if (first[k] && last[k]) spanning += cc.sizes[k];
    out[axis] = spanning / total;
  }
  return out;
}
