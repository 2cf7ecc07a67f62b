/**
 * 3D surfaces of the shown label map, one actor per label value, extracted in a worker from the finest label pyramid
 * level within the voxel budget. Visibility and colour follow the label table without re-extraction.
 */
import { onScopeDispose, watch } from 'vue';
import type { VolumeBlock } from '../../../ipc/api.ts';
import { getLevel } from '../data/blockCache.ts';
import { track } from '../data/activity.ts';
import { pickLevel } from '../core/slices.ts';
import { MAX_MESH_GRID_POINTS } from '../core/marchingCubes.ts';
import { useVolumesStore } from '../stores/volumes.ts';
import { useLabelsStore } from '../stores/labels.ts';
import { useVolumeRenderingStore } from '../stores/volumeRendering.ts';
import { addSurfaceActor, removeSurfaceActors, surfaceWorker, type SurfaceActor } from './surfaceActors.ts';
import type { SurfaceRequest } from '../workers/surface.worker.ts';
import type { VtkView } from './useVtkView.ts';

export function useLabelSurfaces(view: VtkView): { count: () => number } {
  const volumes = useVolumesStore();
  const labels = useLabelsStore();
  const settings = useVolumeRenderingStore();
  const { renderer, requestRender } = view;
  const worker = surfaceWorker<SurfaceRequest>(new Worker(new URL('../workers/surface.worker.ts', import.meta.url), { type: 'module' }));
  // A copy: the block stays in the cache for other views.
  const extract = (block: VolumeBlock, values: number[]) => {
    const data = block.data.slice();
    return worker.request({ data, shape: block.shape, values }, [data.buffer]);
  };

  let actors: SurfaceActor[] = [];
  const clear = () => {
    removeSurfaceActors(renderer, actors);
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
        for (const s of surfaces) actors.push(addSurfaceActor(renderer, s, block));
        applyStyle();
      } catch (error) {
        volumes.error = error instanceof Error ? error.message : String(error);
      }
    },
    { immediate: true },
  );

  watch(() => [labels.classes, labels.hidden, labels.showSurfaces], applyStyle, { deep: true });

  onScopeDispose(() => {
    worker.close();
    clear();
  });

  return { count: () => actors.length };
}
