/**
 * What a report shows, gathered from a project: the catalogue (project, cases, classes, split, the run's row and metric
 * history, its latest evaluation — evaluated now when there is none), the run folder (model card, model files) and the
 * volumes of one case for the figures. Anything a run did not record is left undefined and the report says
 * "not recorded".
 *
 * Hashes: dataset = SHA-256 over the lines "<volume id> <source sha256>\n" of every imported volume, sorted by id (so
 * it changes exactly when an imported source changes); model = SHA-256 of each model file's bytes.
 */
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { queryAll, queryOne, readCatalogue } from '../dataset/catalogue.ts';
import { defaultColor } from '../dataset/classes.ts';
import { sha256Source } from '../dataset/hashing.ts';
import { appVersion } from '../dataset/project.ts';
import { evaluateRun, PREDICTION_LABEL, predictionsFolder } from '../evaluation/run.ts';
import { summarizeByClassMetric, DEFAULT_BOOTSTRAP_SEED } from '../evaluation/summary.ts';
import { readVolume } from '../io/registry.ts';
import { InputError } from '../util/errors.ts';
import type { Volume } from '../volume/volume.ts';

export interface ClassInfo {
  value: number;
  name: string;
  color: [number, number, number];
  voxels: number;
}

export interface MetricRow {
  caseId: string;
  cls: number;
  metric: string;
  value: number;
}

export interface ReportData {
  generated: string;
  appVersion: string;
  project: { name: string; dir: string; created: string; createdWith: string };
  dataset: {
    cases: number;
    labelled: number;
    domains: { name: string; cases: number }[];
    classes: ClassInfo[];
    split?: { folds: number; seed: number; testFraction: number };
    hash: string;
  };
  run: {
    id: string;
    row?: { kind: string; fold: number | null; backend: string; seed: number; status: string; created: string; updated: string; configHash: string; datasetHash: string; message: string };
    config?: unknown;
  };
  modelCard?: { file: string; content: unknown };
  modelFiles: { file: string; sha256: string }[];
  curves: Map<string, { step: number; epoch: number; value: number }[]>;
  evaluation: { id: string; created: string; seed: number; rows: MetricRow[]; summary: ReturnType<typeof summaryOf> };
  figures?: FigureCase;
}

export interface FigureCase {
  caseId: string;
  truth: Volume;
  pred: Volume;
  image?: Volume;
  uncertainty?: { name: string; volume: Volume };
}

const MODEL_CARD_NAMES = ['model_card.json', 'model-card.json', 'modelcard.json', 'card.json'];
const MODEL_EXTENSIONS = ['.onnx', '.bin', '.safetensors', '.pt', '.pth', '.ckpt', '.h5'];
/** Scalar uncertainty maps inference writes beside a prediction, in order of preference. */
const UNCERTAINTY_STORES = ['entropy', 'mutual_information'];

function summaryOf(rows: readonly MetricRow[], seed: number) {
  return summarizeByClassMetric(rows, { seed });
}

async function findModelFiles(runDir: string): Promise<{ card?: string; files: string[] }> {
  const files: string[] = [];
  let card: string | undefined;
  const walk = async (dir: string, depth: number) => {
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (depth < 2 && e.name !== 'predictions' && e.name !== 'evaluation' && !e.name.endsWith('.zarr')) await walk(full, depth + 1);
      } else if (MODEL_CARD_NAMES.includes(e.name.toLowerCase())) {
        card ??= full;
      } else if (MODEL_EXTENSIONS.some((x) => e.name.toLowerCase().endsWith(x))) {
        files.push(full);
      }
    }
  };
  await walk(runDir, 0);
  return { ...(card ? { card } : {}), files };
}

export interface GatherOptions {
  /** Case shown in the figures (default: the first evaluated case). */
  caseId?: string;
  /** Evaluate now even when the catalogue holds an evaluation of the run. */
  reevaluate?: boolean;
}

export async function gatherReportData(projectDir: string, runId: string, options: GatherOptions = {}): Promise<ReportData> {
  const dir = path.resolve(projectDir);
  const latestEvaluation = async () =>
    readCatalogue(dir, (db) => {
      const row = queryOne(db, "SELECT id, created FROM evaluations WHERE run_id = ? OR id LIKE ? ORDER BY created DESC LIMIT 1", [runId, `eval-${runId}-%`]);
      if (!row) return undefined;
      const rows = queryAll(db, 'SELECT case_id, class, metric, value FROM evaluations WHERE id = ?', [row.id]).map((r) => ({
        caseId: String(r.case_id),
        cls: Number(r.class),
        metric: String(r.metric),
        value: r.value === null ? NaN : Number(r.value),
      }));
      return { id: String(row.id), created: String(row.created), rows };
    });
  let evaluation = options.reevaluate ? undefined : await latestEvaluation();
  if (!evaluation) {
    if (!existsSync(predictionsFolder(dir, runId))) {
      throw new InputError(predictionsFolder(dir, runId), `run '${runId}' has no predictions and no evaluation to report`);
    }
    await evaluateRun(dir, runId);
    evaluation = await latestEvaluation();
    if (!evaluation) throw new Error('the evaluation was not stored');
  }
  let seed = DEFAULT_BOOTSTRAP_SEED;
  try {
    const stored = JSON.parse(await fs.readFile(path.join(dir, 'runs', runId, 'evaluation', 'summary.json'), 'utf8')) as { id?: string; seed?: number };
    if (stored.id === evaluation.id && typeof stored.seed === 'number') seed = stored.seed;
  } catch {
    // no summary file: the default seed, as evaluateRun uses
  }

  const base = await readCatalogue(dir, (db) => {
    const project = queryOne(db, 'SELECT name, created, app_version FROM project WHERE id = 1');
    const cases = queryAll(db, "SELECT c.id, c.domain, EXISTS (SELECT 1 FROM volumes v WHERE v.case_id = c.id AND v.role = 'label') AS labelled FROM cases c");
    const domains = new Map<string, number>();
    for (const c of cases) domains.set(String(c.domain), (domains.get(String(c.domain)) ?? 0) + 1);
    const counts = new Map(queryAll(db, 'SELECT value, SUM(voxel_count) AS n FROM label_counts GROUP BY value').map((r) => [Number(r.value), Number(r.n)]));
    const classes: ClassInfo[] = queryAll(db, 'SELECT value, name, color_r, color_g, color_b FROM classes ORDER BY value').map((r) => ({
      value: Number(r.value),
      name: String(r.name),
      color: [Number(r.color_r), Number(r.color_g), Number(r.color_b)],
      voxels: counts.get(Number(r.value)) ?? 0,
    }));
    const split = queryOne(db, 'SELECT folds, seed, test_fraction FROM split_settings WHERE id = 1');
    const hash = createHash('sha256');
    for (const v of queryAll(db, 'SELECT id, source_sha256 FROM volumes ORDER BY id')) hash.update(`${String(v.id)} ${String(v.source_sha256)}\n`);
    const run = queryOne(db, 'SELECT * FROM runs WHERE id = ?', [runId]);
    const curves = new Map<string, { step: number; epoch: number; value: number }[]>();
    for (const m of queryAll(db, 'SELECT epoch, step, name, value FROM run_metrics WHERE run_id = ? ORDER BY step', [runId])) {
      if (m.value === null) continue;
      const list = curves.get(String(m.name)) ?? [];
      list.push({ step: Number(m.step), epoch: Number(m.epoch), value: Number(m.value) });
      curves.set(String(m.name), list);
    }
    const stores = new Map<string, { label?: string; image?: string }>();
    for (const v of queryAll(db, "SELECT case_id, role, channel, store_path FROM volumes WHERE role = 'label' OR channel = 0")) {
      const entry = stores.get(String(v.case_id).toLowerCase()) ?? {};
      if (v.role === 'label') entry.label = String(v.store_path);
      else entry.image = String(v.store_path);
      stores.set(String(v.case_id).toLowerCase(), entry);
    }
    const modelPaths = queryAll(db, 'SELECT DISTINCT model_path FROM predictions WHERE run_id = ?', [runId]).map((m) => String(m.model_path));
    return {
      modelPaths,
      project: { name: String(project?.name ?? ''), dir, created: String(project?.created ?? ''), createdWith: String(project?.app_version ?? '') },
      dataset: {
        cases: cases.length,
        labelled: cases.filter((c) => Number(c.labelled) === 1).length,
        domains: [...domains].map(([name, n]) => ({ name, cases: n })),
        classes,
        ...(split ? { split: { folds: Number(split.folds), seed: Number(split.seed), testFraction: Number(split.test_fraction) } } : {}),
        hash: hash.digest('hex'),
      },
      run: run
        ? {
            id: runId,
            row: {
              kind: String(run.kind), fold: run.fold === null ? null : Number(run.fold), backend: String(run.backend), seed: Number(run.seed),
              status: String(run.status), created: String(run.created), updated: String(run.updated), configHash: String(run.config_hash),
              datasetHash: String(run.dataset_hash), message: String(run.message),
            },
            config: parseJson(String(run.config)),
          }
        : { id: runId },
      curves,
      stores,
    };
  });

  const runDir = path.join(dir, 'runs', runId);
  const model = await findModelFiles(runDir);
  // model files in the run folder, and the models the catalogue's predictions of this run name
  const recorded = base.modelPaths.map((p) => path.resolve(dir, p)).filter((p) => existsSync(p) && !model.files.includes(p));
  const modelFiles = await Promise.all(
    [...model.files, ...recorded].map(async (f) => ({ file: f.startsWith(dir + path.sep) ? path.relative(dir, f) : f, sha256: await sha256Source(f) })),
  );
  let modelCard: ReportData['modelCard'];
  if (model.card) modelCard = { file: path.relative(dir, model.card), content: parseJson(await fs.readFile(model.card, 'utf8')) };

  const evaluatedCases = [...new Set(evaluation.rows.map((r) => r.caseId))].sort();
  const figureCaseId = options.caseId ?? evaluatedCases[0];
  let figures: FigureCase | undefined;
  if (figureCaseId) {
    const stores = base.stores.get(figureCaseId.toLowerCase());
    const predDir = path.join(predictionsFolder(dir, runId), figureCaseId);
    if (!stores?.label) throw new InputError('--case', `case '${figureCaseId}' has no ground-truth label`);
    if (!existsSync(path.join(predDir, PREDICTION_LABEL))) throw new InputError('--case', `run '${runId}' has no prediction of case '${figureCaseId}'`);
    const uncertaintyName = UNCERTAINTY_STORES.find((n) => existsSync(path.join(predDir, `${n}.ome.zarr`)));
    figures = {
      caseId: figureCaseId,
      truth: await readVolume(path.join(dir, stores.label)),
      pred: await readVolume(path.join(predDir, PREDICTION_LABEL)),
      ...(stores.image ? { image: await readVolume(path.join(dir, stores.image)) } : {}),
      ...(uncertaintyName ? { uncertainty: { name: uncertaintyName, volume: await readVolume(path.join(predDir, `${uncertaintyName}.ome.zarr`)) } } : {}),
    };
  }
  const { stores: _stores, modelPaths: _modelPaths, ...rest } = base;
  return {
    generated: new Date().toISOString(),
    appVersion: appVersion(),
    ...rest,
    ...(modelCard ? { modelCard } : {}),
    modelFiles,
    evaluation: { ...evaluation, seed, summary: summaryOf(evaluation.rows, seed) },
    ...(figures ? { figures } : {}),
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function classColor(classes: readonly ClassInfo[], value: number): [number, number, number] {
  return classes.find((c) => c.value === value)?.color ?? defaultColor(value);
}
