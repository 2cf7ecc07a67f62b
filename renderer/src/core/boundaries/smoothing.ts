/**
 * Taubin smoothing (λ|μ, "A signal processing approach to fair surface design", 1995): alternating shrink and inflate
 * Laplacian steps that take the staircase off a voxel-face mesh without shrinking it the way plain Laplacian smoothing
 * does. In place; normals are recomputed by the caller (or with vertexNormals).
 */
import { vertexNormals as areaWeightedNormals } from '../marchingCubes.ts';

/** Unique neighbours of each vertex from a vtk triangle cell array, as CSR (offsets, neighbours). */
export function vertexNeighbours(polys: Uint32Array, vertexCount: number): { offsets: Uint32Array; neighbours: Uint32Array } {
  const sets: Set<number>[] = Array.from({ length: vertexCount }, () => new Set<number>());
  for (let o = 0; o < polys.length; o += 4) {
    const a = polys[o + 1];
    const b = polys[o + 2];
    const c = polys[o + 3];
    sets[a].add(b).add(c);
    sets[b].add(a).add(c);
    sets[c].add(a).add(b);
  }
  const offsets = new Uint32Array(vertexCount + 1);
  for (let i = 0; i < vertexCount; i++) offsets[i + 1] = offsets[i] + sets[i].size;
  const neighbours = new Uint32Array(offsets[vertexCount]);
  for (let i = 0; i < vertexCount; i++) neighbours.set([...sets[i]], offsets[i]);
  return { offsets, neighbours };
}

export function taubinSmooth(points: Float32Array, polys: Uint32Array, iterations: number, lambda = 0.5, mu = -0.53): void {
  const n = points.length / 3;
  if (iterations <= 0 || n === 0) return;
  const { offsets, neighbours } = vertexNeighbours(polys, n);
  const delta = new Float32Array(points.length);
  const step = (factor: number) => {
    for (let i = 0; i < n; i++) {
      const start = offsets[i];
      const end = offsets[i + 1];
      if (end === start) continue;
      let sx = 0;
      let sy = 0;
      let sz = 0;
      for (let k = start; k < end; k++) {
        const j = neighbours[k] * 3;
        sx += points[j];
        sy += points[j + 1];
        sz += points[j + 2];
      }
      const m = end - start;
      delta[i * 3] = factor * (sx / m - points[i * 3]);
      delta[i * 3 + 1] = factor * (sy / m - points[i * 3 + 1]);
      delta[i * 3 + 2] = factor * (sz / m - points[i * 3 + 2]);
    }
    for (let i = 0; i < points.length; i++) points[i] += delta[i];
  };
  for (let it = 0; it < iterations; it++) {
    step(lambda);
    step(mu);
  }
}

/**
 * Area-weighted unit vertex normals, oriented by the triangles' winding; a vertex whose faces cancel (a thin sheet seen
 * from both sides) gets +z, so that shading stays finite.
 */
export function vertexNormals(points: Float32Array, polys: Uint32Array): Float32Array {
  const normals = areaWeightedNormals(points, polys);
  for (let i = 0; i < normals.length; i += 3) {
    if (normals[i] === 0 && normals[i + 1] === 0 && normals[i + 2] === 0) normals[i + 2] = 1;
  }
  return normals;
}
