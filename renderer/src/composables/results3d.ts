/**
 * The results explorer's 3D view, one of three modes: the prediction's label surfaces ('prediction'); the error
 * surfaces — false positives and false negatives against the truth, in the error map's colours — over a faint
 * prediction ('errors'); or a volume rendering of the uncertainty volume with its own transfer function (a colour map
 * over its range and the opacity curve of the results store). Surfaces are extracted in a worker from the finest
 * label pyramid level within the surface budget. vtk objects live as long as the calling component's effect scope.
 */
import { onScopeDispose, watch } from 'vue';
import vtkImageData from '@kitware/vtk.js/Common/DataModel/ImageData';
import vtkVolume from '@kitware/vtk.js/Rendering/Core/Volume';
import vtkVolumeMapper from '@kitware/vtk.js/Rendering/Core/VolumeMapper';
import vtkColorTransferFunction from '@kitware/vtk.js/Rendering/Core/ColorTransferFunction';
import vtkPiecewiseFunction from '@kitware/vtk.js/Common/DataModel/PiecewiseFunction';
import type { VolumeBlock } from '../../../ipc/api.ts';
import type { VolumeMeta } from '../../../ipc/contract.ts';
import { applyBlock } from '../data/blockToImage.ts';
import { getLevel } from '../data/blockCache.ts';
import { track } from '../data/activity.ts';
import { labelClasses } from '../core/labels.ts';
import { pickLevel } from '../core/slices.ts';
import { colormapNodes } from '../core/colormaps.ts';
import { MAX_MESH_GRID_POINTS } from '../core/marchingCubes.ts';
import type { LabelSurface } from '../core/surfaces.ts';
import { ERROR_CODE, ERROR_COLORS } from '../core/results/errorMap.ts';
import { sameGrid } from '../core/results/linkedSlices.ts';
import { useResultsStore } from '../stores/results.ts';
import { useProjectStore } from '../stores/project.ts';
import { useVolumeRenderingStore } from '../stores/volumeRendering.ts';
import type { ResultsSurfaceRequest } from '../workers/resultsSurfaces.worker.ts';
import { resetFrontCamera } from './frontCamera.ts';
import { addSurfaceActor, removeSurfaceActors, surfaceWorker, type SurfaceActor } from './surfaceActors.ts';
import type { VtkView } from './useVtkView.ts';

type WorkerJob = { mode: 'labels'; labels: VolumeBlock; values: number[] } | { mode: 'errors'; truth: VolumeBlock; pred: VolumeBlock };

export interface Results3dView {
  /** Surface actors on screen. */
  surfaceCount: () => number;
  /** Pyramid level of the uncertainty volume on screen, -1 before. */
  volumeLevel: () => number;
  resetCamera(): void;
}

export function useResults3d(view: VtkView): Results3dView {
  const results = useResultsStore();
  const project = useProjectStore();
  const settings = useVolumeRenderingStore();
  const { renderer, requestRender } = view;

  // Worker
  const worker = surfaceWorker<ResultsSurfaceRequest>(new Worker(new URL('../workers/resultsSurfaces.worker.ts', import.meta.url), { type: 'module' }));
  const extract = (job: WorkerJob): Promise<LabelSurface[]> => {
    // Copies: the blocks stay in the cache for the other views.
    if (job.mode === 'labels') {
      const labels = job.labels.data.slice();
      return worker.request({ mode: 'labels', labels, shape: job.labels.shape, values: job.values }, [labels.buffer]);
    }
    const truth = job.truth.data.slice();
    const pred = job.pred.data.slice();
    return worker.request({ mode: 'errors', truth, pred, shape: job.pred.shape }, [truth.buffer, pred.buffer]);
  };

  // Volume rendering of the uncertainty
  const image = vtkImageData.newInstance();
  const volumeMapper = vtkVolumeMapper.newInstance();
  volumeMapper.setInputData(image);
  const volume = vtkVolume.newInstance();
  volume.setMapper(volumeMapper);
  const ctf = vtkColorTransferFunction.newInstance();
  const pwf = vtkPiecewiseFunction.newInstance();
  const property = volume.getProperty();
  property.setRGBTransferFunction(0, ctf);
  property.setScalarOpacity(0, pwf);
  property.setInterpolationTypeToLinear();
  volume.setVisibility(false);
  renderer.addVolume(volume);
  let volumeLevel = -1;

  let surfaces: SurfaceActor[] = [];
  const clearSurfaces = () => {
    removeSurfaceActors(renderer, surfaces);
    surfaces = [];
  };
  const addSurface = (s: LabelSurface, block: VolumeBlock, color: readonly number[], opacity: number) => {
    const added = addSurfaceActor(renderer, s, block);
    added.actor.getProperty().setColor(color[0] / 255, color[1] / 255, color[2] / 255);
    added.actor.getProperty().setOpacity(opacity);
    surfaces.push(added);
  };

  const resetCamera = () => {
    if (results.image) resetFrontCamera(view, results.image);
  };

  const classColors = (meta: VolumeMeta) => {
    const fromProject = project.project?.classes.filter((c) => c.value > 0);
    return fromProject && fromProject.length ? fromProject : labelClasses(meta.labels, meta.max);
  };
  const surfaceLevel = (meta: VolumeMeta) => pickLevel(meta.levels, Math.min(settings.maxSurfaceVoxels, MAX_MESH_GRID_POINTS / 2));

  const updateTransferFunction = () => {
    const u = results.uncertainty;
    const [lo, hi] = u ? [u.min, u.max > u.min ? u.max : u.min + 1] : [0, 1];
    ctf.removeAllPoints();
    for (const n of colormapNodes(results.overlay.colormap, lo, hi)) ctf.addRGBPoint(n.value, n.rgb[0], n.rgb[1], n.rgb[2]);
    pwf.removeAllPoints();
    for (const p of results.uncertaintyOpacity) pwf.addPoint(lo + p.x * (hi - lo), p.y);
    property.setShade(settings.shade);
    requestRender();
  };

  let generation = 0;
  const refresh = async () => {
    const gen = ++generation;
    clearSurfaces();
    volume.setVisibility(false);
    requestRender();
    const pred = results.pred;
    const truth = results.truth;
    const u = results.uncertainty;
    try {
      if (results.mode3d === 'uncertainty') {
        if (!u) return;
        const level = pickLevel(u.levels, settings.maxVoxels3d);
        const block = await getLevel(u.id, level);
        if (gen !== generation) return;
        applyBlock(image, block);
        const minSpacing = Math.min(...block.spacing);
        volumeMapper.setSampleDistance(minSpacing * 0.7);
        property.setScalarOpacityUnitDistance(0, minSpacing);
        updateTransferFunction();
        volume.setVisibility(true);
        volumeLevel = level;
      } else {
        if (!pred) return;
        const classes = classColors(pred);
        const predBlock = await getLevel(pred.id, surfaceLevel(pred));
        const predSurfaces = await track(extract({ mode: 'labels', labels: predBlock, values: classes.map((c) => c.value) }));
        if (gen !== generation) return;
        const colorOf = new Map(classes.map((c) => [c.value, c.color]));
        const faint = results.mode3d === 'errors';
        for (const s of predSurfaces) addSurface(s, predBlock, colorOf.get(s.value) ?? [200, 200, 200], faint ? 0.15 : 1);
        if (faint && truth) {
          if (!sameGrid(truth, pred)) throw new Error(`the prediction's grid differs from the truth's: no error surfaces`);
          const truthBlock = await getLevel(truth.id, surfaceLevel(pred));
          const errors = await track(extract({ mode: 'errors', truth: truthBlock, pred: predBlock }));
          if (gen !== generation) return;
          for (const s of errors) addSurface(s, predBlock, s.value === ERROR_CODE.falsePositive ? ERROR_COLORS.falsePositive : ERROR_COLORS.falseNegative, 1);
        }
      }
      requestRender();
    } catch (error) {
      if (gen === generation) results.error = error instanceof Error ? error.message : String(error);
    }
  };

  watch(
    () => results.shown?.imageId,
    () => {
      volumeLevel = -1;
      resetCamera();
    },
    { immediate: true },
  );
  watch(() => [results.shown?.predId, results.shown?.truthId, results.shown?.uncertaintyId, results.mode3d], () => void refresh(), { immediate: true });
  watch(() => [results.uncertaintyOpacity, results.overlay.colormap, settings.shade], updateTransferFunction, { deep: true, immediate: true });

  onScopeDispose(() => {
    generation++;
    worker.close();
    clearSurfaces();
    volume.delete();
    volumeMapper.delete();
    image.delete();
    ctf.delete();
    pwf.delete();
  });

  return { surfaceCount: () => surfaces.length, volumeLevel: () => volumeLevel, resetCamera };
}
