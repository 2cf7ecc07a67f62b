// The shim declares the vtk.js filter module that ships without typings (the renderer tsconfig includes it).
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="../../../renderer/src/types/vtk-shims.d.ts" />
import { describe, expect, it } from 'vitest';
import { labelBounds, labelSurfaces } from '../../../renderer/src/core/surfaces.ts';

/** A 12^3 label map: a cube of 2 at [2..5]^3 and a single voxel of 3 touching the volume's corner. */
function phantom(): { data: Uint8Array; shape: [number, number, number] } {
  const n = 12;
  const data = new Uint8Array(n * n * n);
  for (let z = 2; z <= 5; z++) for (let y = 2; y <= 5; y++) for (let x = 2; x <= 5; x++) data[(z * n + y) * n + x] = 2;
  data[(11 * n + 11) * n + 11] = 3;
  return { data, shape: [n, n, n] };
}

describe('label surfaces', () => {
  it('finds each label bounding box', () => {
    const { data, shape } = phantom();
    const boxes = labelBounds(data, shape, [1, 2, 3]);
    expect([...boxes.keys()].sort()).toEqual([2, 3]);
    expect(boxes.get(2)).toEqual([2, 5, 2, 5, 2, 5]);
    expect(boxes.get(3)).toEqual([11, 11, 11, 11, 11, 11]);
  });

  it('extracts closed meshes around each label, in index coordinates, even at the volume edge', () => {
    const { data, shape } = phantom();
    const surfaces = labelSurfaces(data, shape, [1, 2, 3]);
    expect(surfaces.map((s) => s.value)).toEqual([2, 3]);
    for (const s of surfaces) {
      const xs = [0, 1, 2].map((a) => s.points.filter((_, i) => i % 3 === a));
      const lo = s.value === 2 ? 2 : 11;
      const hi = s.value === 2 ? 5 : 11;
      // The iso-surface at 0.5 lies half a voxel outside the label's voxel centres.
      for (const axis of xs) {
        expect(Math.min(...axis)).toBeCloseTo(lo - 0.5, 5);
        expect(Math.max(...axis)).toBeCloseTo(hi + 0.5, 5);
      }
      expect(s.polys.length % 4).toBe(0);
      expect(s.normals.length).toBe(s.points.length);
      // Closed: every edge is shared by exactly two triangles.
      const edges = new Map<string, number>();
      for (let i = 0; i < s.polys.length; i += 4) {
        const t = [s.polys[i + 1], s.polys[i + 2], s.polys[i + 3]];
        for (let e = 0; e < 3; e++) {
          const a = t[e];
          const b = t[(e + 1) % 3];
          const key = a < b ? `${a}-${b}` : `${b}-${a}`;
          edges.set(key, (edges.get(key) ?? 0) + 1);
        }
      }
      expect([...edges.values()].every((count) => count === 2)).toBe(true);
    }
  });
});
