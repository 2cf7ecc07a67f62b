/**
 * Evaluation of a run over a project. Predictions live at runs/<runId>/predictions/<caseId>/label.ome.zarr (written by
 * inference; probabilities.ome.zarr beside it, when present, adds calibration); each is compared with the case's
 * imported label. Results:
 *   - the catalogue's `evaluations` table: one row per (evaluation id, case, class, metric); NaN is stored as NULL,
 *     case-level calibration under class -1 ('all classes'); run_id is set when the run is in the `runs` table;
 *   - runs/<runId>/evaluation/cases.csv (one row per case and class; or the path given) and summary.json + summary.csv
 *     (per class and metric: mean, median, std, 95% bootstrap CI, summary.ts).
 * Everything is computed before anything is written; files are written atomically, the catalogue in one transaction.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { mutateCatalogue, nowIso, queryAll, queryOne, readCatalogue } from '../dataset/catalogue.ts';
import { readVolume } from '../io/registry.ts';
import { CLASS_METRIC_NAMES } from '../metrics/allMetrics.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { InputError } from '../util/errors.ts';
import { toCsv } from './csv.ts';
import { evaluate, type Evaluation, type EvaluateOptions } from './evaluate.ts';
import { summarize, DEFAULT_BOOTSTRAP_SEED, type MetricSummary } from './summary.ts';

export const PREDICTION_LABEL = 'label.ome.zarr';
export const PREDICTION_PROBABILITIES = 'probabilities.ome.zarr';
/** Class value of rows that describe the whole case (top-label ECE, multi-class Brier). */
export const ALL_CLASSES = -1;

export interface RunEvaluationOptions extends Pick<EvaluateOptions, 'surfaceTolerance' | 'boundaryDistance' | 'sliceAxis' | 'calibrationBins'> {
  /** Where to write the per-case CSV (default runs/<runId>/evaluation/cases.csv). */
  csv?: string;
  /** Bootstrap seed of the cohort summary. */
  seed?: number;
  onProgress?: (done: number, total: number, caseId: string) => void;
}

export interface CaseResult {
  caseId: string;
  evaluation: Evaluation;
}

export interface SummaryRow extends MetricSummary {
  class: number;
  className: string;
  metric: string;
}

export interface RunEvaluation {
  id: string;
  runId: string;
  created: string;
  seed: number;
  cases: CaseResult[];
  /** Prediction folders not evaluated, with why (e.g. the case has no ground-truth label). */
  skipped: { caseId: string; reason: string }[];
  classNames: Record<number, string>;
  summary: SummaryRow[];
  files: { cases: string; summaryJson: string; summaryCsv: string };
}

interface CaseTruth {
  caseId: string;
  storePath: string | null;
}

export function predictionsFolder(projectDir: string, runId: string): string {
  return path.join(path.resolve(projectDir), 'runs', runId, 'predictions');
}

export function metricsOf(e: Evaluation): { cls: number; metric: string; value: number }[] {
  const out: { cls: number; metric: string; value: number }[] = [];
  for (const c of e.classes) {
    for (const name of CLASS_METRIC_NAMES) out.push({ cls: c.value, metric: name, value: c.metrics[name] });
    if (c.ece !== undefined) out.push({ cls: c.value, metric: 'ece', value: c.ece });
    if (c.brier !== undefined) out.push({ cls: c.value, metric: 'brier', value: c.brier });
  }
  if (e.calibration) {
    out.push({ cls: ALL_CLASSES, metric: 'ece', value: e.calibration.ece });
    out.push({ cls: ALL_CLASSES, metric: 'brier', value: e.calibration.brier });
  }
  return out;
}

export async function evaluateRun(projectDir: string, runId: string, options: RunEvaluationOptions = {}): Promise<RunEvaluation> {
  const dir = path.resolve(projectDir);
  if (!/^[A-Za-z0-9._-]+$/.test(runId)) throw new InputError('--run', `'${runId}' is not a run id (letters, digits, '.', '_', '-')`);
  const { truths, classNames } = await readCatalogue(dir, (db) => {
    const rows = queryAll(db, "SELECT c.id AS case_id, v.store_path FROM cases c LEFT JOIN volumes v ON v.case_id = c.id AND v.role = 'label'");
    const names: Record<number, string> = {};
    for (const r of queryAll(db, 'SELECT value, name FROM classes')) names[Number(r.value)] = String(r.name);
    const truths = new Map<string, CaseTruth>();
    for (const r of rows) truths.set(String(r.case_id).toLowerCase(), { caseId: String(r.case_id), storePath: r.store_path === null ? null : String(r.store_path) });
    return { truths, classNames: names };
  });
  const folder = predictionsFolder(dir, runId);
  let entries: string[];
  try {
    entries = (await fs.readdir(folder, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch {
    throw new InputError(folder, `no predictions for run '${runId}' (expected runs/${runId}/predictions/<case>/${PREDICTION_LABEL})`);
  }
  const cases: CaseResult[] = [];
  const skipped: { caseId: string; reason: string }[] = [];
  for (const [i, entry] of entries.entries()) {
    const truth = truths.get(entry.toLowerCase());
    const labelStore = path.join(folder, entry, PREDICTION_LABEL);
    if (!truth) throw new InputError(path.join(folder, entry), `no case '${entry}' in the project`);
    if (!existsSync(labelStore)) throw new InputError(path.join(folder, entry), `has no ${PREDICTION_LABEL}`);
    if (!truth.storePath) {
      skipped.push({ caseId: truth.caseId, reason: 'no ground-truth label' });
      continue;
    }
    const probStore = path.join(folder, entry, PREDICTION_PROBABILITIES);
    const truthFile = path.join(dir, truth.storePath);
    const evaluation = evaluate(await readVolume(labelStore), await readVolume(truthFile), {
      ...options,
      ...(existsSync(probStore) ? { probabilities: await readVolume(probStore) } : {}),
      names: { pred: labelStore, truth: truthFile, probabilities: probStore },
    });
    cases.push({ caseId: truth.caseId, evaluation });
    options.onProgress?.(i + 1, entries.length, truth.caseId);
  }
  if (cases.length === 0) throw new InputError(folder, 'no prediction of a labelled case to evaluate');

  const created = nowIso();
  const id = `eval-${runId}-${created.replace(/[-:.]/g, '')}`;
  const seed = options.seed ?? DEFAULT_BOOTSTRAP_SEED;
  const summary = cohortSummary(cases, classNames, seed);
  const evalDir = path.join(dir, 'runs', runId, 'evaluation');
  const files = {
    cases: path.resolve(options.csv ?? path.join(evalDir, 'cases.csv')),
    summaryJson: path.join(evalDir, 'summary.json'),
    summaryCsv: path.join(evalDir, 'summary.csv'),
  };
  const result: RunEvaluation = { id, runId, created, seed, cases, skipped, classNames, summary, files };

  await mutateCatalogue(dir, 'evaluate run', (db) => {
    const knownRun = queryOne(db, 'SELECT id FROM runs WHERE id = ?', [runId]) !== undefined;
    const insert = db.prepare('INSERT INTO evaluations (id, run_id, case_id, class, metric, value, created) VALUES (?, ?, ?, ?, ?, ?, ?)');
    try {
      for (const c of cases) {
        for (const m of metricsOf(c.evaluation)) {
          insert.run([id, knownRun ? runId : null, c.caseId, m.cls, m.metric, Number.isNaN(m.value) ? null : m.value, created]);
        }
      }
    } finally {
      insert.free();
    }
  });
  await writeFileAtomic(files.cases, casesCsv(cases, classNames));
  await writeFileAtomic(files.summaryCsv, summaryCsv(summary));
  await writeFileAtomic(files.summaryJson, `${JSON.stringify(jsonSafe({ id, runId, created, seed, skipped, summary }), null, 2)}\n`);
  return result;
}

function className(names: Record<number, string>, value: number): string {
  return value === ALL_CLASSES ? 'all' : (names[value] ?? `class ${value}`);
}

export function cohortSummary(cases: readonly CaseResult[], classNames: Record<number, string>, seed: number): SummaryRow[] {
  const groups = new Map<string, { cls: number; metric: string; values: number[] }>();
  for (const c of cases) {
    for (const m of metricsOf(c.evaluation)) {
      const key = `${m.cls}\u0000${m.metric}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { cls: m.cls, metric: m.metric, values: [] }));
      g.values.push(m.value);
    }
  }
  return [...groups.values()]
    .sort((a, b) => a.cls - b.cls)
    .map((g) => ({ class: g.cls, className: className(classNames, g.cls), metric: g.metric, ...summarize(g.values, { seed }) }));
}

export function casesCsv(cases: readonly CaseResult[], classNames: Record<number, string>): string {
  const extra = cases.some((c) => c.evaluation.calibration) ? ['ece', 'brier'] : [];
  const header = ['case', 'class', 'class_name', 'pred_voxels', 'truth_voxels', ...CLASS_METRIC_NAMES, ...extra];
  const rows = cases.flatMap((c) =>
    c.evaluation.classes.map((k) => [
      c.caseId, k.value, className(classNames, k.value), k.predVoxels, k.truthVoxels,
      ...CLASS_METRIC_NAMES.map((n) => k.metrics[n]),
      ...(extra.length ? [k.ece, k.brier] : []),
    ]),
  );
  return toCsv(header, rows);
}

export function summaryCsv(summary: readonly SummaryRow[]): string {
  return toCsv(
    ['class', 'class_name', 'metric', 'n', 'nan', 'infinite', 'mean', 'median', 'std', 'ci95_low', 'ci95_high'],
    summary.map((s) => [s.class, s.className, s.metric, s.n, s.nan, s.infinite, s.mean, s.median, s.std, s.ciLow, s.ciHigh]),
  );
}

/** JSON has no NaN or Infinity: they become the strings 'NaN', 'Infinity', '-Infinity'. */
export function jsonSafe(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)));
}
