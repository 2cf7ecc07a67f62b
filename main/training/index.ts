/**
 * The training engine. Backends, losses and optimisation live in backend/, losses/, optim/; augmentation and
 * normalisation in transforms/; this module's own parts are the config, the data pipeline, runs and baselines.
 */
export { TrainingConfigSchema, parseTrainingConfig, loadTrainingConfig, configHash, type TrainingConfig, type TrainingConfigInput } from './config/index.ts';
export { loadTrainingSet, type TrainingSet, type TrainingCaseRef } from './data/project.ts';
export { loadCase, type LoadedCase } from './data/cases.ts';
export { PatchSampler, SamplerConfigSchema, type PatchDraw, type SamplerConfig } from './data/sampler.ts';
export { BatchMaker, samplerPatchSize, type Batch } from './data/batches.ts';
export { InlineBatchSource, WorkerBatchSource, type BatchSource } from './data/prefetch.ts';
export { chooseBatchSize, estimateStepBytes } from './data/memory.ts';
export { train, type TrainOptions, type TrainResult, type RunControl } from './runs/trainer.ts';
export { startTraining, runTraining, TrainingProcess, type TrainProcessOptions, type RunOutcome } from './runs/process.ts';
export type { TrainingEvent } from './runs/events.ts';
export { describeEvent } from './runs/describe.ts';
export { listRuns, getRun, getRunMetrics, type RunRecord, type MetricRow, type RunStatus } from './runs/records.ts';
export { computeDice, meanForegroundDice, DiceMetric, predictCase, predictionTile } from './runs/validate.ts';
export { trainDemoModel, formatDemoResult, type DemoTrainingResult } from './runs/demo.ts';
export { multiOtsuThresholds, applyThresholds, MultiOtsu } from './baselines/multiOtsu.ts';
