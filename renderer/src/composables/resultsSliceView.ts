/**
 * One of the results explorer's linked slice views: the case's image slice with an overlay, the same slice and
 * crosshair in every view (all read the results store). The overlay is the ground truth's labels ('truth'), the
 * prediction's labels with the uncertainty heat map over them ('pred'), or the error map of prediction against truth
 * ('error': false positives and false negatives in two colours). Volumes on another grid than the image are resampled
 * onto the image slice (nearest neighbour), so the views stay aligned voxel for voxel. vtk objects live as long as the
 * calling component's effect scope.
 */
import { computed, onScopeDispose, watch } from 'vue';
import type { VolumeBlock } from '../../../ipc/api.ts';
import type { VolumeMeta } from '../../../ipc/contract.ts';
import { applyBlock } from '../data/blockToImage.ts';
import { getSlice } from '../data/blockCache.ts';
import { colormapNodes } from '../core/colormaps.ts';
import type { Vec3 } from '../core/geometry.ts';
import { buildLabelLut, labelClasses, labelSliceToRgba, type LabelClass } from '../core/labels.ts';
import { sliceCamera } from '../core/orientation.ts';
import { sliceSize } from '../core/slices.ts';
import { classifyErrors, errorMapToRgba } from '../core/results/errorMap.ts';
import { compositeOver, heatmapRgba } from '../core/results/heatmap.ts';
import { mapIndex, resampleNearest, sameGrid } from '../core/results/linkedSlices.ts';
import { useResultsStore } from '../stores/results.ts';
import { useProjectStore } from '../stores/project.ts';
import { fitSliceCamera, placeCrosshair, towardsCamera, useSliceActors } from './sliceActors.ts';
import type { VtkView } from './useVtkView.ts';

export type ResultsSliceRole = 'truth' | 'pred' | 'error';

export interface ResultsSliceView {
  /** Slice index on screen (after its image arrived), -1 before. */
  shownIndex: () => number;
  /** Overlay pixels drawn (alpha > 0) in the last overlay, for tests and the legend. */
  overlayPixels: () => number;
  /** World position of a canvas pixel (device pixels, origin bottom-left) on the slice plane. */
  pickWorld(x: number, y: number): Vec3;
  resetCamera(): void;
}

/** A volume's slice on the image slice's grid: its own slice when the grids agree, else resampled onto it. */
async function sliceOnImageGrid(meta: VolumeMeta, image: VolumeMeta, imageSlice: VolumeBlock, axis: 0 | 1 | 2, ijk: readonly number[]): Promise<ArrayLike<number>> {
  if (sameGrid(meta, image)) return (await getSlice(meta.id, axis, ijk[axis])).data;
  const index = mapIndex(image, meta, ijk)[axis];
  const block = await getSlice(meta.id, axis, index);
  return resampleNearest(block, imageSlice);
}

export function useResultsSliceView(view: VtkView, role: ResultsSliceRole): ResultsSliceView {
  const results = useResultsStore();
  const project = useProjectStore();
  const { renderer, requestRender } = view;

  const actors = useSliceActors(view);
  const { image, mapper, actor, ctf, overlay, overlayMapper, overlayActor, crossActors } = actors;
  crossActors.forEach((a) => a.getProperty().setColor(1, 0.85, 0.2));

  let shownIndex = -1;
  let overlayPixels = 0;

  const camera = () => sliceCamera(results.image?.direction ?? [1, 0, 0, 0, 1, 0, 0, 0, 1], results.plane);
  const fitCamera = () => {
    if (!results.image) return;
    fitSliceCamera(view, results.image, camera());
    requestRender();
  };

  const updateColors = () => {
    const m = results.image;
    ctf.removeAllPoints();
    const [lo, hi] = m ? [m.min, m.max] : [0, 1];
    for (const n of colormapNodes('grayscale', lo, hi)) ctf.addRGBPoint(n.value, n.rgb[0], n.rgb[1], n.rgb[2]);
    requestRender();
  };

  const updateCrosshair = () => {
    const m = results.image;
    if (!m) {
      crossActors.forEach((a) => a.setVisibility(false));
      return;
    }
    placeCrosshair(actors, m, results.axis, results.crosshair, camera());
    requestRender();
  };

  const classesFor = (meta: VolumeMeta): LabelClass[] => {
    const fromProject = project.project?.classes.filter((c) => c.value > 0);
    return fromProject && fromProject.length ? fromProject : labelClasses(meta.labels, meta.max);
  };

  const labelRgba = (values: ArrayLike<number>, meta: VolumeMeta, w: number, h: number): Uint8Array => {
    const classes = classesFor(meta);
    const maxValue = Math.max(meta.max, ...classes.map((c) => c.value), 0);
    return labelSliceToRgba(values, w, h, buildLabelLut(classes, new Set(), maxValue), { opacity: results.labelOpacity, outline: false });
  };

  /** The overlay of this view's role for the shown slice, or null when its volumes are missing. */
  const overlayFor = async (slice: VolumeBlock): Promise<Uint8Array | null> => {
    const img = results.image!;
    const ax = results.axis;
    const ijk = [...results.crosshair];
    const [w, h] = sliceSize(slice.shape, ax);
    const truth = results.truth;
    const pred = results.pred;
    if (role === 'truth') return truth ? labelRgba(await sliceOnImageGrid(truth, img, slice, ax, ijk), truth, w, h) : null;
    if (role === 'error') {
      if (!truth || !pred) return null;
      const [t, p] = await Promise.all([sliceOnImageGrid(truth, img, slice, ax, ijk), sliceOnImageGrid(pred, img, slice, ax, ijk)]);
      return errorMapToRgba(classifyErrors(t, p), Math.max(0.6, results.labelOpacity));
    }
    if (!pred) return null;
    const rgba = labelRgba(await sliceOnImageGrid(pred, img, slice, ax, ijk), pred, w, h);
    const u = results.uncertainty;
    if (!results.overlay.show || !u) return rgba;
    const values = await sliceOnImageGrid(u, img, slice, ax, ijk);
    const hi = u.max > u.min ? u.max : u.min + 1;
    const heat = heatmapRgba(values, {
      colormap: results.overlay.colormap,
      low: u.min,
      high: hi,
      threshold: u.min + results.overlay.threshold * (hi - u.min),
      opacity: results.overlay.opacity,
    });
    return compositeOver(heat, rgba, rgba);
  };

  let generation = 0;
  const refresh = async () => {
    const gen = ++generation;
    const m = results.image;
    if (!m || !results.shown) {
      actor.setVisibility(false);
      overlayActor.setVisibility(false);
      shownIndex = -1;
      requestRender();
      return;
    }
    const ax = results.axis;
    const index = results.crosshair[ax];
    try {
      const slice = await getSlice(m.id, ax, index);
      if (gen !== generation) return;
      const rgba = await overlayFor(slice);
      if (gen !== generation) return;
      applyBlock(image, slice);
      mapper.setSlicingMode(ax);
      mapper.setSlice(0);
      actor.setVisibility(true);
      if (rgba) {
        const shift = towardsCamera(camera(), Math.min(...slice.spacing) * 0.05);
        applyBlock(overlay, { ...slice, origin: [slice.origin[0] + shift[0], slice.origin[1] + shift[1], slice.origin[2] + shift[2]] }, rgba, 4);
        overlayMapper.setSlicingMode(ax);
        overlayMapper.setSlice(0);
        overlayPixels = 0;
        for (let i = 3; i < rgba.length; i += 4) if (rgba[i] > 0) overlayPixels++;
      } else {
        overlayPixels = 0;
      }
      overlayActor.setVisibility(rgba !== null);
      shownIndex = index;
      requestRender();
    } catch (error) {
      if (gen === generation) results.error = error instanceof Error ? error.message : String(error);
    }
  };

  const shownKey = computed(() => (results.shown ? `${results.shown.imageId}|${results.plane}` : ''));
  watch(
    shownKey,
    () => {
      shownIndex = -1;
      fitCamera();
      updateColors();
    },
    { immediate: true },
  );
  watch(
    () => [shownKey.value, results.axis, results.crosshair[results.axis], results.shown?.predId, results.shown?.uncertaintyId, results.labelOpacity, { ...results.overlay }],
    () => void refresh(),
    { immediate: true, deep: true },
  );
  watch(() => [shownKey.value, ...results.crosshair], updateCrosshair, { immediate: true });
  view.onResize(fitCamera);

  onScopeDispose(() => {
    generation++; // a slice still on its way is dropped
  });

  return {
    shownIndex: () => shownIndex,
    overlayPixels: () => overlayPixels,
    pickWorld(x: number, y: number): Vec3 {
      const { openGL } = view;
      const focal = renderer.getActiveCamera().getFocalPoint();
      const depth = openGL.worldToDisplay(focal[0], focal[1], focal[2], renderer)[2];
      const p = openGL.displayToWorld(x, y, depth, renderer);
      return [p[0], p[1], p[2]];
    },
    resetCamera: fitCamera,
  };
}
