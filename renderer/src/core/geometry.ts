/**
 * Grid geometry helpers in the engine's convention (ITK's): world = origin + direction · diag(spacing) · index,
 * direction row-major with column j the world (LPS) direction of index axis j.
 */
export type Vec3 = [number, number, number];
export type Mat3 = readonly number[];

export interface GridGeometry {
  shape: readonly number[];
  spacing: readonly number[];
  origin: readonly number[];
  direction: Mat3;
}

export function indexToWorld(g: GridGeometry, ijk: readonly number[]): Vec3 {
  const out: Vec3 = [g.origin[0], g.origin[1], g.origin[2]];
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) out[r] += g.direction[r * 3 + c] * g.spacing[c] * ijk[c];
  }
  return out;
}

/** Inverse of indexToWorld (general 3x3 inverse, so a sheared direction still round-trips). */
export function worldToIndex(g: GridGeometry, world: readonly number[]): Vec3 {
  const m = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) m[r * 3 + c] = g.direction[r * 3 + c] * g.spacing[c];
  const inv = invert3(m);
  const d = [world[0] - g.origin[0], world[1] - g.origin[1], world[2] - g.origin[2]];
  return [0, 1, 2].map((r) => inv[r * 3] * d[0] + inv[r * 3 + 1] * d[1] + inv[r * 3 + 2] * d[2]) as Vec3;
}

export function invert3(m: readonly number[]): number[] {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (Math.abs(det) < 1e-12) throw new RangeError('direction · spacing is singular');
  return [
    A / det, -(b * i - c * h) / det, (b * f - c * e) / det,
    B / det, (a * i - c * g) / det, -(a * f - c * d) / det,
    C / det, -(a * h - b * g) / det, (a * e - b * d) / det,
  ];
}

/** vtk.js stores direction column by column (gl-matrix order); the engine row by row. */
export function toVtkDirection(rowMajor: Mat3): number[] {
  return [0, 1, 2].flatMap((c) => [rowMajor[c], rowMajor[3 + c], rowMajor[6 + c]]);
}

/**
 * Column-major 4x4 index-to-world matrix (what vtkActor.setUserMatrix expects), with an extra index offset applied
 * first (used for padded surface extraction grids).
 */
export function indexToWorldMatrix(g: GridGeometry, indexOffset: readonly number[] = [0, 0, 0]): Float64Array {
  const m = new Float64Array(16);
  const o = indexToWorld(g, indexOffset);
  for (let c = 0; c < 3; c++) {
    for (let r = 0; r < 3; r++) m[c * 4 + r] = g.direction[r * 3 + c] * g.spacing[c];
  }
  m[12] = o[0];
  m[13] = o[1];
  m[14] = o[2];
  m[15] = 1;
  return m;
}

/** Axis-aligned world bounds [xmin,xmax,ymin,ymax,zmin,zmax] of the grid's voxel centres. */
export function worldBounds(g: GridGeometry): number[] {
  const b = [Infinity, -Infinity, Infinity, -Infinity, Infinity, -Infinity];
  for (let corner = 0; corner < 8; corner++) {
    const ijk = [0, 1, 2].map((a) => ((corner >> a) & 1 ? g.shape[a] - 1 : 0));
    const w = indexToWorld(g, ijk);
    for (let a = 0; a < 3; a++) {
      b[2 * a] = Math.min(b[2 * a], w[a]);
      b[2 * a + 1] = Math.max(b[2 * a + 1], w[a]);
    }
  }
  return b;
}

export function boundsCenter(b: readonly number[]): Vec3 {
  return [(b[0] + b[1]) / 2, (b[2] + b[3]) / 2, (b[4] + b[5]) / 2];
}

export function boundsDiagonal(b: readonly number[]): number {
  return Math.hypot(b[1] - b[0], b[3] - b[2], b[5] - b[4]);
}
