/**
 * The boundaries workspace's 3D scene: one actor per phase-pair interface of the chosen label map, extracted in a
 * worker (workers/boundaries.worker.ts) from the finest pyramid level within the voxel budget (or level 0 on demand),
 * coloured by pair or by boundary error, shown or hidden per pair, and clipped to a slab with two world clipping
 * planes. Every vtk object is created here and deleted on scope dispose.
 */
import { onScopeDispose, watch } from 'vue';
import vtkPolyData from '@kitware/vtk.js/Common/DataModel/PolyData';
import vtkDataArray from '@kitware/vtk.js/Common/Core/DataArray';
import vtkMapper from '@kitware/vtk.js/Rendering/Core/Mapper';
import vtkActor from '@kitware/vtk.js/Rendering/Core/Actor';
import vtkPlane from '@kitware/vtk.js/Common/DataModel/Plane';
import type { VolumeBlock } from '../../../ipc/api.ts';
import { getLevel } from '../data/blockCache.ts';
import { track } from '../data/activity.ts';
import { indexToWorldMatrix } from '../core/geometry.ts';
import { pickLevel } from '../core/slices.ts';
import type { BoundaryResult, PairResult } from '../core/boundaries/compute.ts';
import { errorColors, pairColor } from '../core/boundaries/colors.ts';
import { pairKey } from '../core/boundaries/faces.ts';
import { comparePairs, pairName } from '../core/boundaries/legend.ts';
import { slabPlanes } from '../core/boundaries/slab.ts';
import type { BoundariesReply, BoundariesRequest } from '../workers/boundariesProtocol.ts';
import { useBoundariesStore, type PairLegendEntry } from '../stores/boundaries.ts';
import { useProjectStore } from '../stores/project.ts';
import { errorText } from '../stores/volumes.ts';
import type { VtkView } from './useVtkView.ts';

interface PairActor {
  key: string;
  pair: PairResult;
  actor: vtkActor;
  mapper: vtkMapper;
  poly: vtkPolyData;
  colors: vtkDataArray | null;
}

export interface BoundarySurfaces {
  /** Stops the running extraction (the worker is replaced). */
  cancel(): void;
  resetCamera(): void;
}

export function useBoundarySurfaces(view: VtkView): BoundarySurfaces {
  const store = useBoundariesStore();
  const project = useProjectStore();
  const { renderer, requestRender } = view;

  let worker: Worker | null = null;
  let nextRequest = 1;
  let running: { requestId: number; resolve: (r: BoundaryResult) => void; reject: (e: Error) => void } | null = null;
  const startWorker = (): Worker => {
    const w = new Worker(new URL('../workers/boundaries.worker.ts', import.meta.url), { type: 'module' });
    w.onmessage = (event: MessageEvent<BoundariesReply>) => {
      const msg = event.data;
      if (!running || msg.requestId !== running.requestId) return;
      if ('progress' in msg) {
        store.progress = msg.progress;
        return;
      }
      const done = running;
      running = null;
      if ('error' in msg) done.reject(new Error(`boundary extraction: ${msg.error}`));
      else done.resolve(msg.result);
    };
    return w;
  };
  const extract = (request: Omit<BoundariesRequest, 'requestId'>): Promise<BoundaryResult> =>
    new Promise((resolve, reject) => {
      running?.reject(new Error('superseded'));
      worker ??= startWorker();
      const requestId = nextRequest++;
      running = { requestId, resolve, reject };
      const transfer = [request.labels.buffer, ...(request.truth ? [request.truth.buffer] : [])] as Transferable[];
      worker.postMessage({ ...request, requestId }, transfer);
    });

  const planes = [vtkPlane.newInstance(), vtkPlane.newInstance()];
  let actors: PairActor[] = [];
  const clear = () => {
    for (const a of actors) {
      renderer.removeActor(a.actor);
      a.actor.delete();
      a.mapper.delete();
      a.poly.delete();
      a.colors?.delete();
    }
    actors = [];
  };

  const applyStyle = () => {
    const hidden = store.hiddenSet;
    const byKey = new Map(store.legend.map((e) => [e.key, e]));
    const byError = store.colorMode === 'error' && store.hasTruth;
    for (const a of actors) {
      const entry = byKey.get(a.key);
      const property = a.actor.getProperty();
      property.setLighting(store.shade);
      if (entry) property.setColor(entry.color[0] / 255, entry.color[1] / 255, entry.color[2] / 255);
      if (byError && a.pair.errors) {
        const rgb = errorColors(a.pair.errors, store.maxDistance);
        if (!a.colors) {
          a.colors = vtkDataArray.newInstance({ name: 'BoundaryError', numberOfComponents: 3, values: rgb });
          a.poly.getPointData().setScalars(a.colors);
        } else {
          a.colors.setData(rgb, 3);
          a.poly.modified();
        }
        a.mapper.setScalarVisibility(true);
        a.mapper.setColorModeToDirectScalars();
      } else {
        a.mapper.setScalarVisibility(false);
      }
      a.actor.setVisibility(!hidden.has(a.key));
    }
    requestRender();
  };

  const applySlab = () => {
    const meta = store.labelMeta;
    for (const a of actors) a.mapper.removeAllClippingPlanes();
    if (store.slab.enabled && meta) {
      const bounds = slabPlanes(meta, store.slab);
      bounds.forEach((b, i) => {
        planes[i].setOrigin(...b.origin);
        planes[i].setNormal(...b.normal);
      });
      for (const a of actors) for (const p of planes) a.mapper.addClippingPlane(p);
    }
    requestRender();
  };

  const legendFor = (result: BoundaryResult): PairLegendEntry[] => {
    const labelMeta = store.labelMeta;
    const classes = store.source?.startsWith('file:') ? null : project.project?.classes;
    return [...result.pairs].sort(comparePairs).map((p, rank) => ({
      key: pairKey(p.a, p.b),
      a: p.a,
      b: p.b,
      name: pairName(p.a, p.b, classes, labelMeta?.labels),
      color: pairColor(rank),
      area: p.area,
      faces: p.faces,
      ...(p.truthFaces !== undefined ? { truthFaces: p.truthFaces } : {}),
      ...(p.errorSummary ? { errors: p.errorSummary } : {}),
    }));
  };

  /** The level to extract from, and its blocks (copies: the worker takes them, the cache keeps its own). */
  const loadBlocks = async (labelId: string, truthId: string | null): Promise<{ level: number; label: VolumeBlock; truth: VolumeBlock | null }> => {
    const meta = await store.meta(labelId);
    let level: number;
    if (store.fullResolution) {
      const voxels = meta.shape[0] * meta.shape[1] * meta.shape[2];
      if (voxels > store.fullResolutionLimit) {
        throw new Error(`${meta.name}: full resolution has ${voxels} voxels, over the ${store.fullResolutionLimit} this view meshes; use the budget level`);
      }
      level = 0;
    } else {
      level = pickLevel(meta.levels, store.voxelBudget);
    }
    const label = await getLevel(labelId, level);
    let truth: VolumeBlock | null = null;
    if (truthId) {
      const truthMeta = await store.meta(truthId);
      const shape = truthMeta.levels[level]?.shape;
      if (!shape || shape.some((d, i) => d !== label.shape[i])) {
        throw new Error(`ground truth ${truthMeta.name}: level ${level} is ${shape?.join('x') ?? 'missing'}, the prediction's is ${label.shape.join('x')}`);
      }
      truth = await getLevel(truthId, level);
    }
    return { level, label, truth };
  };

  /** An oblique view, so that the interfaces read as 3D from the start. */
  const resetCamera = () => {
    const camera = renderer.getActiveCamera();
    camera.setPosition(0, 0, 1);
    camera.setFocalPoint(0, 0, 0);
    camera.setViewUp(0, 1, 0);
    camera.azimuth(35);
    camera.elevation(25);
    camera.orthogonalizeViewUp();
    renderer.resetCamera();
    requestRender();
  };

  /** What the meshes on screen were built from, so that a cancelled request can put the controls back. */
  let shown: { labelId: string; truthId: string | null; fullResolution: boolean; smoothing: number } | null = null;
  const paramsKey = (p: { labelId: string | null; truthId: string | null; fullResolution: boolean; smoothing: number } | null) =>
    p ? `${p.labelId}|${p.truthId}|${p.fullResolution}|${p.smoothing}` : '';

  /** Puts the controls back to what is on screen (the watcher then finds nothing to do). */
  const restoreControls = () => {
    if (shown && shown.labelId === store.labelId) {
      store.fullResolution = shown.fullResolution;
      store.smoothing = shown.smoothing;
    }
  };

  let generation = 0;
  const rebuild = async () => {
    const params = { labelId: store.labelId, truthId: store.truthId, fullResolution: store.fullResolution, smoothing: store.smoothing };
    if (params.labelId !== null && paramsKey(params) === paramsKey(shown)) return; // e.g. the controls put back after a cancel
    const mine = ++generation;
    const { labelId, truthId } = params;
    // Another label map: clear at once. The same one at another level or smoothing: keep it on screen until replaced.
    if (!labelId || labelId !== shown?.labelId || truthId !== shown?.truthId) {
      clear();
      shown = null;
      store.legend = [];
      store.missedPairs = [];
      requestRender();
    }
    if (!labelId) return;
    store.error = null;
    store.computing = true;
    store.progress = { fraction: 0, stage: 'loading' };
    try {
      const { level, label, truth } = await loadBlocks(labelId, truthId);
      if (mine !== generation) return;
      const result = await track(
        extract({
          labels: label.data.slice(),
          ...(truth ? { truth: truth.data.slice() } : {}),
          shape: [...label.shape] as [number, number, number],
          spacing: [...label.spacing] as [number, number, number],
          smoothing: params.smoothing,
        }),
      );
      if (mine !== generation) return;
      const sameScene = shown !== null;
      clear();
      shown = { labelId, truthId, fullResolution: params.fullResolution, smoothing: params.smoothing };
      store.level = level;
      store.levelShape = [...label.shape];
      store.legend = legendFor(result);
      store.missedPairs = result.missedPairs.map(([a, b]) => pairName(a, b, project.project?.classes, store.labelMeta?.labels));
      if (!(store.maxDistance > 0)) store.maxDistance = 3 * Math.min(...label.spacing.map(Math.abs));
      const matrix = Float32Array.from(indexToWorldMatrix(label));
      for (const pair of result.pairs) {
        const poly = vtkPolyData.newInstance();
        poly.getPoints().setData(pair.points, 3);
        poly.getPolys().setData(pair.polys);
        poly.getPointData().setNormals(vtkDataArray.newInstance({ name: 'Normals', numberOfComponents: 3, values: pair.normals }));
        const mapper = vtkMapper.newInstance();
        mapper.setInputData(poly);
        const actor = vtkActor.newInstance();
        actor.setMapper(mapper);
        actor.setUserMatrix(matrix);
        renderer.addActor(actor);
        actors.push({ key: pairKey(pair.a, pair.b), pair, actor, mapper, poly, colors: null });
      }
      applyStyle();
      applySlab();
      // A refinement of the same label map keeps the user's camera.
      if (sameScene) requestRender();
      else resetCamera();
    } catch (error) {
      if (mine === generation && errorText(error) !== 'superseded') {
        store.error = errorText(error);
        restoreControls();
      }
    } finally {
      if (mine === generation) store.computing = false;
    }
  };

  watch(() => [store.labelId, store.truthId, store.fullResolution, store.smoothing], () => void rebuild(), { immediate: true });
  watch(() => [store.colorMode, store.hidden, store.maxDistance, store.shade, store.legend], applyStyle, { deep: true });
  watch(() => ({ ...store.slab }), applySlab, { deep: true });

  onScopeDispose(() => {
    generation++;
    running?.reject(new Error('view closed'));
    running = null;
    worker?.terminate();
    clear();
    for (const p of planes) p.delete();
  });

  return {
    cancel() {
      if (!store.computing) return;
      generation++;
      running?.reject(new Error('superseded'));
      running = null;
      worker?.terminate();
      worker = null;
      store.computing = false;
      store.error = 'boundary extraction cancelled';
      restoreControls();
    },
    resetCamera,
  };
}
