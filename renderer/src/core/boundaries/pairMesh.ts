/**
 * The mesh of one phase-pair interface, made of the voxel faces between the two classes (two triangles per face).
 * Vertices are voxel corners shared between faces, so the mesh is watertight where the interface is; coordinates are
 * label index units (voxel centre i at i, so corners at i ± 0.5), placed in the world by the grid's index-to-world
 * matrix. Normals point from class a (the smaller value) to class b. The area is exact for the voxel interface.
 */

export interface PairMesh {
  a: number;
  b: number;
  /** x, y, z per vertex, index units. */
  points: Float32Array;
  /** vtk cell array: [3, i, j, k, 3, ...]. */
  polys: Uint32Array;
  /** Unit normal per vertex (mean of its faces' normals). */
  normals: Float32Array;
  /** Voxel faces in the interface. */
  faces: number;
  /** Physical area (spacing units squared, e.g. mm²). */
  area: number;
}

/** Corner grid (voxel corners) of a label grid: one more point than voxels along each axis. */
export function cornerDims(shape: readonly number[]): [number, number, number] {
  return [shape[0] + 1, shape[1] + 1, shape[2] + 1];
}

/**
 * Builds the mesh from face codes (see faces.ts). `scratch` maps corner index -> vertex id (+1, 0 = none); it must be
 * all zero on entry and is zero again on return, so one buffer serves every pair.
 */
export function pairMesh(
  a: number,
  b: number,
  faceCodes: Uint32Array,
  shape: readonly number[],
  spacing: readonly number[],
  scratch: Int32Array = new Int32Array(cornerDims(shape).reduce((m, d) => m * d, 1)),
): PairMesh {
  const [nx, ny] = shape;
  const [cx, cy] = cornerDims(shape);
  const cornerStep = [1, cx, cx * cy];
  const nf = faceCodes.length;
  // At most 4 new vertices per face; shrunk at the end.
  const points = new Float32Array(Math.min(nf * 4, scratch.length) * 3);
  const normalSum = new Float32Array(points.length);
  const polys = new Uint32Array(nf * 8);
  const corners: number[] = [];
  let vertexCount = 0;
  const axisFaces = [0, 0, 0];
  const quad = [0, 0, 0, 0];

  for (let f = 0; f < nf; f++) {
    const code = faceCodes[f];
    const flip = code & 1;
    const rest = code >>> 1;
    const axis = rest % 3;
    const p = (rest - axis) / 3;
    const x = p % nx;
    const y = Math.floor(p / nx) % ny;
    const z = Math.floor(p / (nx * ny));
    axisFaces[axis]++;
    const u = (axis + 1) % 3;
    const v = (axis + 2) % 3;
    const base = x * cornerStep[0] + y * cornerStep[1] + z * cornerStep[2] + cornerStep[axis];
    // Corners in counter-clockwise order seen from +axis (e_u x e_v = e_axis for cyclic u, v).
    const offsets = [0, cornerStep[u], cornerStep[u] + cornerStep[v], cornerStep[v]];
    const sign = flip ? -1 : 1;
    for (let c = 0; c < 4; c++) {
      const corner = base + offsets[c];
      let id = scratch[corner] - 1;
      if (id < 0) {
        id = vertexCount++;
        scratch[corner] = id + 1;
        corners.push(corner);
        const ix = corner % cx;
        const iy = Math.floor(corner / cx) % cy;
        const iz = Math.floor(corner / (cx * cy));
        points[id * 3] = ix - 0.5;
        points[id * 3 + 1] = iy - 0.5;
        points[id * 3 + 2] = iz - 0.5;
      }
      normalSum[id * 3 + axis] += sign;
      quad[c] = id;
    }
    const o = f * 8;
    if (flip) {
      polys.set([3, quad[0], quad[2], quad[1], 3, quad[0], quad[3], quad[2]], o);
    } else {
      polys.set([3, quad[0], quad[1], quad[2], 3, quad[0], quad[2], quad[3]], o);
    }
  }
  for (const c of corners) scratch[c] = 0;

  const normals = normalSum.slice(0, vertexCount * 3);
  for (let i = 0; i < normals.length; i += 3) {
    const len = Math.hypot(normals[i], normals[i + 1], normals[i + 2]);
    if (len > 0) {
      normals[i] /= len;
      normals[i + 1] /= len;
      normals[i + 2] /= len;
    } else {
      normals[i + 2] = 1; // opposite faces cancelled (a thin sheet): any unit vector keeps shading finite
    }
  }
  const faceArea = [spacing[1] * spacing[2], spacing[2] * spacing[0], spacing[0] * spacing[1]];
  const area = axisFaces[0] * faceArea[0] + axisFaces[1] * faceArea[1] + axisFaces[2] * faceArea[2];
  return { a, b, points: points.slice(0, vertexCount * 3), polys, normals, faces: nf, area };
}
