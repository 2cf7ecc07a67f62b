/**
 * Everything one slice view draws: the image slice (window/level through a colour map), the label overlay (CPU-coloured
 * RGBA so colours and visibility are exact), and the crosshair. Slices stream at full resolution from the engine; the
 * vtk objects live as long as the calling component's effect scope.
 */
import { computed, onScopeDispose, watch, type ComputedRef } from 'vue';
import vtkImageData from '@kitware/vtk.js/Common/DataModel/ImageData';
import vtkImageMapper from '@kitware/vtk.js/Rendering/Core/ImageMapper';
import vtkImageSlice from '@kitware/vtk.js/Rendering/Core/ImageSlice';
import vtkColorTransferFunction from '@kitware/vtk.js/Rendering/Core/ColorTransferFunction';
import vtkPolyData from '@kitware/vtk.js/Common/DataModel/PolyData';
import vtkMapper from '@kitware/vtk.js/Rendering/Core/Mapper';
import vtkActor from '@kitware/vtk.js/Rendering/Core/Actor';
import { InterpolationType } from '@kitware/vtk.js/Rendering/Core/ImageProperty/Constants';
import type { VolumeBlock } from '../../../ipc/api.ts';
import type { VolumeMeta } from '../../../ipc/contract.ts';
import { applyBlock } from '../data/blockToImage.ts';
import { getSlice } from '../data/blockCache.ts';
import { colormapNodes } from '../core/colormaps.ts';
import { boundsCenter, boundsDiagonal, indexToWorld, worldBounds, type Vec3 } from '../core/geometry.ts';
import { buildLabelLut, labelSliceToRgba } from '../core/labels.ts';
import { sliceCamera, viewAxes, type Axis, type SliceViewName } from '../core/orientation.ts';
import { inPlaneAxes, sliceSize } from '../core/slices.ts';
import { useVolumesStore } from '../stores/volumes.ts';
import { useViewStore } from '../stores/view.ts';
import { useLabelsStore } from '../stores/labels.ts';
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

  // Image slice
  const image = vtkImageData.newInstance();
  const mapper = vtkImageMapper.newInstance();
  mapper.setInputData(image);
  const actor = vtkImageSlice.newInstance();
  actor.setMapper(mapper);
  const ctf = vtkColorTransferFunction.newInstance();
  actor.getProperty().setRGBTransferFunction(0, ctf);
  actor.getProperty().setUseLookupTableScalarRange(true);
  actor.getProperty().setInterpolationType(InterpolationType.LINEAR);

  // Label overlay: RGBA, drawn a hair in front of the image so the two never z-fight.
  const overlay = vtkImageData.newInstance();
  const overlayMapper = vtkImageMapper.newInstance();
  overlayMapper.setInputData(overlay);
  const overlayActor = vtkImageSlice.newInstance();
  overlayActor.setMapper(overlayMapper);
  overlayActor.getProperty().setIndependentComponents(false);
  overlayActor.getProperty().setColorWindow(255);
  overlayActor.getProperty().setColorLevel(127.5);
  overlayActor.getProperty().setInterpolationType(InterpolationType.NEAREST);
  overlayActor.setVisibility(false);

  // Crosshair: two lines, each in the colour of the view it stands for.
  const crossMappers = [vtkMapper.newInstance(), vtkMapper.newInstance()];
  const crossActors = [vtkActor.newInstance(), vtkActor.newInstance()];
  const crossPolys = [vtkPolyData.newInstance(), vtkPolyData.newInstance()];
  crossActors.forEach((a, i) => {
    crossMappers[i].setInputData(crossPolys[i]);
    a.setMapper(crossMappers[i]);
    a.getProperty().setLineWidth(1);
    a.setVisibility(false);
  });

  renderer.addActor(actor);
  renderer.addActor(overlayActor);
  crossActors.forEach((a) => renderer.addActor(a));

  const meta = computed(() => volumes.image);
  const axis = computed<Axis | null>(() => (meta.value ? viewAxes(meta.value.direction)[name] : null));
  const sliceIndex = computed(() => (axis.value === null ? -1 : viewStore.crosshair[axis.value]));
  let shownIndex = -1;
  let zoomFactor = 1;

  const camera = (): { directionOfProjection: Vec3; viewUp: Vec3 } =>
    sliceCamera(meta.value?.direction ?? [1, 0, 0, 0, 1, 0, 0, 0, 1], name);

  const towardsCamera = (distance: number): Vec3 => {
    const dop = camera().directionOfProjection;
    return [-dop[0] * distance, -dop[1] * distance, -dop[2] * distance];
  };

  const fitCamera = (m: VolumeMeta) => {
    const cam = renderer.getActiveCamera();
    const { directionOfProjection: dop, viewUp } = sliceCamera(m.direction, name);
    const bounds = worldBounds(m);
    const center = boundsCenter(bounds);
    const diag = boundsDiagonal(bounds) || 1;
    cam.setParallelProjection(true);
    cam.setFocalPoint(center[0], center[1], center[2]);
    cam.setPosition(center[0] - dop[0] * diag * 2, center[1] - dop[1] * diag * 2, center[2] - dop[2] * diag * 2);
    cam.setViewUp(viewUp[0], viewUp[1], viewUp[2]);
    // Fit the volume's extent along the screen's vertical and horizontal axes (half a voxel margin each side).
    const right: Vec3 = [
      dop[1] * viewUp[2] - dop[2] * viewUp[1],
      dop[2] * viewUp[0] - dop[0] * viewUp[2],
      dop[0] * viewUp[1] - dop[1] * viewUp[0],
    ];
    // Extent of the grid's corners along a screen direction (tighter than the world bounding box when rotated).
    const corners = [0, 1, 2, 3, 4, 5, 6, 7].map((c) => indexToWorld(m, [0, 1, 2].map((a) => ((c >> a) & 1 ? m.shape[a] - 1 : 0))));
    const extent = (dir: Vec3) => {
      const along = corners.map((p) => p[0] * dir[0] + p[1] * dir[1] + p[2] * dir[2]);
      return Math.max(...along) - Math.min(...along);
    };
    const [w, h] = view.size();
    const aspect = w > 0 && h > 0 ? w / h : 1;
    const maxSpacing = Math.max(...m.spacing);
    const halfHeight = Math.max(extent(viewUp) / 2, extent(right) / 2 / aspect) + maxSpacing;
    cam.setParallelScale((halfHeight * 1.02) / zoomFactor);
    cam.setClippingRange(diag * 0.5, diag * 4);
  };

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
    const shift = towardsCamera(Math.min(...labelBlock.spacing) * 0.05);
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
    const c = viewStore.crosshair;
    const lift = towardsCamera(Math.min(...m.spacing) * 0.1);
    const others = viewAxes(m.direction);
    inPlaneAxes(ax).forEach((along, i) => {
      const from = [...c];
      const to = [...c];
      from[along] = -0.5;
      to[along] = m.shape[along] - 0.5;
      const a = indexToWorld(m, from);
      const b = indexToWorld(m, to);
      const points = new Float32Array([a[0] + lift[0], a[1] + lift[1], a[2] + lift[2], b[0] + lift[0], b[1] + lift[1], b[2] + lift[2]]);
      crossPolys[i].getPoints().setData(points, 3);
      crossPolys[i].getLines().setData(new Uint32Array([2, 0, 1]));
      crossPolys[i].modified();
      // The line running along `along` at fixed other in-plane index is the plane of the view showing the other axis.
      const fixedAxis = inPlaneAxes(ax)[1 - i];
      const viewOfLine = (Object.keys(others) as SliceViewName[]).find((v) => others[v] === fixedAxis) ?? name;
      crossActors[i].getProperty().setColor(...VIEW_COLORS[viewOfLine]);
      crossActors[i].setVisibility(true);
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

  onScopeDispose(() => {
    [actor, overlayActor, ...crossActors].forEach((a) => a.delete());
    [mapper, overlayMapper, ...crossMappers].forEach((m) => m.delete());
    [image, overlay, ...crossPolys, ctf].forEach((o) => o.delete());
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
      const { directionOfProjection: dop, viewUp } = camera();
      const right: Vec3 = [
        dop[1] * viewUp[2] - dop[2] * viewUp[1],
        dop[2] * viewUp[0] - dop[0] * viewUp[2],
        dop[0] * viewUp[1] - dop[1] * viewUp[0],
      ];
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
