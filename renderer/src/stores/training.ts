/**
 * The training dashboard's state: the config form (schema, values, the engine's issues checked as the user edits),
 * the project's runs, and each run's live curves, status and sample pictures keyed by runId. Curves come from
 * 'training.progress' events and are refilled from `run.get` (the stored metric history) when the dashboard opens, a
 * run is picked, or the connection comes back (the web client then replays a job.state per live job).
 */
import { defineStore } from 'pinia';
import { markRaw, type Raw } from 'vue';
import type { ConfigIssue, EngineEvent, PayloadOf, RunSummary } from '../../../ipc/contract.ts';
import { EngineRequestError } from '../../../ipc/api.ts';
import { getEngine } from '../data/engine.ts';
import { schemaToField, type FormField, type JsonSchema, type JsonValue } from '../core/training/schemaForm.ts';
import { applyHistory, applyProgress, type RunCurves } from '../core/training/series.ts';
import { useJobsStore } from './jobs.ts';
import { useProjectStore } from './project.ts';

type Progress = PayloadOf<'training.progress'>;
type StepEvent = Extract<Progress, { type: 'step' }>;
type Config = { [key: string]: JsonValue };

export interface Preset {
  name: string;
  description: string;
  config: Config;
}

/** What the dashboard shows of one run besides its curves. */
export interface RunLive {
  jobId: string | null;
  /** From the latest step event. */
  last: StepEvent | null;
  epochs: number | null;
  lastValDice: Record<string, number | null> | null;
  samples: { files: string[]; cases: string[]; epoch: number; step: number } | null;
  ended: string | null;
  /** The run itself holds between two steps (its 'paused' event came; the job may say paused a step earlier). */
  held: boolean;
}

/** Milliseconds between the last edit and the engine's check of the config. */
export const VALIDATE_DEBOUNCE_MS = 250;
const TERMINAL_JOB = new Set(['completed', 'cancelled', 'failed']);

/** An engine error as one readable line that names the field. */
export function describeError(error: unknown): string {
  if (error instanceof EngineRequestError) return error.field && !error.message.includes(error.field) ? `${error.field}: ${error.message}` : error.message;
  return error instanceof Error ? error.message : String(error);
}

function emptyLive(): RunLive {
  return { jobId: null, last: null, epochs: null, lastValDice: null, samples: null, ended: null, held: false };
}

/** Longest wait between new points and the charts showing them. */
export const CHART_REFRESH_MS = 250;
const pendingRedraw = new Set<string>();
let validateTimer: ReturnType<typeof setTimeout> | null = null;
let validateSeq = 0;

export const useTrainingStore = defineStore('training', {
  state: () => ({
    /** The form's field tree (made once from the engine's JSON Schema; not reactive inside). */
    form: null as Raw<FormField> | null,
    defaults: {} as Config,
    presets: [] as Preset[],
    presetName: '' as string,
    config: {} as Config,
    issues: [] as ConfigIssue[],
    /** True from an edit until the engine's answer to it. */
    validating: false,
    fold: 0,
    stepEventsPerSecond: 10,
    runs: [] as RunSummary[],
    /**
     * Curves per run, keyed by metric name (series.ts). Kept raw (not deeply reactive: thousands of points behind
     * proxies cost the page more than drawing them); `curvesVersion` says when a run's curves changed.
     */
    curves: {} as Record<string, Raw<RunCurves>>,
    curvesVersion: {} as Record<string, number>,
    live: {} as Record<string, RunLive>,
    currentRunId: null as string | null,
    /** Runs ticked for comparison. */
    compare: [] as string[],
    configs: {} as Record<string, Record<string, unknown>>,
    error: null as string | null,
    loading: false,
    listening: false,
  }),
  getters: {
    canStart(state): boolean {
      return state.form !== null && !state.validating && state.issues.length === 0 && useProjectStore().project !== null && !this.activeJobId;
    },
    activeJobId(state): string | null {
      const id = state.currentRunId;
      if (!id) return null;
      const jobs = useJobsStore();
      const job = jobs.jobs.find((j) => j.kind === 'train' && j.runId === id && !TERMINAL_JOB.has(j.status));
      if (job) return job.jobId;
      // The job of the run's latest event (JobInfo.runId may not be filled in yet); one the jobs store has not listed
      // yet counts until its run says it ended.
      const live = state.live[id];
      if (!live?.jobId) return null;
      const known = jobs.byId[live.jobId];
      if (known ? !TERMINAL_JOB.has(known.status) : live.ended === null) return live.jobId;
      return null;
    },
  },
  actions: {
    /** Subscribes to the engine's training events once; returns the unsubscribe function. */
    listen(): () => void {
      if (this.listening) return () => undefined;
      this.listening = true;
      const off = getEngine().onEvent((e) => this.apply(e));
      return () => {
        off();
        this.listening = false;
      };
    },
    apply(e: EngineEvent): void {
      if (e.event === 'training.progress') this.applyProgress(e.payload);
      else if (e.event === 'job.state' && e.payload.kind === 'train' && e.payload.runId) {
        // A replayed job.state after a reconnect: refill what the dropped socket missed.
        const runId = e.payload.runId;
        this.liveOf(runId).jobId = e.payload.jobId;
        void this.loadHistory(runId);
      } else if (e.event === 'job.finished' && e.payload.kind === 'train') {
        if (e.payload.status === 'failed') this.error = `training job ${e.payload.jobId} failed: ${e.payload.error ?? 'no reason given'}`;
        void this.refreshRuns();
      }
    },
    curvesOf(runId: string): RunCurves {
      return (this.curves[runId] ??= markRaw({}));
    },
    /** Charts redraw at most every CHART_REFRESH_MS however fast events come (each redraw repaints every chart). */
    curvesChanged(runId: string): void {
      if (pendingRedraw.has(runId)) return;
      pendingRedraw.add(runId);
      setTimeout(() => {
        pendingRedraw.delete(runId);
        this.curvesVersion[runId] = (this.curvesVersion[runId] ?? 0) + 1;
      }, CHART_REFRESH_MS);
    },
    liveOf(runId: string): RunLive {
      return (this.live[runId] ??= emptyLive());
    },
    applyProgress(p: Progress): void {
      const live = this.liveOf(p.runId);
      live.jobId = p.jobId;
      applyProgress(this.curvesOf(p.runId), p);
      this.curvesChanged(p.runId);
      if (p.type === 'start') {
        live.epochs = p.epochs;
        live.ended = null;
        void this.refreshRuns();
      } else if (p.type === 'step') live.last = p;
      else if (p.type === 'epoch') {
        if (p.valDice) live.lastValDice = p.valDice;
        void this.refreshRuns();
      } else if (p.type === 'samples') live.samples = { files: p.files, cases: p.cases, epoch: p.epoch, step: p.step };
      else if (p.type === 'end') {
        live.ended = p.status;
        live.held = false;
        void this.refreshRuns();
      } else if (p.type === 'paused' || p.type === 'resumed') {
        live.held = p.type === 'paused';
        void this.refreshRuns();
      }
    },

    /** Schema, defaults and presets from the engine; the form starts from the defaults. */
    async init(): Promise<void> {
      if (this.form) return;
      this.loading = true;
      try {
        const engine = getEngine();
        const [{ jsonSchema, defaults }, { presets }] = await Promise.all([engine.request('training.configSchema', {}), engine.request('training.presets', {})]);
        this.form = markRaw(schemaToField(jsonSchema as JsonSchema));
        this.defaults = defaults as Config;
        this.presets = presets.map((p) => ({ name: p.name, description: p.description, config: p.config as Config }));
        if (Object.keys(this.config).length === 0) this.setConfig({ ...(defaults as Config), patchSize: [64, 64] });
      } catch (error) {
        this.error = describeError(error);
      } finally {
        this.loading = false;
      }
    },
    loadPreset(name: string): void {
      const preset = this.presets.find((p) => p.name === name);
      if (!preset) {
        this.error = `preset: no preset named '${name}'`;
        return;
      }
      this.presetName = name;
      this.setConfig(JSON.parse(JSON.stringify(preset.config)) as Config);
    },
    /** Replaces the form's values and checks them with the engine after a short pause in typing. */
    setConfig(config: Config): void {
      this.config = config;
      this.validating = true;
      if (validateTimer) clearTimeout(validateTimer);
      validateTimer = setTimeout(() => void this.validateNow(), VALIDATE_DEBOUNCE_MS);
    },
    async validateNow(): Promise<void> {
      const seq = ++validateSeq;
      const config = this.config;
      try {
        const result = await getEngine().request('training.validateConfig', { config });
        if (seq !== validateSeq) return;
        this.issues = result.issues;
      } catch (error) {
        if (seq !== validateSeq) return;
        this.issues = [{ field: '(top level)', problem: describeError(error) }];
      } finally {
        if (seq === validateSeq) this.validating = false;
      }
    },

    async refreshRuns(): Promise<void> {
      const dir = useProjectStore().project?.dir;
      if (!dir) return;
      try {
        this.runs = (await getEngine().request('run.list', { projectDir: dir })).runs;
      } catch (error) {
        this.error = describeError(error);
      }
    },
    /** Refills a run's curves (and keeps its config) from the catalogue. */
    async loadHistory(runId: string): Promise<void> {
      const dir = useProjectStore().project?.dir;
      if (!dir) return;
      try {
        const detail = await getEngine().request('run.get', { projectDir: dir, runId });
        applyHistory(this.curvesOf(runId), detail.metrics);
        this.curvesChanged(runId);
        this.configs[runId] = detail.config;
      } catch (error) {
        this.error = describeError(error);
      }
    },
    async selectRun(runId: string): Promise<void> {
      this.currentRunId = runId;
      await this.loadHistory(runId);
    },
    toggleCompare(runId: string): void {
      if (this.compare.includes(runId)) this.compare = this.compare.filter((id) => id !== runId);
      else {
        this.compare = [...this.compare, runId];
        if (!this.configs[runId] || !this.curves[runId]) void this.loadHistory(runId);
      }
    },

    async start(): Promise<void> {
      this.error = null;
      const dir = useProjectStore().project?.dir;
      if (!dir) {
        this.error = 'project: open a project first (Project tab)';
        return;
      }
      if (this.validating) await this.validateNow();
      if (this.issues.length > 0) {
        this.error = `config.${this.issues[0].field}: ${this.issues[0].problem}`;
        return;
      }
      await this.startJob({ projectDir: dir, config: this.config, fold: this.fold, stepEventsPerSecond: this.stepEventsPerSecond });
    },
    async resumeRun(runId: string): Promise<void> {
      this.error = null;
      const dir = useProjectStore().project?.dir;
      if (!dir) return;
      await this.startJob({ projectDir: dir, resume: runId, stepEventsPerSecond: this.stepEventsPerSecond }, runId);
    },
    async startJob(params: { projectDir: string; config?: Config; fold?: number; resume?: string; stepEventsPerSecond: number }, runId?: string): Promise<void> {
      try {
        const job = await useJobsStore().start('train', params);
        if (runId) {
          this.currentRunId = runId;
          this.liveOf(runId).jobId = job.jobId;
          await this.loadHistory(runId);
        } else {
          // The run id arrives with the job's first training event.
          const off = getEngine().onEvent((e) => {
            if (e.event === 'training.progress' && e.payload.jobId === job.jobId) {
              off();
              this.currentRunId = e.payload.runId;
            } else if (e.event === 'job.finished' && e.payload.jobId === job.jobId) off();
          });
        }
      } catch (error) {
        this.error = describeError(error);
      }
    },
    async control(action: 'pause' | 'resume' | 'cancel'): Promise<void> {
      const jobId = this.activeJobId;
      if (!jobId) return;
      const jobs = useJobsStore();
      await jobs[action](jobId);
      if (jobs.error) this.error = jobs.error;
    },
  },
});
