/**
 * Marching cubes on a binary mask (iso-value 0.5), fast enough for whole label maps: empty and full cells are skipped
 * with one table look-up, vertices sit at edge midpoints (exact for a binary mask) and are shared between cells
 * through an edge-indexed table, and vertex normals are area-weighted face normals. Uses vtk.js's case table, so the
 * triangles are the ones vtkImageMarchingCubes makes. Output in index coordinates of the mask grid.
 */
import caseTable from '@kitware/vtk.js/Filters/General/ImageMarchingCubes/caseTable.js';

export interface Mesh {
  /** x, y, z per vertex. */
  points: Float32Array;
  /** vtk cell array: [3, a, b, c, 3, ...]. */
  polys: Uint32Array;
  /** Unit normal per vertex. */
  normals: Float32Array;
}

interface CaseTable {
  getCase(index: number): readonly number[];
  getEdge(edge: number): readonly [number, number];
}
const table = caseTable as unknown as CaseTable;

/** Case bit b is set when corner CASE_CORNER[b] is inside; corners are numbered x + 2y + 4z within a cell. */
const CASE_CORNER = [0, 1, 3, 2, 4, 5, 7, 6];
const CASES: readonly (readonly number[])[] = Array.from({ length: 256 }, (_, i) => {
  const tris = table.getCase(i);
  const end = tris.indexOf(-1);
  return tris.slice(0, end < 0 ? tris.length : end);
});
const EDGES = Array.from({ length: 12 }, (_, e) => table.getEdge(e));

/** Largest grid (in points) this function accepts: the edge table needs 12 bytes per point. */
export const MAX_MESH_GRID_POINTS = 8 * 1024 * 1024;

export function marchingCubesMask(mask: Uint8Array, dims: readonly [number, number, number]): Mesh {
  const [nx, ny, nz] = dims;
  const n = nx * ny * nz;
  if (mask.length !== n) throw new RangeError(`mask has ${mask.length} values, dims ${dims.join('x')} need ${n}`);
  if (n > MAX_MESH_GRID_POINTS) throw new RangeError(`grid of ${n} points is over ${MAX_MESH_GRID_POINTS}`);
  const slice = nx * ny;
  const cornerOffset = [0, 1, nx, nx + 1, slice, slice + 1, slice + nx, slice + nx + 1];
  const edgeVertex = new Int32Array(n * 3).fill(-1);
  let points = new Float32Array(4096);
  let pointCount = 0;
  let tris = new Uint32Array(4096);
  let triCount = 0;

  const vertexOnEdge = (p: number, i: number, j: number, k: number, edge: number): number => {
    const [a, b] = EDGES[edge];
    const dir = (a ^ b) === 1 ? 0 : (a ^ b) === 2 ? 1 : 2;
    const lower = p + cornerOffset[a];
    const key = lower * 3 + dir;
    const existing = edgeVertex[key];
    if (existing >= 0) return existing;
    if ((pointCount + 1) * 3 > points.length) {
      const grown = new Float32Array(points.length * 2);
      grown.set(points);
      points = grown;
    }
    const o = pointCount * 3;
    points[o] = i + (a & 1) + (dir === 0 ? 0.5 : 0);
    points[o + 1] = j + ((a >> 1) & 1) + (dir === 1 ? 0.5 : 0);
    points[o + 2] = k + ((a >> 2) & 1) + (dir === 2 ? 0.5 : 0);
    edgeVertex[key] = pointCount;
    return pointCount++;
  };

  for (let k = 0; k < nz - 1; k++) {
    for (let j = 0; j < ny - 1; j++) {
      let p = k * slice + j * nx;
      for (let i = 0; i < nx - 1; i++, p++) {
        let index = 0;
        for (let b = 0; b < 8; b++) if (mask[p + cornerOffset[CASE_CORNER[b]]]) index |= 1 << b;
        if (index === 0 || index === 255) continue;
        const edges = CASES[index];
        if ((triCount + edges.length / 3) * 4 > tris.length) {
          const grown = new Uint32Array(tris.length * 2);
          grown.set(tris);
          tris = grown;
        }
        for (let t = 0; t < edges.length; t += 3) {
          const o = triCount * 4;
          tris[o] = 3;
          tris[o + 1] = vertexOnEdge(p, i, j, k, edges[t]);
          tris[o + 2] = vertexOnEdge(p, i, j, k, edges[t + 1]);
          tris[o + 3] = vertexOnEdge(p, i, j, k, edges[t + 2]);
          triCount++;
        }
      }
    }
  }

  const finalPoints = points.slice(0, pointCount * 3);
  const polys = tris.slice(0, triCount * 4);
  return { points: finalPoints, polys, normals: vertexNormals(finalPoints, polys) };
}

/** Area-weighted vertex normals (unit length; zero for an isolated vertex). */
export function vertexNormals(points: Float32Array, polys: Uint32Array): Float32Array {
  const acc = new Float64Array(points.length);
  for (let t = 0; t < polys.length; t += 4) {
    const a = polys[t + 1] * 3;
    const b = polys[t + 2] * 3;
    const c = polys[t + 3] * 3;
    const ux = points[b] - points[a];
    const uy = points[b + 1] - points[a + 1];
    const uz = points[b + 2] - points[a + 2];
    const vx = points[c] - points[a];
    const vy = points[c + 1] - points[a + 1];
    const vz = points[c + 2] - points[a + 2];
    const nx = uy * vz - uz * vy;
    const ny = uz * vx - ux * vz;
    const nz = ux * vy - uy * vx;
    for (const v of [a, b, c]) {
      acc[v] += nx;
      acc[v + 1] += ny;
      acc[v + 2] += nz;
    }
  }
  const out = new Float32Array(points.length);
  for (let v = 0; v < acc.length; v += 3) {
    const len = Math.hypot(acc[v], acc[v + 1], acc[v + 2]);
    if (len > 0) {
      out[v] = acc[v] / len;
      out[v + 1] = acc[v + 1] / len;
      out[v + 2] = acc[v + 2] / len;
    }
  }
  return out;
}
