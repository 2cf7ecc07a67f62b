/**
 * Connected-component labelling of a binary mask in one raster pass with union-find (path halving, union by
 * size: near-linear time), then a second pass that numbers components 1..n in order of their first voxel in raster
 * order (z, then y, then x fastest), as scipy.ndimage.label and skimage.measure.label do.
 */
import type { Vec3 } from '../../volume/volume.ts';

export type Connectivity = 6 | 18 | 26;

export interface Components {
  /** 0 outside the mask, 1..count inside. */
  labels: Int32Array;
  count: number;
  /** sizes[i] = voxels of component i (sizes[0] = 0). */
  sizes: Int32Array;
}

/** Neighbour offsets (dx, dy, dz) already visited in raster order, for a connectivity. */
export function backwardOffsets(connectivity: Connectivity): Vec3[] {
  const out: Vec3[] = [];
  for (let dz = -1; dz <= 0; dz++) {
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const order = (dz * 3 + dy) * 3 + dx;
        if (order >= 0) continue; // only voxels before the centre in raster order
        const n = Math.abs(dx) + Math.abs(dy) + Math.abs(dz);
        if (connectivity === 6 && n > 1) continue;
        if (connectivity === 18 && n > 2) continue;
        out.push([dx, dy, dz]);
      }
    }
  }
  return out;
}

/** Labels the voxels where `mask(i)` is true. */
export function connectedComponents(shape: Vec3, mask: (index: number) => boolean, connectivity: Connectivity = 26): Components {
  const [nx, ny, nz] = shape;
  const total = nx * ny * nz;
  const provisional = new Int32Array(total);
  // parent[0] unused; provisional labels start at 1.
  let parent = new Int32Array(1024);
  let size = new Int32Array(1024);
  let next = 1;
  const find = (a: number): number => {
    while (parent[a] !== a) {
      parent[a] = parent[parent[a]];
      a = parent[a];
    }
    return a;
  };
  const union = (a: number, b: number): number => {
    let ra = find(a);
    let rb = find(b);
    if (ra === rb) return ra;
    if (size[ra] < size[rb]) [ra, rb] = [rb, ra];
    parent[rb] = ra;
    size[ra] += size[rb];
    return ra;
  };
  const offsets = backwardOffsets(connectivity);
  for (let z = 0, i = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++, i++) {
        if (!mask(i)) continue;
        let label = 0;
        for (const [dx, dy, dz] of offsets) {
          const xx = x + dx;
          const yy = y + dy;
          const zz = z + dz;
          if (xx < 0 || yy < 0 || zz < 0 || xx >= nx || yy >= ny) continue;
          const l = provisional[i + dx + dy * nx + dz * nx * ny];
          if (l === 0) continue;
          label = label === 0 ? find(l) : union(label, l);
        }
        if (label === 0) {
          if (next >= parent.length) {
            const grownParent = new Int32Array(parent.length * 2);
            grownParent.set(parent);
            parent = grownParent;
            const grownSize = new Int32Array(size.length * 2);
            grownSize.set(size);
            size = grownSize;
          }
          parent[next] = next;
          size[next] = 1;
          label = next++;
        }
        provisional[i] = label;
      }
    }
  }
  // Final numbering in order of first appearance.
  const final = new Int32Array(next);
  const labels = provisional;
  let count = 0;
  const sizesList: number[] = [0];
  for (let i = 0; i < total; i++) {
    const l = labels[i];
    if (l === 0) continue;
    const root = find(l);
    if (final[root] === 0) {
      final[root] = ++count;
      sizesList.push(0);
    }
    const f = final[root];
    labels[i] = f;
    sizesList[f]++;
  }
  return { labels, count, sizes: Int32Array.from(sizesList) };
}
