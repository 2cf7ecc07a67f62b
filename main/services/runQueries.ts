/**
 * Read-only queries of a project's training runs, predictions and evaluations (catalogue schema v2), shaped as the
 * contract's types. Non-finite metric values travel as the strings 'NaN', 'Infinity', '-Infinity'.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { EvaluationInfo, EvaluationResult, MetricSeries, MetricValue, PredictionInfo, RunSummary } from '../../ipc/contract.ts';
import { PREDICTION_OUTPUTS } from '../../ipc/contract.ts';
import { queryAll, readCatalogue } from '../dataset/catalogue.ts';
import { ALL_CLASSES } from '../evaluation/run.ts';
import { DEFAULT_BOOTSTRAP_SEED, summarizeByClassMetric } from '../evaluation/summary.ts';
import { getRunMetrics, listRuns, type RunRecord } from '../training/runs/records.ts';
import { NotFoundError } from './errors.ts';

function summaryOf(r: RunRecord): RunSummary {
  const { config: _config, ...rest } = r;
  return rest;
}

export async function runList(dir: string): Promise<RunSummary[]> {
  return (await listRuns(dir)).map(summaryOf);
}

async function findRun(dir: string, runId: string): Promise<RunRecord> {
  const run = (await listRuns(dir)).find((r) => r.id.toLowerCase() === runId.toLowerCase());
  if (!run) throw new NotFoundError('runId', `no run '${runId}' in project ${path.resolve(dir)}`);
  return run;
}

/** A run with its config and its metric history grouped into one series per metric, in step order. */
export async function runDetail(dir: string, runId: string): Promise<{ run: RunSummary; config: Record<string, unknown>; metrics: MetricSeries[] }> {
  const run = await findRun(dir, runId);
  const series = new Map<string, MetricSeries>();
  for (const m of await getRunMetrics(dir, run.id)) {
    let s = series.get(m.name);
    if (!s) series.set(m.name, (s = { name: m.name, points: [] }));
    s.points.push({ epoch: m.epoch, step: m.step, value: m.value !== null && Number.isFinite(m.value) ? m.value : null });
  }
  const config = run.config !== null && typeof run.config === 'object' && !Array.isArray(run.config) ? (run.config as Record<string, unknown>) : {};
  return { run: summaryOf(run), config, metrics: [...series.values()].sort((a, b) => a.name.localeCompare(b.name)) };
}

/** Store file names of the prediction outputs (main/inference/outOfCore.ts OUTPUT_NAMES). */
const OUTPUT_FILES: Record<(typeof PREDICTION_OUTPUTS)[number], string> = {
  label: 'label.ome.zarr',
  probabilities: 'probabilities.ome.zarr',
  entropy: 'entropy.ome.zarr',
  mutual_information: 'mutual_information.ome.zarr',
  variance: 'variance.ome.zarr',
};

/** Predictions of a project (of one run when runId is given), in the order they were made. */
export async function predictionList(dir: string, runId?: string): Promise<PredictionInfo[]> {
  const abs = path.resolve(dir);
  const rows = await readCatalogue(abs, (db) =>
    runId === undefined
      ? queryAll(db, 'SELECT * FROM predictions ORDER BY created, id')
      : queryAll(db, "SELECT * FROM predictions WHERE run_id = ? OR id LIKE ? ESCAPE '\\' ORDER BY created, id", [runId, `${runId.replace(/[%_\\]/g, '\\$&')}/%`]),
  );
  const out = rows.map((r): PredictionInfo => {
    const id = String(r.id);
    const folder = path.join(abs, ...String(r.folder).split('/'));
    const outputs: PredictionInfo['outputs'] = {};
    for (const key of PREDICTION_OUTPUTS) {
      const store = path.join(folder, OUTPUT_FILES[key]);
      if (existsSync(store)) outputs[key] = store;
    }
    let options: unknown = null;
    try {
      options = JSON.parse(String(r.options));
    } catch {
      options = null;
    }
    const score = r.uncertainty_score === null ? null : Number(r.uncertainty_score);
    return {
      id,
      // Predictions by a model that is not a run of the project keep their run id only in their own id.
      runId: r.run_id !== null ? String(r.run_id) : id.includes('/') ? id.slice(0, id.lastIndexOf('/')) : null,
      caseId: String(r.case_id),
      modelPath: String(r.model_path),
      folder,
      outputs,
      options,
      uncertaintyScore: score !== null && Number.isFinite(score) ? score : null,
      created: String(r.created),
    };
  });
  return out;
}

/** 'eval-<runId>-<timestamp>' (main/evaluation/run.ts) -> runId, for evaluations of runs not in the runs table. */
function runIdOfEvaluation(id: string): string | null {
  return /^eval-(.+)-\d{8}T\d{6,9}Z$/.exec(id)?.[1] ?? null;
}

export async function evaluationList(dir: string, runId?: string): Promise<EvaluationInfo[]> {
  const rows = await readCatalogue(dir, (db) =>
    queryAll(db, 'SELECT id, MAX(run_id) AS run_id, MIN(created) AS created, COUNT(DISTINCT case_id) AS cases FROM evaluations GROUP BY id ORDER BY MIN(created), id'),
  );
  return rows
    .map((r) => ({
      id: String(r.id),
      runId: r.run_id !== null ? String(r.run_id) : (runIdOfEvaluation(String(r.id)) ?? ''),
      created: String(r.created),
      cases: Number(r.cases),
    }))
    .filter((e) => runId === undefined || e.runId.toLowerCase() === runId.toLowerCase());
}

export function metricValue(v: number): MetricValue {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return v;
}

/** An evaluation's rows with the cohort summary per (class, metric), computed as `segstation evaluate` does. */
export async function evaluationResult(dir: string, runId: string, evaluationId?: string): Promise<EvaluationResult> {
  const list = await evaluationList(dir, runId);
  const chosen = evaluationId === undefined ? list.at(-1) : list.find((e) => e.id === evaluationId);
  if (!chosen) {
    throw new NotFoundError(evaluationId === undefined ? 'runId' : 'evaluationId', evaluationId === undefined ? `run '${runId}' has no evaluation` : `no evaluation '${evaluationId}' of run '${runId}'`);
  }
  const { rows, names } = await readCatalogue(dir, (db) => ({
    rows: queryAll(db, 'SELECT case_id, class, metric, value FROM evaluations WHERE id = ? ORDER BY case_id, class, metric', [chosen.id]),
    names: new Map(queryAll(db, 'SELECT value, name FROM classes').map((r) => [Number(r.value), String(r.name)])),
  }));
  const className = (value: number) => (value === ALL_CLASSES ? 'all' : (names.get(value) ?? `class ${value}`));
  // A NULL value is a NaN metric (main/evaluation/run.ts stores NaN as NULL).
  const parsed = rows.map((r) => ({ caseId: String(r.case_id), cls: Number(r.class), metric: String(r.metric), value: r.value === null ? NaN : Number(r.value) }));
  const summary = summarizeByClassMetric(parsed, { seed: DEFAULT_BOOTSTRAP_SEED }).map((s) => ({
    class: s.cls,
    className: className(s.cls),
    metric: s.metric,
    n: s.n,
    nan: s.nan,
    infinite: s.infinite,
    mean: metricValue(s.mean),
    median: metricValue(s.median),
    std: metricValue(s.std),
    ciLow: metricValue(s.ciLow),
    ciHigh: metricValue(s.ciHigh),
  }));
  const classValues = [...new Set(parsed.map((r) => r.cls))].sort((a, b) => a - b);
  return {
    ...chosen,
    classes: classValues.map((value) => ({ value, name: className(value) })),
    rows: parsed.map((r) => ({ caseId: r.caseId, class: r.cls, metric: r.metric, value: metricValue(r.value) })),
    summary,
  };
}
