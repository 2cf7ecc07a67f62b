// Optimisation: optimisers, learning-rate schedules, clipping, EMA of weights, early stopping, seeds.
export {
  createOptimizer,
  OptimizerConfigSchema,
  Optimizer,
  AdamOptimizer,
  SgdOptimizer,
  type OptimizerConfig,
  type OptimizerState,
  type StepResult,
} from './optimizers.ts';
export {
  createSchedule,
  ScheduleConfigSchema,
  ReduceLrOnPlateau,
  polyLr,
  cosineWarmupLr,
  type LrSchedule,
  type ScheduleConfig,
  type ScheduleState,
} from './schedules.ts';
export { clipByGlobalNorm, globalNorm, type ClipResult } from './clip.ts';
export { WeightEma } from './ema.ts';
export { EarlyStopping, type EarlyStoppingOptions, type EarlyStoppingState, type EarlyStoppingDecision } from './early-stopping.ts';
export { deriveSeed, SeedSequence } from './seed.ts';
