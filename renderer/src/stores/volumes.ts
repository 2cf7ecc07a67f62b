/** Which volumes are open and shown: ids and their metadata (voxels live in data/blockCache.ts). */
import { defineStore } from 'pinia';
import type { VolumeMeta } from '../../../ipc/contract.ts';
import { getEngine } from '../data/engine.ts';
import { dropVolume } from '../data/blockCache.ts';
import { track } from '../data/activity.ts';
import { useViewStore } from './view.ts';
import { useLabelsStore } from './labels.ts';

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export const useVolumesStore = defineStore('volumes', {
  state: () => ({
    metas: {} as Record<string, VolumeMeta>,
    imageId: null as string | null,
    labelId: null as string | null,
    error: null as string | null,
    opening: false,
  }),
  getters: {
    image: (s): VolumeMeta | null => (s.imageId ? (s.metas[s.imageId] ?? null) : null),
    label: (s): VolumeMeta | null => (s.labelId ? (s.metas[s.labelId] ?? null) : null),
  },
  actions: {
    /** Opens an image file and, optionally, a label map on its grid, and shows them. */
    async openFiles(imagePath: string, labelPath?: string): Promise<void> {
      await this.run(async () => {
        const engine = getEngine();
        const image = await engine.request('volume.open', { path: imagePath, role: 'image' });
        this.metas[image.id] = image;
        let labelId: string | null = null;
        if (labelPath) {
          const label = await engine.request('volume.open', { path: labelPath, role: 'label', imageId: image.id });
          this.metas[label.id] = label;
          labelId = label.id;
        }
        this.show(image.id, labelId);
      });
    },
    /** Shows volumes the engine already has (a project case). */
    async showIds(imageId: string, labelId: string | null): Promise<void> {
      await this.run(async () => {
        const engine = getEngine();
        const ids = labelId ? [imageId, labelId] : [imageId];
        for (const id of ids) if (!this.metas[id]) this.metas[id] = await engine.request('volume.meta', { volumeId: id });
        this.show(imageId, labelId);
      });
    },
    /** Adds a volume announced by the engine (e.g. opened from the Electron menu). */
    adopt(meta: VolumeMeta): void {
      this.metas[meta.id] = meta;
      if (meta.role === 'image') this.show(meta.id, null);
      else if (this.imageId && meta.imageId === this.imageId) this.labelId = meta.id;
    },
    forget(volumeId: string): void {
      delete this.metas[volumeId];
      dropVolume(volumeId);
      if (this.imageId === volumeId) this.show(null, null);
      if (this.labelId === volumeId) this.labelId = null;
    },
    show(imageId: string | null, labelId: string | null): void {
      const newImage = imageId !== this.imageId;
      this.imageId = imageId;
      this.labelId = labelId;
      // In the same tick, so the views never ask for the new image's slices at the old crosshair.
      if (newImage) useViewStore().resetFor(imageId);
      useLabelsStore().hidden = [];
    },
    async run(work: () => Promise<void>): Promise<void> {
      this.error = null;
      this.opening = true;
      try {
        await track(work());
      } catch (error) {
        this.error = errorText(error);
      } finally {
        this.opening = false;
      }
    },
  },
});
