/** Inference: ONNX sessions, sliding-window prediction (in memory and out of core), uncertainty, post-processing, jobs. */
export { createSession, parseProviders, windowPredictor, PROVIDERS, type SegmentationSession, type ProviderName, type SessionOptions } from './session.ts';
export { loadModelCard, parseModelCard, cardPathFor, ModelCardSchema, ONNX_CARD_FORMAT, TRAINED_CARD_FORMAT, type ModelCard, type ModelCardInput } from './modelCard.ts';
export { predictVolume, type PredictionResult, type PredictionVolumes } from './predict.ts';
export { predictStores, planMemory, outOfCoreObstacle, OUTPUT_NAMES, type OutOfCoreOptions, type OutOfCoreResult } from './outOfCore.ts';
export { resolvePrediction, type PredictOptions, type UncertaintyMode } from './options.ts';
export { runPrediction, type PredictEvent, type PredictSummary, type CaseTelemetry } from './run.ts';
export { PredictRequestSchema, type PredictRequest } from './request.ts';
export { startPredictionJob, runPredictJob, type PredictionJob } from './job.ts';
export { stitchWindows, CancelledError, type PlaneSource, type PlaneSink, type WindowEvaluator, type WindowProgress } from './slidingWindow/stitcher.ts';
export { slidingWindowInference, SlidingWindowInferer } from './slidingWindow/memory.ts';
export { planWindows, scanPositions, scanInterval } from './slidingWindow/windows.ts';
export { importanceMap, type BlendMode } from './slidingWindow/importance.ts';
export { createMemberEvaluator, flipSubsets, type Flip } from './members.ts';
export { deriveOutputs, TriageScore } from './derive.ts';
export { exportOnnx, exportTrainedModel, saveExportedModel, exportModelCard } from './onnx/export.ts';
export { OnnxGraphBuilder } from './onnx/graph.ts';
export * from './postprocess/index.ts';
