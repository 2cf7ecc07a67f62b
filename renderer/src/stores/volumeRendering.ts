/** The 3D view's settings: transfer-function preset, the editable opacity curve, shading and the detail budget. */
import { defineStore } from 'pinia';
import { presetOpacityPoints, type OpacityPoint, type PresetName } from '../core/transferFunctions.ts';

function queryNumber(name: string, fallback: number): number {
  const raw = new URLSearchParams(window.location.search).get(name);
  const value = raw === null ? NaN : Number(raw);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

export const useVolumeRenderingStore = defineStore('volumeRendering', {
  state: () => ({
    preset: 'MR' as PresetName,
    opacityPoints: presetOpacityPoints('MR', [0, 1]) as OpacityPoint[],
    /** Lighting; `?shade=0` turns it off (software GL in tests is slow with it). */
    shade: new URLSearchParams(window.location.search).get('shade') !== '0',
    showVolume: true,
    /** Largest pyramid level (in voxels) the 3D view refines to. */
    maxVoxels3d: queryNumber('maxVoxels3d', 256 * 256 * 256),
    /** Largest label pyramid level (in voxels) label surfaces are extracted from (capped by the mesher's limit). */
    maxSurfaceVoxels: queryNumber('surfaceVoxels', 4 * 1024 * 1024),
    /** Pyramid level the 3D view shows now, per image id (-1 before the first frame). */
    shownLevel: {} as Record<string, number>,
    /** Milliseconds from the image being shown to its first 3D frame. */
    firstFrameMs: {} as Record<string, number>,
    /** performance.now() of the first 3D frame and of the frame at the finest level within budget, per image id. */
    firstFrameAt: {} as Record<string, number>,
    refinedFrameAt: {} as Record<string, number>,
  }),
  actions: {
    applyPreset(name: PresetName, range: readonly [number, number]): void {
      this.preset = name;
      this.opacityPoints = presetOpacityPoints(name, range);
    },
    setOpacityPoints(points: OpacityPoint[]): void {
      this.opacityPoints = points;
    },
  },
});
