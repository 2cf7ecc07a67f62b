import { describe, expect, it } from 'vitest';
import { interfaceFaces, pairKey } from '../../../../renderer/src/core/boundaries/faces.ts';
import { pairMesh } from '../../../../renderer/src/core/boundaries/pairMesh.ts';
import { computeBoundaries } from '../../../../renderer/src/core/boundaries/compute.ts';

/** A label grid filled by f(x, y, z). */
function grid(shape: [number, number, number], f: (x: number, y: number, z: number) => number): Uint8Array {
  const [nx, ny, nz] = shape;
  const out = new Uint8Array(nx * ny * nz);
  for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) out[(z * ny + y) * nx + x] = f(x, y, z);
  return out;
}

/** Triangle normals (cross products) of a vtk cell array. */
function triangleNormals(points: Float32Array, polys: Uint32Array): number[][] {
  const out: number[][] = [];
  for (let o = 0; o < polys.length; o += 4) {
    const [a, b, c] = [polys[o + 1], polys[o + 2], polys[o + 3]].map((i) => [points[i * 3], points[i * 3 + 1], points[i * 3 + 2]]);
    const u = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
    const v = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
    out.push([u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]]);
  }
  return out;
}

describe('pair interfaces', () => {
  it.each([
    { axis: 0, shape: [4, 3, 2] as [number, number, number], spacing: [0.5, 2, 3], faces: 6, area: 6 * 2 * 3 },
    { axis: 1, shape: [3, 4, 2] as [number, number, number], spacing: [0.5, 2, 3], faces: 6, area: 6 * 0.5 * 3 },
    { axis: 2, shape: [3, 2, 4] as [number, number, number], spacing: [0.5, 2, 3], faces: 6, area: 6 * 0.5 * 2 },
  ])('two half-spaces split along axis $axis make one plane of known area', ({ axis, shape, spacing, faces, area }) => {
    const labels = grid(shape, (...p) => (p[axis] < 2 ? 1 : 2));
    const found = interfaceFaces(labels, shape);
    expect(found.values).toEqual([1, 2]);
    expect([...found.pairs.keys()]).toEqual(['1-2']);
    const mesh = pairMesh(1, 2, found.pairs.get('1-2')!, shape, spacing);
    expect(mesh.faces).toBe(faces);
    expect(mesh.area).toBeCloseTo(area, 10);
    // Every vertex on the plane between voxel 1 and 2 along the axis; corners shared between faces.
    for (let i = axis; i < mesh.points.length; i += 3) expect(mesh.points[i]).toBe(1.5);
    const others = [0, 1, 2].filter((a) => a !== axis);
    expect(mesh.points.length / 3).toBe((shape[others[0]] + 1) * (shape[others[1]] + 1));
    expect(mesh.polys.length).toBe(faces * 2 * 4);
    // Normals and winding point from class 1 (lower) to class 2.
    for (let i = 0; i < mesh.normals.length; i += 3) expect(mesh.normals[i + axis]).toBe(1);
    for (const n of triangleNormals(mesh.points, mesh.polys)) {
      expect(n[axis]).toBeGreaterThan(0);
      expect(n[others[0]]).toBe(0);
      expect(n[others[1]]).toBe(0);
    }
  });

  it('reverses the orientation when the higher class lies on the low side', () => {
    const shape: [number, number, number] = [4, 2, 2];
    const mesh = pairMesh(1, 2, interfaceFaces(grid(shape, (x) => (x < 2 ? 2 : 1)), shape).pairs.get('1-2')!, shape, [1, 1, 1]);
    for (const n of triangleNormals(mesh.points, mesh.polys)) expect(n[0]).toBeLessThan(0);
  });

  it('three phases meeting give three pairs with their own areas', () => {
    // x < 2: class 1 (y < 2) over class 2 (y >= 2); x >= 2: class 3. 4x4x3 voxels.
    const shape: [number, number, number] = [4, 4, 3];
    const labels = grid(shape, (x, y) => (x >= 2 ? 3 : y < 2 ? 1 : 2));
    const { pairs } = computeBoundaries({ labels, shape, spacing: [1, 1, 1] });
    const byKey = new Map(pairs.map((p) => [pairKey(p.a, p.b), p]));
    expect([...byKey.keys()].sort()).toEqual(['1-2', '1-3', '2-3']);
    expect(byKey.get('1-2')!.faces).toBe(2 * 3); // y = 1.5, x in {0,1}, z in {0,1,2}
    expect(byKey.get('1-3')!.faces).toBe(2 * 3); // x = 1.5, y in {0,1}
    expect(byKey.get('2-3')!.faces).toBe(2 * 3); // x = 1.5, y in {2,3}
    expect(byKey.get('1-3')!.area).toBe(6);
  });

  it('a class enclosed by one other has exactly one interface, and classes that never touch have none', () => {
    // Slabs 0 | 1 | 2 along x (0 and 2 never touch), and one voxel of class 4 inside the class-1 slab.
    const shape: [number, number, number] = [9, 5, 5];
    const labels = grid(shape, (x, y, z) => (x === 4 && y === 2 && z === 2 ? 4 : x < 3 ? 0 : x < 6 ? 1 : 2));
    const { pairs } = computeBoundaries({ labels, shape, spacing: [2, 2, 2] });
    const keys = pairs.map((p) => pairKey(p.a, p.b)).sort();
    expect(keys).toEqual(['0-1', '1-2', '1-4']);
    const enclosed = pairs.find((p) => p.b === 4)!;
    expect(enclosed.faces).toBe(6);
    expect(enclosed.area).toBe(6 * 4);
    expect(enclosed.points.length / 3).toBe(8); // a closed cube: 8 corners
    // Normals of the enclosed voxel's faces point into it (from 1 to 4): towards the voxel centre (4, 2, 2).
    for (let i = 0; i < enclosed.points.length; i += 3) {
      const toCentre = [4 - enclosed.points[i], 2 - enclosed.points[i + 1], 2 - enclosed.points[i + 2]];
      const dot = toCentre[0] * enclosed.normals[i] + toCentre[1] * enclosed.normals[i + 1] + toCentre[2] * enclosed.normals[i + 2];
      expect(dot).toBeGreaterThan(0);
    }
  });

  it('a uniform map has no interfaces and the outer boundary is not one', () => {
    const shape: [number, number, number] = [3, 3, 3];
    expect(interfaceFaces(new Uint8Array(27).fill(5), shape).pairs.size).toBe(0);
  });

  it('rejects data that does not fit the shape', () => {
    expect(() => interfaceFaces(new Uint8Array(5), [2, 2, 2])).toThrow(/8/);
  });

  it('smoothing keeps the vertex count and moves a staircase towards a plane', () => {
    const shape: [number, number, number] = [8, 8, 2];
    const labels = grid(shape, (x, y) => (x + y < 8 ? 1 : 2));
    const raw = computeBoundaries({ labels, shape, spacing: [1, 1, 1] }).pairs[0];
    const smooth = computeBoundaries({ labels, shape, spacing: [1, 1, 1], smoothing: 10 }).pairs[0];
    expect(smooth.points.length).toBe(raw.points.length);
    expect(smooth.area).toBe(raw.area); // reported area is the voxel interface's
    // Interior vertices: distance to the plane x + y = 7 shrinks on average.
    const planeDistance = (p: Float32Array) => {
      let s = 0;
      for (let i = 0; i < p.length; i += 3) s += Math.abs(p[i] + p[i + 1] - 7) / Math.SQRT2;
      return s / (p.length / 3);
    };
    expect(planeDistance(smooth.points)).toBeLessThan(planeDistance(raw.points));
  });
});
