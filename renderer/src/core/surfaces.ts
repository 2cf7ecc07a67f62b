/**
 * Label surfaces: one mesh per label value, in index coordinates of the label grid (the caller places it in the world
 * with the grid's index-to-world matrix, which also honours a rotated direction). Each label is cropped to its
 * bounding box plus a one-voxel margin, so a surface touching the volume's edge is closed and small labels cost little.
 * Pure JS, no GL: runs in a worker or in Node.
 */
import { marchingCubesMask } from './marchingCubes.ts';

export interface LabelSurface {
  value: number;
  /** Point coordinates (x, y, z) in label index units. */
  points: Float32Array;
  /** vtk cell array: [3, a, b, c, 3, ...]. */
  polys: Uint32Array;
  normals: Float32Array;
}

/** Per-value bounding boxes [imin, imax, jmin, jmax, kmin, kmax] of the requested values. */
export function labelBounds(data: ArrayLike<number>, shape: readonly number[], values: readonly number[]): Map<number, number[]> {
  const wanted = new Set(values);
  const boxes = new Map<number, number[]>();
  const [nx, ny, nz] = shape;
  let i = 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++, i++) {
        const v = data[i];
        if (v === 0 || !wanted.has(v)) continue;
        const b = boxes.get(v);
        if (!b) boxes.set(v, [x, x, y, y, z, z]);
        else {
          if (x < b[0]) b[0] = x;
          if (x > b[1]) b[1] = x;
          if (y < b[2]) b[2] = y;
          if (y > b[3]) b[3] = y;
          if (z < b[4]) b[4] = z;
          if (z > b[5]) b[5] = z;
        }
      }
    }
  }
  return boxes;
}

/** The mesh of one label whose bounding box is `box`. */
export function labelSurface(data: ArrayLike<number>, shape: readonly number[], value: number, box: readonly number[]): LabelSurface {
  const [nx, ny] = shape;
  const x0 = box[0] - 1;
  const y0 = box[2] - 1;
  const z0 = box[4] - 1;
  const dx = box[1] - box[0] + 3;
  const dy = box[3] - box[2] + 3;
  const dz = box[5] - box[4] + 3;
  const mask = new Uint8Array(dx * dy * dz);
  for (let z = 1; z < dz - 1; z++) {
    for (let y = 1; y < dy - 1; y++) {
      const src = ((z + z0) * ny + (y + y0)) * nx + x0;
      const dst = (z * dy + y) * dx;
      for (let x = 1; x < dx - 1; x++) if (data[src + x] === value) mask[dst + x] = 1;
    }
  }
  const mesh = marchingCubesMask(mask, [dx, dy, dz]);
  // Back from the cropped grid to the label grid's index coordinates.
  for (let i = 0; i < mesh.points.length; i += 3) {
    mesh.points[i] += x0;
    mesh.points[i + 1] += y0;
    mesh.points[i + 2] += z0;
  }
  return { value, ...mesh };
}

/** Meshes for every requested value present in the data. */
export function labelSurfaces(data: ArrayLike<number>, shape: readonly number[], values: readonly number[]): LabelSurface[] {
  const boxes = labelBounds(data, shape, values);
  return [...boxes.entries()].sort((a, b) => a[0] - b[0]).map(([value, box]) => labelSurface(data, shape, value, box));
}
