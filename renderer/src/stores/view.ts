/**
 * Slice navigation and display of the shown image: the crosshair (an index into the image, shared by the three
 * slice views), window/level and the colour map.
 */
import { defineStore } from 'pinia';
import type { Axis } from '../core/orientation.ts';
import type { ColormapName } from '../core/colormaps.ts';
import { defaultWindowLevel, type WindowLevel } from '../core/windowLevel.ts';
import { clampIndex } from '../core/slices.ts';
import { useVolumesStore } from './volumes.ts';

export const useViewStore = defineStore('view', {
  state: () => ({
    /** Crosshair position as an image index (x, y, z). */
    crosshair: [0, 0, 0] as [number, number, number],
    windowLevel: { window: 1, level: 0.5 } as WindowLevel,
    colormap: 'grayscale' as ColormapName,
    /** The image these settings were initialised for. */
    forImage: null as string | null,
  }),
  actions: {
    /** Centres the crosshair and resets window/level for a newly shown image. */
    resetFor(imageId: string | null): void {
      this.forImage = imageId;
      const image = imageId ? useVolumesStore().metas[imageId] : null;
      if (!image) return;
      this.crosshair = [0, 1, 2].map((a) => Math.floor(image.shape[a] / 2)) as [number, number, number];
      this.windowLevel = defaultWindowLevel(image.min, image.max);
    },
    setSlice(axis: Axis, index: number): void {
      const image = useVolumesStore().image;
      if (!image) return;
      const next = [...this.crosshair] as [number, number, number];
      next[axis] = clampIndex(index, image.shape[axis]);
      this.crosshair = next;
    },
    moveSlice(axis: Axis, delta: number): void {
      this.setSlice(axis, this.crosshair[axis] + delta);
    },
    setCrosshair(ijk: readonly number[]): void {
      const image = useVolumesStore().image;
      if (!image) return;
      this.crosshair = [0, 1, 2].map((a) => clampIndex(ijk[a], image.shape[a])) as [number, number, number];
    },
    setWindowLevel(wl: WindowLevel): void {
      this.windowLevel = { window: Math.max(1e-6, wl.window), level: wl.level };
    },
  },
});
