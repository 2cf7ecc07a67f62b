/**
 * A prediction request end to end: open the models, predict a file or every case of a project, post-process, write
 * the outputs and (for a project) the catalogue rows, reporting progress and per-case telemetry as events.
 *
 * - A file: OME-Zarr input with a folder output goes out of core (unless the model needs resampling or slices along
 *   x/y); anything else is read whole. OUT with a writable extension receives the label map; otherwise OUT is a
 *   folder of `<output>.ome.zarr` stores.
 * - A project: each case's image stores are predicted out of core into
 *   `runs/<runId>/predictions/<caseId>/{label,probabilities,entropy,mutual_information,variance}.ome.zarr`, with a
 *   row in the `predictions` table.
 */
import path from 'node:path';
import type { z } from 'zod';
import { getCase, listCases } from '../dataset/cases.ts';
import { mutateCatalogue, nowIso, queryOne, readCatalogue } from '../dataset/catalogue.ts';
import { openOmeZarr } from '../io/omezarr/lazy.ts';
import { looksLikeOmeZarr } from '../io/omezarr/source.ts';
import { readVolume, writeVolume, writerFor } from '../io/registry.ts';
import { InputError } from '../util/errors.ts';
import type { Volume } from '../volume/volume.ts';
import { withSliceAxis } from './options.ts';
import { PredictRequestSchema, type PredictRequest } from './request.ts';
import { ensureRunModel } from './runModel.ts';
import { createSession, type SegmentationSession } from './session.ts';
import { OUTPUT_NAMES, outOfCoreObstacle, predictStores, type OutputKey } from './outOfCore.ts';
import { predictVolume, type PredictionVolumes } from './predict.ts';
import { loadPostprocessConfig, runPostprocess, type PostprocessConfig } from './postprocess/config.ts';
import type { StepReport } from './postprocess/operations.ts';
import type { WindowProgress } from './slidingWindow/stitcher.ts';

export { PredictRequestSchema, type PredictRequest } from './request.ts';

type Request = z.output<typeof PredictRequestSchema>;

export interface CaseTelemetry {
  caseId: string;
  ms: number;
  windows: number;
  /** Process peak resident set size so far, MB. */
  peakRssMb: number;
  mode: 'in-memory' | 'out-of-core';
  uncertaintyScore?: number;
  outputs: Partial<Record<OutputKey, string>>;
  postprocess?: StepReport[];
}

export type PredictEvent =
  | { type: 'log'; message: string }
  | ({ type: 'progress'; caseId: string; caseIndex: number; cases: number } & WindowProgress)
  | ({ type: 'case' } & CaseTelemetry);

export interface PredictSummary {
  provider: string;
  runId?: string;
  cases: CaseTelemetry[];
  totalMs: number;
}

export interface RunHooks {
  signal?: AbortSignal;
  onEvent?: (event: PredictEvent) => void;
}

function parseRequest(value: unknown): Request {
  const parsed = PredictRequestSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(`segstation predict ${issue.path.length ? `--${issue.path.join('.')}` : ''}`.trim(), issue.message);
  }
  return parsed.data;
}

function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

function hasWritableExtension(file: string): boolean {
  try {
    writerFor(file);
    return !/\.ome\.zarr\/?$|\.zarr\/?$/i.test(file);
  } catch {
    return false;
  }
}

async function writeVolumes(volumes: PredictionVolumes, outDir: string): Promise<Partial<Record<OutputKey, string>>> {
  const written: Partial<Record<OutputKey, string>> = {};
  for (const key of Object.keys(OUTPUT_NAMES) as OutputKey[]) {
    const volume = volumes[key];
    if (!volume) continue;
    const file = path.join(outDir, `${OUTPUT_NAMES[key]}.ome.zarr`);
    await writeVolume(volume, file);
    written[key] = file;
  }
  return written;
}

/** Post-processes a label store in place (the label map and probabilities are read whole). */
async function postprocessStores(stores: Partial<Record<OutputKey, string>>, config: PostprocessConfig, classes: number, subject: string): Promise<StepReport[]> {
  const label = await readVolume(stores.label!);
  const needsProbabilities = config.steps.some((s) => s.op === 'adjacency');
  const probabilities = needsProbabilities ? ((await readVolume(stores.probabilities!)).data as Float32Array) : undefined;
  const labels = label.data as Uint8Array;
  const reports = runPostprocess({ labels, shape: label.shape, classes, ...(probabilities ? { probabilities } : {}) }, config, subject);
  const { format: _format, ...meta } = label.meta;
  await writeVolume({ ...label, meta }, stores.label!);
  return reports;
}

function postprocessVolumes(volumes: PredictionVolumes, config: PostprocessConfig, classes: number, subject: string): StepReport[] {
  return runPostprocess(
    {
      labels: volumes.label.data as Uint8Array,
      shape: volumes.label.shape,
      classes,
      probabilities: volumes.probabilities.data as Float32Array,
    },
    config,
    subject,
  );
}

/** Runs a prediction request; see the module comment. */
export async function runPrediction(value: PredictRequest, hooks: RunHooks = {}): Promise<PredictSummary> {
  const parsed = parseRequest(value);
  // No model files: the trained run's own model, exported from its checkpoint when needed.
  const request = {
    ...parsed,
    models: parsed.models ?? [await ensureRunModel(path.resolve(parsed.project!), parsed.runId!, { mcDropout: parsed.uncertainty === 'mc' })],
  };
  const t0 = performance.now();
  const emit = (event: PredictEvent) => hooks.onEvent?.(event);
  const postprocess = request.postprocess ? await loadPostprocessConfig(request.postprocess) : undefined;
  const sessions: SegmentationSession[] = [];
  try {
    for (const model of request.models) sessions.push(await createSession(model, { providers: request.providers }));
    emit({ type: 'log', message: sessions[0].providerMessage });
    const options = {
      ...(request.roi ? { roi: request.roi } : {}),
      overlap: request.overlap,
      blend: request.blend,
      batchSize: request.batchSize,
      tta: request.tta,
      uncertainty: request.uncertainty,
      ...(request.mcPasses ? { mcPasses: request.mcPasses } : {}),
      ...(request.sliceAxis ? { sliceAxis: request.sliceAxis } : {}),
      memoryBudgetBytes: request.memoryBudgetMb * 1024 * 1024,
      ...(hooks.signal ? { signal: hooks.signal } : {}),
    };
    const classes = sessions[0].classes;
    const cases: CaseTelemetry[] = [];
    const progress = (caseId: string, caseIndex: number, count: number) => (p: WindowProgress) =>
      emit({ type: 'progress', caseId, caseIndex, cases: count, ...p });

    if (request.input !== undefined) {
      const input = path.resolve(request.input);
      const output = path.resolve(request.output!);
      const caseId = path.basename(input).replace(/(\.ome)?\.zarr$|\.nii\.gz$|\.[^.]+$/i, '');
      const start = performance.now();
      const toFile = hasWritableExtension(output);
      const streamable = !request.inMemory && !toFile && (await looksLikeOmeZarr(input));
      let telemetry: CaseTelemetry;
      const obstacle = streamable ? outOfCoreObstacle(withSliceAxis(sessions[0].card, request.sliceAxis), (await readHeaderSpacing(input)) ?? [1, 1, 1]) : 'not streamable';
      if (streamable && !obstacle) {
        const result = await predictStores([input], sessions, output, { ...options, onProgress: progress(caseId, 0, 1) });
        const reports = postprocess ? await postprocessStores(result.stores, postprocess, classes, request.postprocess!) : undefined;
        telemetry = {
          caseId,
          ms: performance.now() - start,
          windows: result.windows,
          peakRssMb: peakRssMb(),
          mode: 'out-of-core',
          ...(result.uncertaintyScore !== undefined ? { uncertaintyScore: result.uncertaintyScore } : {}),
          outputs: result.stores,
          ...(reports ? { postprocess: reports } : {}),
        };
      } else {
        if (streamable && obstacle) emit({ type: 'log', message: `${input} is read whole: ${obstacle}` });
        const volume: Volume = await readVolume(input);
        const result = await predictVolume(volume, sessions, { ...options, onProgress: progress(caseId, 0, 1) }, input);
        const reports = postprocess ? postprocessVolumes(result.volumes, postprocess, classes, request.postprocess!) : undefined;
        let outputs: Partial<Record<OutputKey, string>>;
        if (toFile) {
          await writeVolume(result.volumes.label, output);
          outputs = { label: output };
        } else {
          outputs = await writeVolumes(result.volumes, output);
        }
        telemetry = {
          caseId,
          ms: performance.now() - start,
          windows: result.windows,
          peakRssMb: peakRssMb(),
          mode: 'in-memory',
          ...(result.uncertaintyScore !== undefined ? { uncertaintyScore: result.uncertaintyScore } : {}),
          outputs,
          ...(reports ? { postprocess: reports } : {}),
        };
      }
      cases.push(telemetry);
      emit({ type: 'case', ...telemetry });
      return { provider: sessions[0].provider, cases, totalMs: performance.now() - t0 };
    }

    // A project.
    const project = path.resolve(request.project!);
    const all = await listCases(project);
    const wanted = request.cases?.length ? request.cases : all.map((c) => c.id);
    for (const id of wanted) {
      if (!all.some((c) => c.id.toLowerCase() === id.toLowerCase())) throw new InputError(`case ${id}`, `no such case in project ${project}`);
    }
    const runId = request.runId ?? `predict-${path.basename(request.models[0]).replace(/\.onnx$/i, '')}-${nowIso().replace(/[-:]/g, '').replace(/\..*$/, '')}`;
    const knownRun = await readCatalogue(project, (db) => queryOne(db, 'SELECT id FROM runs WHERE id = ?', [runId]) !== undefined);
    for (const [index, id] of wanted.entries()) {
      const detail = await getCase(project, id);
      const images = detail.volumes.filter((v) => v.role === 'image').sort((a, b) => (a.channel ?? 0) - (b.channel ?? 0));
      if (images.length === 0) throw new InputError(`case ${detail.id}`, 'has no image volumes');
      const stores = images.map((v) => path.join(project, ...v.storePath.split('/')));
      const folder = path.join('runs', runId, 'predictions', detail.id);
      const outDir = path.join(project, folder);
      const start = performance.now();
      let outputs: Partial<Record<OutputKey, string>>;
      let uncertaintyScore: number | undefined;
      let windows: number;
      let mode: CaseTelemetry['mode'] = 'out-of-core';
      let reports: StepReport[] | undefined;
      const obstacle = outOfCoreObstacle(withSliceAxis(sessions[0].card, request.sliceAxis), images[0].spacing);
      if (!obstacle && !request.inMemory) {
        const result = await predictStores(stores, sessions, outDir, { ...options, onProgress: progress(detail.id, index, wanted.length) });
        outputs = result.stores;
        uncertaintyScore = result.uncertaintyScore;
        windows = result.windows;
        if (postprocess) reports = await postprocessStores(outputs, postprocess, classes, request.postprocess!);
      } else {
        mode = 'in-memory';
        const volume = await readCaseVolume(stores);
        const result = await predictVolume(volume, sessions, { ...options, onProgress: progress(detail.id, index, wanted.length) }, `case ${detail.id}`);
        if (postprocess) reports = postprocessVolumes(result.volumes, postprocess, classes, request.postprocess!);
        outputs = await writeVolumes(result.volumes, outDir);
        uncertaintyScore = result.uncertaintyScore;
        windows = result.windows;
      }
      await mutateCatalogue(project, 'predict', (db) => {
        db.run(
          `INSERT OR REPLACE INTO predictions (id, run_id, model_path, case_id, folder, options, uncertainty_score, created)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            `${runId}/${detail.id}`,
            knownRun ? runId : null,
            request.models.map((m) => path.resolve(m)).join(';'),
            detail.id,
            folder.split(path.sep).join('/'),
            JSON.stringify({
              overlap: request.overlap,
              blend: request.blend,
              tta: request.tta,
              uncertainty: request.uncertainty,
              roi: request.roi ?? sessions[0].card.patchSize,
              models: request.models.length,
              postprocess: postprocess ? postprocess.steps.map((s) => s.op) : [],
            }),
            uncertaintyScore ?? null,
            nowIso(),
          ],
        );
      });
      const telemetry: CaseTelemetry = {
        caseId: detail.id,
        ms: performance.now() - start,
        windows,
        peakRssMb: peakRssMb(),
        mode,
        ...(uncertaintyScore !== undefined ? { uncertaintyScore } : {}),
        outputs,
        ...(reports ? { postprocess: reports } : {}),
      };
      cases.push(telemetry);
      emit({ type: 'case', ...telemetry });
    }
    return { provider: sessions[0].provider, runId, cases, totalMs: performance.now() - t0 };
  } finally {
    for (const s of sessions) await s.release();
  }
}

async function readHeaderSpacing(store: string): Promise<[number, number, number] | undefined> {
  try {
    return (await openOmeZarr(store, { cacheBytes: 0 })).header.spacing;
  } catch {
    return undefined;
  }
}

/** A case's image channels (one store each) as one volume with interleaved components. */
async function readCaseVolume(stores: string[]): Promise<Volume> {
  const volumes = await Promise.all(stores.map((s) => readVolume(s)));
  if (volumes.length === 1) return volumes[0];
  const first = volumes[0];
  const channels = volumes.reduce((n, v) => n + v.components, 0);
  const voxels = first.shape[0] * first.shape[1] * first.shape[2];
  const data = new Float32Array(voxels * channels);
  let offset = 0;
  for (const v of volumes) {
    for (let i = 0; i < voxels; i++) for (let c = 0; c < v.components; c++) data[i * channels + offset + c] = v.data[i * v.components + c];
    offset += v.components;
  }
  return { ...first, dtype: 'float32', components: channels, data };
}
