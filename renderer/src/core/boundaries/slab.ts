/**
 * The slab view: the part of the 3D scene between two planes normal to one index axis of the label grid, as world
 * clipping planes (vtk.js keeps the side a plane's normal points to). Positions are full-resolution voxel indices, so
 * the slab stays put when the mesh comes from a coarser pyramid level.
 */
import { indexToWorld, type GridGeometry, type Vec3 } from '../geometry.ts';

export interface Slab {
  axis: 0 | 1 | 2;
  /** Slab centre, full-resolution voxel index along the axis. */
  center: number;
  /** Thickness in full-resolution voxels. */
  thickness: number;
}

export interface WorldPlane {
  origin: Vec3;
  normal: Vec3;
}

/** The two planes bounding the slab, both normals pointing into it. */
export function slabPlanes(grid: GridGeometry, slab: Slab): [WorldPlane, WorldPlane] {
  const half = Math.max(slab.thickness, 0) / 2;
  const at = (t: number) => {
    const ijk = [0, 0, 0];
    ijk[slab.axis] = t;
    return indexToWorld(grid, ijk);
  };
  // World direction of index axis `axis` (column of the direction matrix), sign-corrected for a negative spacing.
  const d = grid.direction;
  const s = Math.sign(grid.spacing[slab.axis]) || 1;
  const axisDir: Vec3 = [d[slab.axis] * s, d[3 + slab.axis] * s, d[6 + slab.axis] * s];
  const neg: Vec3 = [-axisDir[0], -axisDir[1], -axisDir[2]];
  return [
    { origin: at(slab.center - half), normal: axisDir },
    { origin: at(slab.center + half), normal: neg },
  ];
}

/** Whether an index-space point (full-resolution voxel index along the axis) lies in the slab. */
export function inSlab(slab: Slab, index: number): boolean {
  return Math.abs(index - slab.center) <= slab.thickness / 2;
}
