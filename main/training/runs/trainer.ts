/**
 * The training loop of one run, in the current process: validate everything, load the data, build the network,
 * train epoch by epoch with validation, checkpoints and catalogue records, emitting progress events. Runs in a child
 * process are this function behind process.ts.
 *
 * Run folder `<project>/runs/<id>/`: run.json (project, fold, created), config.json (validated config),
 * checkpoints/last/ and checkpoints/best/ (model folders: card.json, weights.{json,bin}, plus state.json and
 * optimizer.{json,bin} for resuming), events.jsonl (every event, appended).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Color } from '../../../ipc/contract.ts';
import '@tensorflow/tfjs-backend-cpu';
import { assignWeights, loadModel, readWeights, saveModel, type ModelCard } from '../../../models/card.ts';
import { createWeights, disposeWeights, runNetwork, trainableVariables, type WeightStore } from '../../../models/forward.ts';
import { buildUNet } from '../../../models/unet.ts';
import type { NetworkSpec } from '../../../models/spec.ts';
import { decodeWeights, encodeWeights, type NamedArray } from '../../../models/weights.ts';
import { listDomains } from '../../dataset/domains.ts';
import type { NormalizationHint } from '../../dataset/types.ts';
import { writeFileAtomic } from '../../util/atomic.ts';
import { errorMessage, InputError } from '../../util/errors.ts';
import { mulberry32 } from '../../util/random.ts';
import { selectBackend, type BackendPreference, type BackendReport } from '../backend/index.ts';
import { configHash, parseTrainingConfig, type TrainingConfig } from '../config/index.ts';
import { samplerPatchSize, BatchMaker, type BatchMakerOptions } from '../data/batches.ts';
import { loadCase, type LoadedCase } from '../data/cases.ts';
import { chooseBatchSize } from '../data/memory.ts';
import { InlineBatchSource, WorkerBatchSource, type BatchSource } from '../data/prefetch.ts';
import { loadTrainingSet, type TrainingSet } from '../data/project.ts';
import { createLoss, type CompoundLoss } from '../losses/index.ts';
import { clipByGlobalNorm, createOptimizer, createSchedule, deriveSeed, EarlyStopping, type EarlyStoppingState, type OptimizerState, type ScheduleState } from '../optim/index.ts';
import { createNormalizer } from '../transforms/normalize.ts';
import type { TrainingEvent } from './events.ts';
import { insertRun, syncMetrics, updateRun, type MetricRow } from './records.ts';
import { DiceMetric, meanForegroundDice, predictCase, predictionTile } from './validate.ts';
import { writeValidationSamples, type SliceSampleInput } from './samples.ts';

/** Validation cases shown as sample pictures after each validation. */
const SAMPLE_CASES = 2;

export interface RunControl {
  paused: boolean;
  cancelled: boolean;
  /** Resolves when pause or cancel changes (set by whoever controls the run). */
  changed?: () => Promise<void>;
}

export interface TrainOptions {
  project: string;
  /** A validated config, or a raw object to validate. */
  config?: TrainingConfig | Record<string, unknown>;
  fold?: number;
  /** Resume this run from its last checkpoint (config and fold come from the run folder). */
  resume?: string;
  /** Overrides config.backend. */
  backend?: BackendPreference;
  /** Run id for a new run (default: generated). */
  runId?: string;
  /** Make batches in a worker thread (default true). */
  prefetch?: boolean;
  onEvent?: (event: TrainingEvent) => void;
  control?: RunControl;
}

export interface TrainResult {
  runId: string;
  folder: string;
  status: 'completed' | 'cancelled' | 'stopped-early' | 'time-limit';
  epoch: number;
  step: number;
  bestDice: number | null;
  bestEpoch: number | null;
  history: MetricRow[];
}

interface TrainingState {
  /** Epochs fully done. */
  epoch: number;
  step: number;
  history: MetricRow[];
  optimizer: { type: string; iterations: number } | null;
  schedule: ScheduleState;
  earlyStopping: EarlyStoppingState | null;
  sampler: ReturnType<BatchMaker['sampler']['getState']> | null;
  bestDice: number | null;
  bestEpoch: number | null;
  batchSize: number;
}

interface RunMeta {
  id: string;
  project: string;
  fold: number;
  created: string;
}

function newRunId(fold: number): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `train-${stamp}-f${fold}-${randomBytes(2).toString('hex')}`;
}

/** Optimiser slots as a weights file (binary) and the rest as JSON. */
function encodeOptimizerState(state: OptimizerState): { json: string; bin: Uint8Array } {
  const tensors: NamedArray[] = [];
  for (const [variable, slots] of Object.entries(state.slots)) {
    for (const [slot, { shape, values }] of Object.entries(slots)) tensors.push({ name: `${variable}::${slot}`, shape, values: Float32Array.from(values) });
  }
  const { manifest, bytes } = encodeWeights(tensors);
  return { json: JSON.stringify({ type: state.type, iterations: state.iterations, weights: manifest }), bin: bytes };
}

function decodeOptimizerState(json: string, bin: Uint8Array, what: string): OptimizerState {
  const meta = JSON.parse(json) as { type: OptimizerState['type']; iterations: number; weights: unknown };
  const slots: OptimizerState['slots'] = {};
  for (const t of decodeWeights(meta.weights, bin, what)) {
    const [variable, slot] = t.name.split('::');
    slots[variable] ??= {};
    slots[variable][slot] = { shape: t.shape, values: Array.from(t.values) };
  }
  return { type: meta.type, iterations: meta.iterations, slots };
}

/** Memory in use: the process's resident set. */
function memoryBytes(): number {
  return process.memoryUsage().rss;
}

async function readJson<T>(file: string): Promise<T> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch (error) {
    throw new InputError(file, `cannot read: ${errorMessage(error)}`);
  }
}

/** Everything checked and loaded before a step is taken. */
async function prepare(options: TrainOptions): Promise<{ config: TrainingConfig; set: TrainingSet; meta: RunMeta; folder: string; resumeDir: string | null }> {
  const project = path.resolve(options.project);
  if (options.resume) {
    const folder = path.join(project, 'runs', options.resume);
    if (!existsSync(path.join(folder, 'run.json'))) throw new InputError(`run ${options.resume}`, `no such run folder ${folder}`);
    const meta = await readJson<RunMeta>(path.join(folder, 'run.json'));
    const config = parseTrainingConfig(await readJson(path.join(folder, 'config.json')), path.join(folder, 'config.json'));
    const set = await loadTrainingSet(project, meta.fold);
    const last = path.join(folder, 'checkpoints', 'last');
    return { config, set, meta, folder, resumeDir: existsSync(path.join(last, 'state.json')) ? last : null };
  }
  if (!options.config) throw new InputError('config', 'a training config is required');
  const config = parseTrainingConfig(options.config, 'config');
  const fold = options.fold ?? 0;
  const set = await loadTrainingSet(project, fold);
  const id = options.runId ?? newRunId(fold);
  const folder = path.join(project, 'runs', id);
  if (existsSync(folder)) throw new InputError(`run ${id}`, 'a run with this id exists already; resume it with --resume');
  return { config, set, meta: { id, project, fold, created: new Date().toISOString() }, folder, resumeDir: null };
}

export async function train(options: TrainOptions): Promise<TrainResult> {
  const emit = (event: TrainingEvent): void => options.onEvent?.(event);
  const control: RunControl = options.control ?? { paused: false, cancelled: false };
  const { config, set, meta, folder, resumeDir } = await prepare(options);
  const runId = meta.id;
  const classes = set.classes.length;
  const classNames = set.classes.map((c) => c.name);
  // Label maps in training hold class indices (0..classes-1), so colours go by index.
  const sampleColors: Color[] = set.classes.map((c) => c.color);

  const backend: BackendReport = await selectBackend(options.backend ?? config.backend);
  const hashes = { config: configHash(config), dataset: set.datasetHash };
  const eventsFile = path.join(folder, 'events.jsonl');
  let eventsHandle: fs.FileHandle | null = null;
  const record = (event: TrainingEvent): void => {
    emit(event);
    void eventsHandle?.appendFile(`${JSON.stringify(event)}\n`).catch(() => undefined);
  };

  // The network and everything seeded.
  const spec: NetworkSpec = buildUNet(config.network, { imageChannels: set.channels, classes, name: `unet-${config.network.kind}` });
  const store: WeightStore = createWeights(spec, deriveSeed(config.seed, 'init'));
  const variables = trainableVariables(spec, store);
  const byName: Record<string, tf.Variable> = Object.fromEntries(variables.map((v) => [v.name, v]));
  const weightName = new Map(spec.weights.map((w) => [store.get(w.name)?.name as string, w.name]));
  const optimizer = createOptimizer(config.optimizer);
  const schedule = createSchedule(config.schedule, optimizer.learningRate);
  const loss: CompoundLoss = createLoss(config.loss);
  const early = config.earlyStopping ? new EarlyStopping({ patience: config.earlyStopping.patience, minDelta: config.earlyStopping.minDelta, mode: 'max' }) : null;
  const size = samplerPatchSize(spec.input, config.patchSize);
  const spatialVoxels = size[0] * size[1] * size[2];
  const budget = chooseBatchSize(spec, spatialVoxels, config.memory);

  let state: TrainingState = {
    epoch: 0,
    step: 0,
    history: [],
    optimizer: null,
    schedule: schedule.getState(),
    earlyStopping: null,
    sampler: null,
    bestDice: null,
    bestEpoch: null,
    batchSize: config.batchSize === 'auto' ? budget.batchSize : config.batchSize,
  };
  if (resumeDir) {
    const saved = await loadModel(resumeDir);
    assignWeights(spec, store, saved.tensors, path.join(resumeDir, 'weights.json'));
    state = await readJson<TrainingState>(path.join(resumeDir, 'state.json'));
    const optJson = await fs.readFile(path.join(resumeDir, 'optimizer.json'), 'utf8');
    const optBin = new Uint8Array(await fs.readFile(path.join(resumeDir, 'optimizer.bin')));
    const optState = decodeOptimizerState(optJson, optBin, path.join(resumeDir, 'optimizer.json'));
    // Slots are keyed by tfjs variable names, which differ between processes: map them through the weight names.
    const slots: OptimizerState['slots'] = {};
    for (const [savedName, s] of Object.entries(optState.slots)) {
      const v = store.get(savedName);
      if (v) slots[v.name] = s;
    }
    optimizer.setState({ ...optState, slots });
    schedule.setState(state.schedule);
    if (early && state.earlyStopping) early.setState(state.earlyStopping);
  }
  const batchSize = state.batchSize;

  // Records: folder, catalogue row (new runs), history synced to the checkpoint (resumed runs).
  await fs.mkdir(path.join(folder, 'checkpoints'), { recursive: true });
  if (!options.resume) {
    await writeFileAtomic(path.join(folder, 'run.json'), `${JSON.stringify(meta, null, 1)}\n`);
    await writeFileAtomic(path.join(folder, 'config.json'), `${JSON.stringify(config, null, 1)}\n`);
    await insertRun(set.project, {
      id: runId,
      fold: set.fold,
      config,
      configHash: hashes.config,
      datasetHash: hashes.dataset,
      backend: backend.name,
      seed: config.seed,
      status: 'running',
      folder: path.relative(set.project, folder).split(path.sep).join('/'),
      message: '',
    });
  } else {
    await syncMetrics(set.project, runId, state.history, state.step);
    await updateRun(set.project, runId, { status: 'running', backend: backend.name, message: `resumed at epoch ${state.epoch}` });
  }
  eventsHandle = await fs.open(eventsFile, 'a');

  // Data: validation cases here, training cases in the batch worker (or here without prefetch).
  const domains = await listDomains(set.project);
  const hints: Record<string, NormalizationHint> = Object.fromEntries(domains.map((d) => [d.name, d.normalization]));
  const normalizer = createNormalizer(config.normalization, set.statistics, hints);
  normalizer.check([...new Set([...set.train, ...set.val].map((c) => c.domain))], set.channels);
  const valRefs = config.validation.maxCases ? set.val.slice(0, config.validation.maxCases) : set.val;
  const valCases: LoadedCase[] = [];
  for (const ref of valRefs) valCases.push(await loadCase(ref, normalizer, classes));
  const makerOptions: BatchMakerOptions = {
    layout: spec.input,
    patchSize: config.patchSize,
    batchSize,
    seed: deriveSeed(config.seed, 'data'),
    sampler: config.sampler,
    augmentation: config.augmentation,
  };
  let source: BatchSource;
  if (options.prefetch === false) {
    const trainCases: LoadedCase[] = [];
    for (const ref of set.train) trainCases.push(await loadCase(ref, normalizer, classes));
    const maker = new BatchMaker(trainCases, makerOptions);
    if (state.sampler) maker.sampler.setState(state.sampler);
    source = new InlineBatchSource(maker);
  } else {
    source = await WorkerBatchSource.start(
      {
        type: 'init',
        refs: set.train,
        classCount: classes,
        normalization: config.normalization,
        statistics: set.statistics,
        hints,
        options: makerOptions,
        ...(state.sampler ? { samplerState: state.sampler } : {}),
      },
      config.stepsPerEpoch,
    );
  }

  const resolved = normalizer.resolve(set.train[0].domain, set.channels);
  const cardFor = (epoch: number, step: number, metrics: Record<string, number>): ModelCard => ({
    format: 'segstation.model-card/1',
    name: `${runId} ${spec.name}`,
    created: new Date().toISOString(),
    inputChannels: set.channels,
    spacing: set.train[0].spacing,
    normalization: resolved.map((r, channel) => ({ channel, modality: set.train[0].modalities[channel] ?? null, resolved: r })),
    patchSize: size,
    classes: set.classes.map((c) => ({ value: c.value, name: c.name, color: c.color })),
    trainingConfigHash: hashes.config,
    datasetHash: hashes.dataset,
    network: spec,
    run: { id: runId, fold: set.fold, epoch, step },
    metrics: Object.fromEntries(Object.entries(metrics).filter(([, v]) => Number.isFinite(v))),
  });

  const saveCheckpoint = async (kind: 'last' | 'best', metrics: Record<string, number>): Promise<void> => {
    const dir = path.join(folder, 'checkpoints', kind);
    const opt = optimizer.getState();
    // Key optimiser slots by weight names, stable across processes.
    const slots: OptimizerState['slots'] = {};
    for (const [tfName, s] of Object.entries(opt.slots)) slots[weightName.get(tfName) ?? tfName] = s;
    const encoded = encodeOptimizerState({ ...opt, slots });
    state.sampler = await source.samplerState();
    state.schedule = schedule.getState();
    state.earlyStopping = early ? early.getState() : null;
    state.optimizer = { type: opt.type, iterations: opt.iterations };
    await saveModel(dir, cardFor(state.epoch, state.step, metrics), readWeights(spec, store), {
      'state.json': JSON.stringify(state),
      'optimizer.json': encoded.json,
      'optimizer.bin': encoded.bin,
    });
    record({ type: 'checkpoint', runId, kind, epoch: state.epoch, step: state.step, folder: dir });
  };

  record({
    type: 'start',
    runId,
    folder,
    fold: set.fold,
    backend,
    batchSize,
    memoryBudget: { freeBytes: budget.freeBytes, budgetBytes: budget.budgetBytes, perSampleBytes: budget.perSampleBytes, auto: config.batchSize === 'auto' },
    parameters: variables.reduce((s, v) => s + v.size, 0),
    trainCases: set.train.map((c) => c.id),
    valCases: valRefs.map((c) => c.id),
    resumedFrom: options.resume ? { epoch: state.epoch, step: state.step } : null,
    epochs: config.epochs,
    stepsPerEpoch: config.stepsPerEpoch,
  });

  const random = mulberry32(deriveSeed(config.seed, 'dropout', state.step));
  const outputs = spec.outputs;
  const dsWeights = outputs.map((o) => o.scale);
  const dsTotal = dsWeights.reduce((a, b) => a + b, 0);
  const voxelsPerBatch = batchSize * spatialVoxels;
  let status: TrainResult['status'] = 'completed';
  let stepTimes: number[] = [];
  let timeUp = false;
  const startedAt = performance.now();
  const stepsAtStart = state.step;

  const waitIfPaused = async (): Promise<void> => {
    if (!control.paused) return;
    record({ type: 'paused', runId, epoch: state.epoch, step: state.step });
    await updateRun(set.project, runId, { status: 'paused' });
    while (control.paused && !control.cancelled) await (control.changed ? control.changed() : new Promise((r) => setTimeout(r, 100)));
    if (!control.cancelled) {
      record({ type: 'resumed', runId, epoch: state.epoch, step: state.step });
      await updateRun(set.project, runId, { status: 'running' });
    }
  };

  try {
    epochs: for (let epoch = state.epoch; epoch < config.epochs; epoch++) {
      const epochStart = performance.now();
      const sums: Record<string, number> = {};
      let count = 0;
      for (let s = 0; s < config.stepsPerEpoch && !timeUp; s++) {
        await waitIfPaused();
        if (control.cancelled) {
          status = 'cancelled';
          break epochs;
        }
        const t0 = performance.now();
        const batch = await source.get(epoch, s);
        const lr = schedule.lrAt(state.step, epoch);
        optimizer.learningRate = lr;
        const statUpdates: { name: string; value: tf.Tensor }[] = [];
        const kept: Record<string, tf.Scalar> = {};
        let perSample: tf.Tensor | null = null;
        const { value, grads } = tf.variableGrads(() => {
          const x = tf.tensor(batch.image, batch.imageShape);
          const labels = tf.tensor(Int32Array.from(batch.label), batch.imageShape.slice(0, -1), 'int32');
          const target = tf.cast(tf.oneHot(labels, classes), 'float32');
          const logits = runNetwork(spec, store, x, { training: true, random, statUpdates });
          let total: tf.Scalar = tf.scalar(0);
          for (const [i, out] of outputs.entries()) {
            let t: tf.Tensor = target;
            const factor = Math.round(1 / out.scale);
            if (factor > 1) t = spec.dims === 2 ? tf.avgPool(target as tf.Tensor4D, factor, factor, 'valid') : tf.avgPool3d(target as tf.Tensor5D, factor, factor, 'valid');
            const result = loss.compute(logits[out.name], t, {}, epoch);
            total = tf.add(total, tf.mul(result.total, dsWeights[i] / dsTotal));
            if (i === 0) {
              for (const [name, term] of Object.entries(result.terms)) kept[name] = tf.keep(term);
              // Per-patch cross-entropy for hard-example mining.
              const logp = tf.logSoftmax(logits[out.name]);
              perSample = tf.keep(tf.neg(tf.mean(tf.sum(tf.mul(target, logp), -1), Array.from({ length: spec.dims }, (_, k) => k + 1))));
            }
          }
          return total;
        }, variables);
        const clip = config.gradientClip ? clipByGlobalNorm(grads, config.gradientClip) : { grads, norm: NaN, clipped: false };
        optimizer.applyGradients(clip.grads, byName);
        for (const u of statUpdates) {
          store.get(u.name)?.assign(u.value);
          u.value.dispose();
        }
        const lossValue = (await value.data())[0];
        const terms = Object.fromEntries(Object.entries(kept).map(([k, v]) => [k, v.dataSync()[0]]));
        const patchLosses = Array.from((perSample as tf.Tensor | null)?.dataSync() ?? []);
        tf.dispose([value, ...Object.values(grads), ...Object.values(kept), ...(perSample ? [perSample] : [])]);
        if (clip.clipped) tf.dispose(Object.values(clip.grads));
        if (!Number.isFinite(lossValue)) throw new Error(`the loss became ${lossValue} at epoch ${epoch}, step ${s}; lower the learning rate`);
        if (config.sampler.hardMining.enabled) source.report(batch.draws, patchLosses);
        if (config.timeLimitMinutes !== null && (performance.now() - startedAt) / 60000 > config.timeLimitMinutes) timeUp = true;

        state.step++;
        count++;
        sums.loss = (sums.loss ?? 0) + lossValue;
        for (const [k, v] of Object.entries(terms)) sums[`loss_${k}`] = (sums[`loss_${k}`] ?? 0) + v;
        const dt = (performance.now() - t0) / 1000;
        stepTimes = [...stepTimes.slice(-19), dt];
        const mean = stepTimes.reduce((a, b) => a + b, 0) / stepTimes.length;
        const remaining = (config.epochs - epoch) * config.stepsPerEpoch - s - 1;
        record({
          type: 'step',
          runId,
          epoch,
          step: state.step,
          stepInEpoch: s + 1,
          stepsPerEpoch: config.stepsPerEpoch,
          loss: lossValue,
          terms,
          lr,
          gradNorm: clip.norm,
          voxelsPerSecond: voxelsPerBatch / mean,
          etaSeconds: remaining * mean,
          memoryBytes: memoryBytes(),
        });
      }

      // End of epoch: metrics, validation, checkpoints, records.
      state.epoch = epoch + 1;
      const metrics: Record<string, number> = {};
      for (const [k, v] of Object.entries(sums)) metrics[k] = v / Math.max(1, count);
      metrics.lr = optimizer.learningRate;
      metrics.seconds = (performance.now() - epochStart) / 1000;
      metrics.voxels_per_s = (count * voxelsPerBatch) / Math.max(1e-9, metrics.seconds);
      metrics.memory_mb = memoryBytes() / 2 ** 20;
      let valDice: number[] | null = null;
      if (state.epoch % config.validation.every === 0 || state.epoch === config.epochs || timeUp) {
        const metric = new DiceMetric(classes);
        const shown: (SliceSampleInput & { id: string })[] = [];
        for (const c of valCases) {
          const prediction = predictCase(spec, store, c, predictionTile(spec, c.shape, size), batchSize);
          metric.add(prediction, c.label);
          if (shown.length < SAMPLE_CASES) shown.push({ ...c, prediction });
        }
        valDice = metric.result();
        // Sample pictures for the dashboard; a failure to write them must not stop the run.
        const files = await writeValidationSamples(folder, shown, sampleColors).catch(() => null);
        if (files && files.length > 0) record({ type: 'samples', runId, epoch, step: state.step, files, cases: shown.map((c) => c.id) });
        valDice.forEach((d, k) => (metrics[`val_dice_${classNames[k]}`] = d));
        metrics.val_dice_mean = meanForegroundDice(valDice);
      }
      const rows: MetricRow[] = Object.entries(metrics).map(([name, v]) => ({ epoch, step: state.step, name, value: Number.isFinite(v) ? v : null }));
      state.history.push(...rows);
      let improved = false;
      let stop = false;
      if (valDice && Number.isFinite(metrics.val_dice_mean)) {
        schedule.observe(metrics.val_dice_mean);
        if (state.bestDice === null || metrics.val_dice_mean > state.bestDice) {
          state.bestDice = metrics.val_dice_mean;
          state.bestEpoch = epoch;
          improved = true;
        }
        if (early) stop = early.observe(metrics.val_dice_mean, epoch).stop;
      }
      await saveCheckpoint('last', metrics);
      if (improved) await saveCheckpoint('best', metrics);
      await syncMetrics(set.project, runId, rows, state.step);
      record({
        type: 'epoch',
        runId,
        epoch,
        step: state.step,
        metrics,
        valDice: valDice ? Object.fromEntries(valDice.map((d, k) => [classNames[k], d])) : null,
        valDiceMean: valDice ? metrics.val_dice_mean : null,
        best: improved,
        seconds: metrics.seconds,
      });
      if (stop || timeUp) {
        status = stop ? 'stopped-early' : 'time-limit';
        break;
      }
    }
    if (status === 'cancelled') {
      // A cancelled run keeps the last epoch's checkpoint: partial epochs are replayed on resume.
      await updateRun(set.project, runId, { status: 'cancelled', message: `cancelled in epoch ${state.epoch}` });
    } else {
      await updateRun(set.project, runId, {
        status: 'completed',
        message: `${status === 'stopped-early' ? 'stopped early' : status === 'time-limit' ? 'reached its time limit' : 'completed'} after ${state.epoch} epochs; best mean foreground Dice ${state.bestDice?.toFixed(4) ?? 'n/a'}`,
      });
    }
    const elapsed = (performance.now() - startedAt) / 1000;
    record({ type: 'end', runId, status, epoch: state.epoch, step: state.step, bestDice: state.bestDice, bestEpoch: state.bestEpoch, seconds: elapsed, steps: state.step - stepsAtStart });
    return { runId, folder, status, epoch: state.epoch, step: state.step, bestDice: state.bestDice, bestEpoch: state.bestEpoch, history: state.history };
  } catch (error) {
    record({ type: 'error', runId, message: errorMessage(error) });
    await updateRun(set.project, runId, { status: 'failed', message: errorMessage(error) }).catch(() => undefined);
    throw error;
  } finally {
    await source.close();
    await eventsHandle?.close();
    disposeWeights(store);
    optimizer.dispose();
  }
}
