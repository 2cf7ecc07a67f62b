/**
 * Everything one slice view draws: the image slice (window/level through a colour map), the label overlay (CPU-coloured
 * RGBA so colours and visibility are exact), and the crosshair. Slices stream at full resolution from the engine; the
 * vtk objects live as long as the calling component's effect scope.
 */
import { computed, watch, type ComputedRef } from 'vue';
import type { VolumeBlock } from '../../../ipc/api.ts';
import type { VolumeMeta } from '../../../ipc/contract.ts';
import { applyBlock } from '../data/blockToImage.ts';
import { getSlice } from '../data/blockCache.ts';
import { colormapNodes } from '../core/colormaps.ts';
import type { Vec3 } from '../core/geometry.ts';
import { buildLabelLut, labelSliceToRgba } from '../core/labels.ts';
import { sliceCamera, viewAxes, type Axis, type SliceViewName } from '../core/orientation.ts';
import { inPlaneAxes, sliceSize } from '../core/slices.ts';
import { useVolumesStore } from '../stores/volumes.ts';
import { useViewStore } from '../stores/view.ts';
import { useLabelsStore } from '../stores/labels.ts';
import { fitSliceCamera, placeCrosshair, screenRight, towardsCamera, useSliceActors } from './sliceActors.ts';
import type { VtkView } from './useVtkView.ts';

/** Crosshair line colours: each line has the colour of the view whose plane it is. */
export const VIEW_COLORS: Record<SliceViewName, [number, number, number]> = {
  sagittal: [0.9, 0.3, 0.3],
  coronal: [0.3, 0.85, 0.3],
  axial: [0.35, 0.55, 1],
};

export interface SliceViewState {
  axis: ComputedRef<Axis | null>;
  /** Index of the slice shown now (after it arrived), -1 before. */
  shownIndex: () => number;
  zoom(factor: number): void;
  pan(dxPixels: number, dyPixels: number): void;
  resetCamera(): void;
}

export function useSliceView(view: VtkView, name: SliceViewName): SliceViewState {
  const volumes = useVolumesStore();
  const viewStore = useViewStore();
  const labels = useLabelsStore();
  const { renderer, requestRender } = view;

  const actors = useSliceActors(view);
  const { image, mapper, actor, ctf, overlay, overlayMapper, overlayActor, crossActors } = actors;

  const meta = computed(() => volumes.image);
  const axis = computed<Axis | null>(() => (meta.value ? viewAxes(meta.value.direction)[name] : null));
  const sliceIndex = computed(() => (axis.value === null ? -1 : viewStore.crosshair[axis.value]));
  let shownIndex = -1;
  let zoomFactor = 1;

  const camera = (): { directionOfProjection: Vec3; viewUp: Vec3 } =>
    sliceCamera(meta.value?.direction ?? [1, 0, 0, 0, 1, 0, 0, 0, 1], name);

  const fitCamera = (m: VolumeMeta) => fitSliceCamera(view, m, sliceCamera(m.direction, name), zoomFactor);

  const showImageSlice = (block: VolumeBlock, index: number) => {
    applyBlock(image, block);
    mapper.setSlicingMode(axis.value ?? 2);
    mapper.setSlice(0);
    actor.setVisibility(true);
    shownIndex = index;
    requestRender();
  };

  const updateColors = () => {
    const { window, level } = viewStore.windowLevel;
    ctf.removeAllPoints();
    for (const node of colormapNodes(viewStore.colormap, level - window / 2, level + window / 2)) {
      ctf.addRGBPoint(node.value, node.rgb[0], node.rgb[1], node.rgb[2]);
    }
    requestRender();
  };

  let labelBlock: VolumeBlock | null = null;
  let overlayRgba: Uint8Array | null = null;
  const updateOverlay = () => {
    const labelMeta = volumes.label;
    const ax = axis.value;
    if (!labelBlock || !labelMeta || ax === null) {
      overlayActor.setVisibility(false);
      requestRender();
      return;
    }
    const [w, h] = sliceSize(labelBlock.shape, ax);
    const lut = buildLabelLut(labels.classes, labels.hiddenSet, Math.max(labelMeta.max, 0));
    if (!overlayRgba || overlayRgba.length !== w * h * 4) overlayRgba = new Uint8Array(w * h * 4);
    labelSliceToRgba(labelBlock.data, w, h, lut, { opacity: labels.opacity, outline: labels.outline }, overlayRgba);
    const shift = towardsCamera(camera(), Math.min(...labelBlock.spacing) * 0.05);
    const origin: Vec3 = [labelBlock.origin[0] + shift[0], labelBlock.origin[1] + shift[1], labelBlock.origin[2] + shift[2]];
    applyBlock(overlay, { ...labelBlock, origin }, overlayRgba, 4);
    overlayMapper.setSlicingMode(ax);
    overlayMapper.setSlice(0);
    overlayActor.setVisibility(true);
    requestRender();
  };

  const updateCrosshair = () => {
    const m = meta.value;
    const ax = axis.value;
    if (!m || ax === null) {
      crossActors.forEach((a) => a.setVisibility(false));
      return;
    }
    placeCrosshair(actors, m, ax, viewStore.crosshair, camera());
    const others = viewAxes(m.direction);
    crossActors.forEach((line, i) => {
      // The line running along one in-plane axis at a fixed index of the other is the plane of the view showing that other axis.
      const fixedAxis = inPlaneAxes(ax)[1 - i];
      const viewOfLine = (Object.keys(others) as SliceViewName[]).find((v) => others[v] === fixedAxis) ?? name;
      line.getProperty().setColor(...VIEW_COLORS[viewOfLine]);
    });
    requestRender();
  };

  // A newly shown image: new camera, nothing of the old one on screen.
  watch(
    () => volumes.imageId,
    () => {
      shownIndex = -1;
      labelBlock = null;
      overlayActor.setVisibility(false);
      const m = meta.value;
      // Hidden until its first slice arrives: an image mapper without scalars has no texture to draw.
      actor.setVisibility(false);
      if (m) fitCamera(m);
      updateCrosshair();
      requestRender();
    },
    { immediate: true },
  );

  // Stream the image slice; a late answer for a slice no longer wanted is dropped.
  watch(
    [() => volumes.imageId, sliceIndex],
    async ([id, index]) => {
      const ax = axis.value;
      if (!id || ax === null || index < 0) return;
      try {
        const block = await getSlice(id, ax, index);
        if (volumes.imageId === id && sliceIndex.value === index) showImageSlice(block, index);
      } catch (error) {
        volumes.error = error instanceof Error ? error.message : String(error);
      }
    },
    { immediate: true },
  );

  watch(
    [() => volumes.labelId, sliceIndex],
    async ([id, index]) => {
      const ax = axis.value;
      if (!id || ax === null || index < 0) {
        labelBlock = null;
        updateOverlay();
        return;
      }
      try {
        const block = await getSlice(id, ax, index);
        if (volumes.labelId === id && sliceIndex.value === index) {
          labelBlock = block;
          updateOverlay();
        }
      } catch (error) {
        volumes.error = error instanceof Error ? error.message : String(error);
      }
    },
    { immediate: true },
  );

  watch(() => [labels.classes, labels.hidden, labels.opacity, labels.outline], updateOverlay, { deep: true });
  watch(() => [viewStore.windowLevel, viewStore.colormap], updateColors, { deep: true, immediate: true });
  watch(() => [...viewStore.crosshair], updateCrosshair, { immediate: true });
  view.onResize(() => {
    if (meta.value) fitCamera(meta.value);
  });

  return {
    axis,
    shownIndex: () => shownIndex,
    zoom(factor: number) {
      zoomFactor = Math.min(50, Math.max(0.1, zoomFactor * factor));
      if (meta.value) fitCamera(meta.value);
      requestRender();
    },
    pan(dx: number, dy: number) {
      const cam = renderer.getActiveCamera();
      const [, h] = view.size();
      const worldPerPixel = (2 * cam.getParallelScale()) / Math.max(1, h);
      const { viewUp } = camera();
      const right = screenRight(camera());
      const move = [0, 1, 2].map((a) => (-dx * right[a] + dy * viewUp[a]) * worldPerPixel);
      const f = cam.getFocalPoint();
      const p = cam.getPosition();
      cam.setFocalPoint(f[0] + move[0], f[1] + move[1], f[2] + move[2]);
      cam.setPosition(p[0] + move[0], p[1] + move[1], p[2] + move[2]);
      requestRender();
    },
    resetCamera() {
      zoomFactor = 1;
      if (meta.value) fitCamera(meta.value);
      requestRender();
    },
  };
}
