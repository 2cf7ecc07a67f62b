/**
 * `window.__segstation`: a small read-mostly hook for end-to-end tests and debugging. It reads pixels of a view, reports
 * which slices and pyramid levels are on screen, and drives a few settings the UI also offers. Harmless in
 * production: it exposes nothing the page's own controls cannot do.
 */
import { whenIdle } from './data/activity.ts';
import { views } from './data/viewRegistry.ts';
import { viewAxes, type SliceViewName } from './core/orientation.ts';
import { useVolumesStore } from './stores/volumes.ts';
import { useViewStore } from './stores/view.ts';
import { useLabelsStore } from './stores/labels.ts';
import { useVolumeRenderingStore } from './stores/volumeRendering.ts';
import type { SegstationTestHook } from './testHookApi.ts';

declare global {
  interface Window {
    __segstation?: SegstationTestHook;
  }
}

const frames = (n: number) =>
  new Promise<void>((resolve) => {
    const tick = (left: number) => (left <= 0 ? resolve() : requestAnimationFrame(() => tick(left - 1)));
    tick(n);
  });

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function installTestHook(): void {
  window.__segstation = {
    async whenIdle() {
      await whenIdle();
      await frames(2);
      await whenIdle();
    },
    capture(view) {
      const v = views.get(view);
      if (!v) throw new Error(`no view '${view}'`);
      const { width, height, rgba } = v.capture();
      return { width, height, rgbaBase64: toBase64(rgba) };
    },
    state() {
      const volumes = useVolumesStore();
      const image = volumes.image;
      const shownSlice: Partial<Record<SliceViewName, number>> = {};
      for (const name of ['axial', 'coronal', 'sagittal'] as const) {
        const idx = views.get(name)?.shownIndex?.();
        if (idx !== undefined) shownSlice[name] = idx;
      }
      const rendering = useVolumeRenderingStore();
      const id = volumes.imageId;
      return {
        imageId: id,
        labelId: volumes.labelId,
        crosshair: [...useViewStore().crosshair],
        axes: image ? viewAxes(image.direction) : null,
        shownSlice,
        shownLevel: id ? (rendering.shownLevel[id] ?? null) : null,
        firstFrameMs: id ? (rendering.firstFrameMs[id] ?? null) : null,
        firstFrameAt: id ? (rendering.firstFrameAt[id] ?? null) : null,
        refinedFrameAt: id ? (rendering.refinedFrameAt[id] ?? null) : null,
        error: volumes.error,
      };
    },
    labelClasses() {
      const labels = useLabelsStore();
      return labels.classes.map((c) => ({ ...c, color: [...c.color] as [number, number, number], visible: !labels.hiddenSet.has(c.value) }));
    },
    openFiles: (imagePath, labelPath) => useVolumesStore().openFiles(imagePath, labelPath),
    setLabelVisible: (value, visible) => useLabelsStore().setVisible(value, visible),
    setLabelOpacity: (opacity) => useLabelsStore().setOpacity(opacity),
    setSlice(view, index) {
      const image = useVolumesStore().image;
      if (image) useViewStore().setSlice(viewAxes(image.direction)[view], index);
    },
  };
}
