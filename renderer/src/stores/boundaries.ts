/**
 * The phase-boundaries workspace: which label map is shown (a prediction with its case's ground truth, or any label
 * volume), how its pair interfaces are coloured, which pairs are hidden, the slab, and what the last extraction found
 * (the legend). Meshes live in the composable (composables/boundariesSurfaces.ts), not here.
 */
import { defineStore } from 'pinia';
import type { PredictionInfo, VolumeMeta } from '../../../ipc/contract.ts';
import { getEngine } from '../data/engine.ts';
import { track } from '../data/activity.ts';
import type { ErrorSummary } from '../core/boundaries/boundaryError.ts';
import type { RGB } from '../core/boundaries/colors.ts';
import { errorText } from './volumes.ts';
import { useProjectStore } from './project.ts';

function queryNumber(name: string, fallback: number): number {
  const raw = new URLSearchParams(window.location.search).get(name);
  const value = raw === null ? NaN : Number(raw);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

/** What can be shown: 'pred:<predictionId>', 'case:<caseId>' (its label map) or 'file:<volumeId>'. */
export type SourceKey = `pred:${string}` | `case:${string}` | `file:${string}`;

export interface SourceOption {
  key: SourceKey;
  title: string;
}

export interface PairLegendEntry {
  key: string;
  a: number;
  b: number;
  name: string;
  color: RGB;
  /** Physical area of the voxel interface (mm²). */
  area: number;
  faces: number;
  /** Faces of the same pair in the ground truth (absent without one). */
  truthFaces?: number;
  errors?: ErrorSummary;
}

export type ColorMode = 'pair' | 'error';

export const useBoundariesStore = defineStore('boundaries', {
  state: () => ({
    predictions: [] as PredictionInfo[],
    /** Label files opened in this workspace. */
    files: [] as { id: string; name: string }[],
    source: null as SourceKey | null,
    /** Engine volume ids of the shown label map and its ground truth (null: none). */
    labelId: null as string | null,
    truthId: null as string | null,
    metas: {} as Record<string, VolumeMeta>,
    colorMode: 'pair' as ColorMode,
    hidden: [] as string[],
    /** Top of the boundary-error colour scale, mm (0: not set yet, picked from the voxel size). */
    maxDistance: 0,
    slab: { enabled: false, axis: 2 as 0 | 1 | 2, center: 0, thickness: 8 },
    /** Extract from full resolution (level 0) instead of the level within the voxel budget. */
    fullResolution: false,
    /** Taubin smoothing iterations (0 = exact voxel faces). */
    smoothing: 0,
    shade: new URLSearchParams(window.location.search).get('shade') !== '0',
    /** Voxel budget of the extraction level (`?boundaryVoxels=N`). */
    voxelBudget: queryNumber('boundaryVoxels', 2 * 1024 * 1024),
    /** Largest level-0 grid that full resolution accepts. */
    fullResolutionLimit: 64 * 1024 * 1024,
    // What the last extraction found.
    level: null as number | null,
    levelShape: null as number[] | null,
    legend: [] as PairLegendEntry[],
    missedPairs: [] as string[],
    computing: false,
    progress: { fraction: 0, stage: '' },
    error: null as string | null,
  }),
  getters: {
    hiddenSet: (s): Set<string> => new Set(s.hidden),
    hasTruth: (s): boolean => s.truthId !== null,
    labelMeta: (s): VolumeMeta | null => (s.labelId ? (s.metas[s.labelId] ?? null) : null),
    options(): SourceOption[] {
      const project = useProjectStore();
      const preds = this.predictions.map((p): SourceOption => ({ key: `pred:${p.id}`, title: `prediction ${p.id}` }));
      const cases = project.cases.filter((c) => c.labelId).map((c): SourceOption => ({ key: `case:${c.id}`, title: `label of case ${c.id}` }));
      const files = this.files.map((f): SourceOption => ({ key: `file:${f.id}`, title: `file ${f.name}` }));
      return [...preds, ...cases, ...files];
    },
  },
  actions: {
    /** The open project's predictions that have a label output. */
    async refreshPredictions(): Promise<void> {
      const dir = useProjectStore().project?.dir;
      if (!dir) {
        this.predictions = [];
        return;
      }
      try {
        const { predictions } = await track(getEngine().request('prediction.list', { projectDir: dir }));
        this.predictions = predictions.filter((p) => p.outputs.label !== undefined);
      } catch (error) {
        this.error = errorText(error);
      }
    },
    async meta(volumeId: string): Promise<VolumeMeta> {
      const known = this.metas[volumeId];
      if (known) return known;
      const meta = await getEngine().request('volume.meta', { volumeId });
      this.metas[volumeId] = meta;
      return meta;
    },
    /** Shows a source: resolves its label map (opening a prediction's store) and ground truth. */
    async choose(key: SourceKey | null): Promise<void> {
      this.error = null;
      this.source = key;
      this.labelId = null;
      this.truthId = null;
      this.hidden = [];
      this.maxDistance = 0; // picked again from the new volume's voxel size
      if (!key) return;
      const project = useProjectStore();
      try {
        let labelId: string;
        let truthId: string | null = null;
        if (key.startsWith('pred:')) {
          const prediction = this.predictions.find((p) => `pred:${p.id}` === key);
          if (!prediction?.outputs.label) throw new Error(`prediction ${key.slice(5)} has no label output`);
          const entry = project.cases.find((c) => c.id.toLowerCase() === prediction.caseId.toLowerCase());
          // Opened once per store path: choosing the prediction again reuses the engine's volume.
          const path = prediction.outputs.label;
          const meta =
            Object.values(this.metas).find((m) => m.source.kind === 'file' && m.source.path === path) ??
            (await track(getEngine().request('volume.open', { path, role: 'label', announce: false, ...(entry?.imageIds[0] ? { imageId: entry.imageIds[0] } : {}) })));
          this.metas[meta.id] = meta;
          labelId = meta.id;
          truthId = entry?.labelId ?? null;
        } else if (key.startsWith('case:')) {
          const entry = project.cases.find((c) => `case:${c.id}` === key);
          if (!entry?.labelId) throw new Error(`case ${key.slice(5)} has no label map`);
          labelId = entry.labelId;
        } else {
          labelId = key.slice(5);
        }
        const meta = await track(this.meta(labelId));
        if (truthId) await track(this.meta(truthId));
        if (this.source !== key) return;
        this.slab.center = Math.floor(meta.shape[this.slab.axis] / 2);
        this.labelId = labelId;
        this.truthId = truthId;
        if (!truthId && this.colorMode === 'error') this.colorMode = 'pair';
      } catch (error) {
        if (this.source === key) this.error = errorText(error);
      }
    },
    /** Opens a label file (any format the engine reads) and shows it. */
    async openLabelFile(path: string): Promise<void> {
      this.error = null;
      try {
        const meta = await track(getEngine().request('volume.open', { path, role: 'label', announce: false }));
        this.metas[meta.id] = meta;
        if (!this.files.some((f) => f.id === meta.id)) this.files.push({ id: meta.id, name: meta.name });
        await this.choose(`file:${meta.id}`);
      } catch (error) {
        this.error = errorText(error);
      }
    },
    setPairVisible(key: string, visible: boolean): void {
      const rest = this.hidden.filter((k) => k !== key);
      this.hidden = visible ? rest : [...rest, key];
    },
    setSlabAxis(axis: 0 | 1 | 2): void {
      this.slab.axis = axis;
      const shape = this.labelMeta?.shape;
      if (shape) this.slab.center = Math.floor(shape[axis] / 2);
    },
  },
});
