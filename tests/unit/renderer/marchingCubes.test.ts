// The shim declares the vtk.js modules that ship without typings (the renderer tsconfig includes it).
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="../../../renderer/src/types/vtk-shims.d.ts" />
import { describe, expect, it } from 'vitest';
import vtkImageData from '@kitware/vtk.js/Common/DataModel/ImageData.js';
import vtkDataArray from '@kitware/vtk.js/Common/Core/DataArray.js';
import vtkImageMarchingCubes from '@kitware/vtk.js/Filters/General/ImageMarchingCubes.js';
import { marchingCubesMask, vertexNormals } from '../../../renderer/src/core/marchingCubes.ts';
import { mulberry32 } from '../../../main/util/random.ts';

interface VtkMesh {
  points: number[];
  polys: number[];
}

/** vtk.js's own marching cubes, the reference (same case table, slower). */
function vtkMarchingCubes(mask: Uint8Array, dims: [number, number, number]): VtkMesh {
  const image = vtkImageData.newInstance() as unknown as {
    setDimensions(x: number, y: number, z: number): void;
    getPointData(): { setScalars(s: unknown): void };
  };
  image.setDimensions(...dims);
  image.getPointData().setScalars(vtkDataArray.newInstance({ numberOfComponents: 1, values: mask }));
  const mc = vtkImageMarchingCubes.newInstance({ contourValue: 0.5, computeNormals: false, mergePoints: true });
  mc.setInputData(image as unknown as Parameters<typeof mc.setInputData>[0]);
  const out = mc.getOutputData() as unknown as { getPoints(): { getData(): ArrayLike<number> }; getPolys(): { getData(): ArrayLike<number> } };
  return { points: Array.from(out.getPoints().getData()), polys: Array.from(out.getPolys().getData()) };
}

/** Triangles as sorted vertex-coordinate keys, independent of vertex numbering. */
function triangleKeys(points: ArrayLike<number>, polys: ArrayLike<number>): string[] {
  const keys: string[] = [];
  for (let t = 0; t < polys.length; t += 4) {
    const corners = [1, 2, 3].map((c) => {
      const v = polys[t + c] * 3;
      return `${points[v].toFixed(3)},${points[v + 1].toFixed(3)},${points[v + 2].toFixed(3)}`;
    });
    keys.push(corners.sort().join('|'));
  }
  return keys.sort();
}

describe('marchingCubesMask', () => {
  it.each([
    ['sparse random', 0.1, 1],
    ['dense random', 0.6, 2],
  ])('makes the same triangles as vtkImageMarchingCubes (%s mask)', (_name, density, seed) => {
    const dims: [number, number, number] = [9, 7, 6];
    const rand = mulberry32(seed);
    const mask = Uint8Array.from({ length: 9 * 7 * 6 }, () => (rand() < density ? 1 : 0));
    const ours = marchingCubesMask(mask, dims);
    const reference = vtkMarchingCubes(mask, dims);
    expect(ours.points.length).toBe(reference.points.length);
    expect(triangleKeys(ours.points, ours.polys)).toEqual(triangleKeys(reference.points, reference.polys));
  });

  it('gives a single voxel a closed octahedron with outward-consistent unit normals', () => {
    const mask = new Uint8Array(27);
    mask[13] = 1;
    const mesh = marchingCubesMask(mask, [3, 3, 3]);
    expect(mesh.points.length / 3).toBe(6);
    expect(mesh.polys.length / 4).toBe(8);
    for (let v = 0; v < mesh.points.length; v += 3) {
      const radial = [mesh.points[v] - 1, mesh.points[v + 1] - 1, mesh.points[v + 2] - 1];
      const n = [mesh.normals[v], mesh.normals[v + 1], mesh.normals[v + 2]];
      expect(Math.hypot(...n)).toBeCloseTo(1, 6);
      // Every normal is parallel to its vertex's offset from the voxel centre (all inward or all outward).
      expect(Math.abs(radial[0] * n[0] + radial[1] * n[1] + radial[2] * n[2])).toBeCloseTo(0.5, 6);
    }
  });

  it('rejects a mask that does not match its dims', () => {
    expect(() => marchingCubesMask(new Uint8Array(5), [2, 2, 2])).toThrow(RangeError);
  });

  it('computes area-weighted normals', () => {
    const points = new Float32Array([0, 0, 0, 2, 0, 0, 0, 2, 0]);
    expect([...vertexNormals(points, new Uint32Array([3, 0, 1, 2]))]).toEqual([0, 0, 1, 0, 0, 1, 0, 0, 1]);
  });
});
