/**
 * The results explorer: which run, its predictions ranked by uncertainty, the inference options and job, and the case
 * shown in the linked views (the engine ids of its image, ground truth, prediction and uncertainty volumes), the
 * shared crosshair and the display settings of the overlays and the 3D view. Voxels live in data/blockCache.ts.
 */
import { defineStore } from 'pinia';
import type { JobInfo, PredictionInfo, RunSummary, VolumeMeta } from '../../../ipc/contract.ts';
import { getEngine } from '../data/engine.ts';
import { dropVolume } from '../data/blockCache.ts';
import { track } from '../data/activity.ts';
import { rankByUncertainty, type RankedCase } from '../core/results/ranking.ts';
import { viewAxes, type Axis, type SliceViewName } from '../core/orientation.ts';
import type { ColormapName } from '../core/colormaps.ts';
import type { OpacityPoint } from '../core/transferFunctions.ts';
import { useJobsStore } from './jobs.ts';
import { useProjectStore } from './project.ts';
import { errorText } from './volumes.ts';

export const UNCERTAINTY_OUTPUTS = ['entropy', 'mutual_information', 'variance'] as const;
export type UncertaintyOutput = (typeof UNCERTAINTY_OUTPUTS)[number];
export type UncertaintyMode = 'tta' | 'mc' | 'none';
export type View3dMode = 'prediction' | 'errors' | 'uncertainty';

export interface InferenceOptions {
  scope: 'project' | 'case';
  caseId: string | null;
  uncertainty: UncertaintyMode;
  /** Flip test-time augmentation (implied by TTA uncertainty). */
  tta: boolean;
  overlap: number;
}

/** Engine ids of the case shown in the linked views. */
export interface ShownCase {
  caseId: string;
  imageId: string;
  truthId: string | null;
  predId: string | null;
  uncertaintyId: string | null;
}

export const useResultsStore = defineStore('results', {
  state: () => ({
    /** Project whose runs are listed. */
    loadedDir: null as string | null,
    runs: [] as RunSummary[],
    runId: null as string | null,
    predictions: [] as PredictionInfo[],
    options: { scope: 'project', caseId: null, uncertainty: 'tta', tta: true, overlap: 0.5 } as InferenceOptions,
    jobId: null as string | null,
    error: null as string | null,
    opening: false,
    shown: null as ShownCase | null,
    metas: {} as Record<string, VolumeMeta>,
    uncertaintyOutput: 'entropy' as UncertaintyOutput,
    /** Plane of the linked slice views; the crosshair is in the shown image's index space. */
    plane: 'axial' as SliceViewName,
    crosshair: [0, 0, 0] as [number, number, number],
    overlay: { show: false, colormap: 'hot' as ColormapName, opacity: 0.7, threshold: 0.2 },
    /** Label overlay opacity in the truth and prediction views, error-map opacity in the error view. */
    labelOpacity: 0.45,
    mode3d: 'prediction' as View3dMode,
    /** Opacity curve of the uncertainty volume rendering over its value range (x, y in 0..1). */
    uncertaintyOpacity: [
      { x: 0, y: 0 },
      { x: 0.15, y: 0 },
      { x: 1, y: 0.8 },
    ] as OpacityPoint[],
  }),
  getters: {
    ranked: (s): RankedCase<PredictionInfo>[] => (s.runId ? rankByUncertainty(s.predictions, s.runId) : []),
    /** The inference job started here, else the latest 'predict' job the engine knows of (e.g. after a reload). */
    job(): JobInfo | null {
      const jobs = useJobsStore();
      if (this.jobId) return jobs.byId[this.jobId] ?? null;
      return jobs.jobs.filter((j) => j.kind === 'predict').at(-1) ?? null;
    },
    image: (s): VolumeMeta | null => (s.shown ? (s.metas[s.shown.imageId] ?? null) : null),
    /** Index axis the linked views slice (the image's axis nearest the plane's normal). */
    axis(): Axis {
      return this.image ? viewAxes(this.image.direction)[this.plane] : 2;
    },
    truth: (s): VolumeMeta | null => (s.shown?.truthId ? (s.metas[s.shown.truthId] ?? null) : null),
    pred: (s): VolumeMeta | null => (s.shown?.predId ? (s.metas[s.shown.predId] ?? null) : null),
    uncertainty: (s): VolumeMeta | null => (s.shown?.uncertaintyId ? (s.metas[s.shown.uncertaintyId] ?? null) : null),
  },
  actions: {
    /** Lists the project's runs (keeping the chosen one when it still exists) and that run's predictions. */
    async load(): Promise<void> {
      const dir = useProjectStore().project?.dir;
      if (!dir) return;
      this.error = null;
      if (this.loadedDir !== dir) {
        await this.closeShown();
        this.predictions = [];
        this.jobId = null;
        this.loadedDir = dir;
      }
      try {
        const { runs } = await track(getEngine().request('run.list', { projectDir: dir }));
        this.runs = runs;
        if (!runs.some((r) => r.id === this.runId)) this.runId = (runs.find((r) => r.status === 'completed') ?? runs[0])?.id ?? null;
        await this.loadPredictions();
      } catch (error) {
        this.error = errorText(error);
      }
    },
    async loadPredictions(): Promise<void> {
      const dir = useProjectStore().project?.dir;
      if (!dir || !this.runId) {
        this.predictions = [];
        return;
      }
      try {
        this.predictions = (await track(getEngine().request('prediction.list', { projectDir: dir, runId: this.runId }))).predictions;
      } catch (error) {
        this.error = errorText(error);
      }
    },
    async selectRun(runId: string): Promise<void> {
      this.runId = runId;
      await this.loadPredictions();
    },
    /** Starts a 'predict' job of the chosen run on the project or one case; the engine exports the run's model if needed. */
    async startInference(): Promise<void> {
      const dir = useProjectStore().project?.dir;
      this.error = null;
      if (!dir) {
        this.error = 'no project is open: open one in the Project workspace';
        return;
      }
      if (!this.runId) {
        this.error = 'run: choose a trained run first';
        return;
      }
      const o = this.options;
      if (o.scope === 'case' && !o.caseId) {
        this.error = 'case: choose the case to predict';
        return;
      }
      try {
        const job = await useJobsStore().start('predict', {
          project: dir,
          runId: this.runId,
          ...(o.scope === 'case' && o.caseId ? { cases: [o.caseId] } : {}),
          tta: o.tta || o.uncertainty === 'tta',
          uncertainty: o.uncertainty,
          overlap: o.overlap,
        });
        this.jobId = job.jobId;
      } catch (error) {
        this.error = errorText(error);
      }
    },
    async cancelInference(): Promise<void> {
      if (this.jobId) await useJobsStore().cancel(this.jobId);
    },
    /** Opens a case's prediction next to its image and ground truth in the linked views. */
    async openCase(caseId: string): Promise<void> {
      const project = useProjectStore();
      const entry = project.cases.find((c) => c.id === caseId);
      const prediction = this.ranked.find((r) => r.caseId === caseId)?.prediction;
      this.error = null;
      if (!entry || !entry.imageIds[0]) {
        this.error = `case ${caseId}: not in the open project, or without an image`;
        return;
      }
      this.opening = true;
      try {
        await track(this.closeShown());
        const engine = getEngine();
        const image = await engine.request('volume.meta', { volumeId: entry.imageIds[0] });
        const truth = entry.labelId ? await engine.request('volume.meta', { volumeId: entry.labelId }) : null;
        const pred = prediction?.outputs.label ? await engine.request('volume.open', { path: prediction.outputs.label, role: 'label', imageId: image.id, announce: false }) : null;
        const uncertaintyPath = prediction?.outputs[this.uncertaintyOutput] ?? UNCERTAINTY_OUTPUTS.map((k) => prediction?.outputs[k]).find((p) => p !== undefined);
        const uncertainty = uncertaintyPath ? await engine.request('volume.open', { path: uncertaintyPath, role: 'image', announce: false }) : null;
        for (const m of [image, truth, pred, uncertainty]) if (m) this.metas[m.id] = m;
        this.crosshair = image.shape.map((n) => Math.floor(n / 2)) as [number, number, number];
        this.shown = { caseId, imageId: image.id, truthId: truth?.id ?? null, predId: pred?.id ?? null, uncertaintyId: uncertainty?.id ?? null };
        if (!prediction) this.error = `case ${caseId}: no prediction of run ${this.runId ?? '–'} yet (run inference first)`;
      } catch (error) {
        this.error = errorText(error);
      } finally {
        this.opening = false;
      }
    },
    /** Closes the prediction volumes this workspace opened (the case's own image and labels stay open). */
    async closeShown(): Promise<void> {
      const shown = this.shown;
      this.shown = null;
      if (!shown) return;
      for (const id of [shown.predId, shown.uncertaintyId]) {
        if (!id) continue;
        delete this.metas[id];
        dropVolume(id);
        await getEngine()
          .request('volume.close', { volumeId: id })
          .catch(() => undefined);
      }
    },
    setCrosshair(ijk: readonly number[]): void {
      const m = this.image;
      if (!m) return;
      this.crosshair = [0, 1, 2].map((a) => Math.min(m.shape[a] - 1, Math.max(0, Math.round(ijk[a])))) as [number, number, number];
    },
    moveSlice(delta: number): void {
      const c: [number, number, number] = [...this.crosshair];
      c[this.axis] += delta;
      this.setCrosshair(c);
    },
  },
});
