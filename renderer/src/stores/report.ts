/**
 * The metrics & report workspace: the open project's runs, the evaluation of the chosen run (evaluation.get), the
 * metric shown, the evaluation and report jobs it started, and the last report written.
 */
import { defineStore } from 'pinia';
import { EngineRequestError } from '../../../ipc/api.ts';
import { MAX_FIGURES_BASE64, MAX_SNAPSHOT_BASE64, type EvaluationResult, type RunSummary } from '../../../ipc/contract.ts';
import { fitFigures } from '../core/report/figures.ts';
import { reportFileName } from '../core/report/jobs.ts';
import { metricNames } from '../core/report/metrics.ts';
import { getEngine } from '../data/engine.ts';
import { encodeFigure } from '../views/report/encodeFigure.ts';
import { useJobsStore } from './jobs.ts';
import { useProjectStore } from './project.ts';
import { useReportFiguresStore } from './reportFigures.ts';

/** The engine's error as one line, with the field it names when the message does not say it already. */
export function reportErrorText(error: unknown): string {
  if (error instanceof EngineRequestError && error.field && !error.message.includes(error.field)) return `${error.field}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** Room left in the 1 MiB request for everything but the figures (paths, titles, JSON). */
const REQUEST_MARGIN = 8 * 1024;

export interface WrittenReport {
  file: string;
  format: 'html' | 'pdf';
  /** Web mode: the data-plane URL serving it (token included), else null. */
  url: string | null;
}

export const useReportStore = defineStore('report', {
  state: () => ({
    runs: [] as RunSummary[],
    runId: null as string | null,
    evaluation: null as EvaluationResult | null,
    metric: 'dice',
    loading: false,
    error: null as string | null,
    evaluateJobId: null as string | null,
    exportJobId: null as string | null,
    exportFormat: 'pdf' as 'html' | 'pdf',
    includeViewer: true,
    /** What went into the last export request: figures and their scale, or why there was no 3D view. */
    exportNote: null as string | null,
    written: null as WrittenReport | null,
    transport: null as 'web' | 'electron' | 'direct' | null,
  }),
  getters: {
    metrics: (s): string[] => (s.evaluation ? metricNames(s.evaluation.rows) : []),
  },
  actions: {
    async loadRuns(): Promise<void> {
      const project = useProjectStore().project;
      this.error = null;
      if (!project) {
        this.runs = [];
        return;
      }
      try {
        this.transport ??= (await getEngine().request('engine.info', {})).transport;
        this.runs = (await getEngine().request('run.list', { projectDir: project.dir })).runs;
        if (!this.runId || !this.runs.some((r) => r.id === this.runId)) this.runId = this.runs.at(-1)?.id ?? null;
        await this.loadEvaluation();
      } catch (error) {
        this.error = reportErrorText(error);
      }
    },
    async selectRun(runId: string | null): Promise<void> {
      this.runId = runId;
      this.evaluation = null;
      this.written = null;
      await this.loadEvaluation();
    },
    /** The run's latest evaluation, or none yet (not an error: the panel offers to run one). */
    async loadEvaluation(): Promise<void> {
      const project = useProjectStore().project;
      if (!project || !this.runId) {
        this.evaluation = null;
        return;
      }
      this.loading = true;
      try {
        const { evaluations } = await getEngine().request('evaluation.list', { projectDir: project.dir, runId: this.runId });
        this.evaluation = evaluations.length ? await getEngine().request('evaluation.get', { projectDir: project.dir, runId: this.runId }) : null;
        const names = this.metrics;
        if (names.length && !names.includes(this.metric)) this.metric = names[0];
      } catch (error) {
        this.error = reportErrorText(error);
      } finally {
        this.loading = false;
      }
    },
    async evaluate(): Promise<void> {
      const project = useProjectStore().project;
      if (!project || !this.runId) return;
      this.error = null;
      try {
        this.evaluateJobId = (await useJobsStore().start('evaluate', { projectDir: project.dir, runId: this.runId })).jobId;
      } catch (error) {
        this.error = reportErrorText(error);
      }
    },
    /** Starts the report job with the viewer's figures (downscaled to fit one request). */
    async exportReport(): Promise<void> {
      const project = useProjectStore().project;
      if (!project || !this.runId) return;
      this.error = null;
      this.written = null;
      const out = `${project.dir.replace(/[\\/]+$/, '')}/reports/${reportFileName(this.runId, this.exportFormat, new Date())}`;
      try {
        const captured = this.includeViewer ? useReportFiguresStore().current() : [];
        const fitted = captured.length ? await fitFigures(captured, encodeFigure, { total: MAX_FIGURES_BASE64 - REQUEST_MARGIN, each: MAX_SNAPSHOT_BASE64 }) : [];
        const snapshot = fitted.find((f, i) => captured[i].view === '3d');
        const slices = fitted.filter((f, i) => captured[i].view !== '3d');
        const has3d = captured.some((f) => f.view === '3d');
        const notes: string[] = [];
        if (!this.includeViewer) notes.push('viewer figures left out: the report uses its computed figures only');
        else if (!has3d) notes.push(useReportFiguresStore().viewerSeen ? 'the 3D view showed nothing to capture: exported without it' : 'the viewer tab was never opened (no 3D view): exported without a 3D capture');
        if (fitted.length) notes.push(`${fitted.length} viewer figure(s) at ${Math.round(fitted[0].scale * 100)}%`);
        this.exportNote = notes.join('; ') || null;
        const job = await getEngine().request('report.export', {
          projectDir: project.dir,
          runId: this.runId,
          out,
          ...(snapshot ? { snapshotPng: snapshot.png } : {}),
          ...(slices.length ? { slicePngs: slices.map((s) => ({ title: s.title, png: s.png })) } : {}),
        });
        useJobsStore().upsert(job);
        this.exportJobId = job.jobId;
      } catch (error) {
        this.error = reportErrorText(error);
      }
    },
    /** Called when the export job completed with its result ({file, format}). */
    noteWritten(result: unknown): void {
      const r = result as { file?: unknown; format?: unknown } | undefined;
      if (typeof r?.file !== 'string' || (r.format !== 'html' && r.format !== 'pdf')) return;
      const name = r.file.split(/[\\/]/).pop() ?? '';
      const token = new URLSearchParams(window.location.search).get('token');
      const url = this.transport === 'web' && token !== null ? `/data/reports/${encodeURIComponent(name)}?token=${encodeURIComponent(token)}` : null;
      this.written = { file: r.file, format: r.format, url };
    },
  },
});
