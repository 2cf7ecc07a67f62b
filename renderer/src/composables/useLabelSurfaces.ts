/**
 * 3D surfaces of the shown label map, one actor per label value, extracted in a worker from the finest label pyramid
 * level within the voxel budget. Visibility and colour follow the label table without re-extraction.
 */
import { onScopeDispose, watch } from 'vue';
import vtkPolyData from '@kitware/vtk.js/Common/DataModel/PolyData';
import vtkDataArray from '@kitware/vtk.js/Common/Core/DataArray';
import vtkMapper from '@kitware/vtk.js/Rendering/Core/Mapper';
import vtkActor from '@kitware/vtk.js/Rendering/Core/Actor';
import type { VolumeBlock } from '../../../ipc/api.ts';
import { getLevel } from '../data/blockCache.ts';
import { track } from '../data/activity.ts';
import { indexToWorldMatrix } from '../core/geometry.ts';
import { pickLevel } from '../core/slices.ts';
import type { LabelSurface } from '../core/surfaces.ts';
import { MAX_MESH_GRID_POINTS } from '../core/marchingCubes.ts';
import { useVolumesStore } from '../stores/volumes.ts';
import { useLabelsStore } from '../stores/labels.ts';
import { useVolumeRenderingStore } from '../stores/volumeRendering.ts';
import type { VtkView } from './useVtkView.ts';

interface SurfaceActor {
  value: number;
  actor: vtkActor;
  mapper: vtkMapper;
  poly: vtkPolyData;
}

type SurfaceReply = { requestId: number; surfaces: LabelSurface[] } | { requestId: number; error: string };

export function useLabelSurfaces(view: VtkView): { count: () => number } {
  const volumes = useVolumesStore();
  const labels = useLabelsStore();
  const settings = useVolumeRenderingStore();
  const { renderer, requestRender } = view;
  const worker = new Worker(new URL('../workers/surface.worker.ts', import.meta.url), { type: 'module' });
  let nextRequest = 1;
  const waiting = new Map<number, { resolve: (s: LabelSurface[]) => void; reject: (e: Error) => void }>();
  worker.onmessage = (event: MessageEvent<SurfaceReply>) => {
    const entry = waiting.get(event.data.requestId);
    if (!entry) return;
    waiting.delete(event.data.requestId);
    if ('error' in event.data) entry.reject(new Error(`surface extraction: ${event.data.error}`));
    else entry.resolve(event.data.surfaces);
  };

  const extract = (block: VolumeBlock, values: number[]): Promise<LabelSurface[]> =>
    new Promise((resolve, reject) => {
      const requestId = nextRequest++;
      waiting.set(requestId, { resolve, reject });
      // A copy: the block stays in the cache for other views.
      const data = block.data.slice();
      worker.postMessage({ requestId, data, shape: block.shape, values }, [data.buffer]);
    });

  let actors: SurfaceActor[] = [];
  const clear = () => {
    for (const a of actors) {
      renderer.removeActor(a.actor);
      a.actor.delete();
      a.mapper.delete();
      a.poly.delete();
    }
    actors = [];
  };

  const applyStyle = () => {
    const classes = new Map(labels.classes.map((c) => [c.value, c]));
    const hidden = labels.hiddenSet;
    for (const a of actors) {
      const c = classes.get(a.value);
      if (c) a.actor.getProperty().setColor(c.color[0] / 255, c.color[1] / 255, c.color[2] / 255);
      a.actor.setVisibility(labels.showSurfaces && !hidden.has(a.value));
    }
    requestRender();
  };

  watch(
    () => volumes.labelId,
    async (id) => {
      clear();
      requestRender();
      const meta = volumes.label;
      if (!id || !meta) return;
      try {
        // Half the mesher's grid limit leaves room for the one-voxel margin around a label's bounding box.
        const level = pickLevel(meta.levels, Math.min(settings.maxSurfaceVoxels, MAX_MESH_GRID_POINTS / 2));
        const block = await getLevel(id, level);
        const values = labels.classes.map((c) => c.value);
        const surfaces = await track(extract(block, values));
        if (volumes.labelId !== id) return;
        const matrix = indexToWorldMatrix(block);
        for (const s of surfaces) {
          const poly = vtkPolyData.newInstance();
          poly.getPoints().setData(s.points, 3);
          poly.getPolys().setData(s.polys);
          if (s.normals.length === s.points.length) {
            poly.getPointData().setNormals(vtkDataArray.newInstance({ name: 'Normals', numberOfComponents: 3, values: s.normals }));
          }
          const mapper = vtkMapper.newInstance();
          mapper.setInputData(poly);
          const actor = vtkActor.newInstance();
          actor.setMapper(mapper);
          actor.setUserMatrix(Float32Array.from(matrix));
          renderer.addActor(actor);
          actors.push({ value: s.value, actor, mapper, poly });
        }
        applyStyle();
      } catch (error) {
        volumes.error = error instanceof Error ? error.message : String(error);
      }
    },
    { immediate: true },
  );

  watch(() => [labels.classes, labels.hidden, labels.showSurfaces], applyStyle, { deep: true });

  onScopeDispose(() => {
    worker.terminate();
    for (const w of waiting.values()) w.reject(new Error('view closed'));
    waiting.clear();
    clear();
  });

  return { count: () => actors.length };
}
