/**
 * Built-in job kinds, registered on import (main/services/engine.ts imports this file). A feature adds its kinds by
 * calling registerJobKind (see ../jobs.ts) in a module imported here. Runner modules are named by URL and loaded only
 * in the job's child process, so heavy ones (training, evaluation, reports) never load into the engine.
 */
import { EvaluateJobParamsSchema, ReportJobParamsSchema, TrainJobParamsSchema } from '../../../ipc/contract.ts';
import { registerJobKind } from '../jobs.ts';
import { ImportJobParams } from './import.ts';
import { StatisticsJobParams } from './statistics.ts';
import { precheckTrainParams } from './trainCheck.ts';
import '../../inference/jobKind.ts';

registerJobKind('statistics', StatisticsJobParams, {
  module: new URL('./statistics.ts', import.meta.url),
  export: 'run',
  description: "recompute a project's per-domain intensity statistics",
});

registerJobKind('import', ImportJobParams, {
  module: new URL('./import.ts', import.meta.url),
  export: 'run',
  description: 'import a case (images and an optional label) into a project',
});

registerJobKind('train', TrainJobParamsSchema, {
  module: new URL('./train.ts', import.meta.url),
  export: 'run',
  description: 'train a model on a project (new run from a config, or resume a run); pausable',
  pausable: true,
  // Cancel is honoured at the next step, which may follow an epoch's validation and checkpoint.
  cancelGraceMs: 60_000,
  precheck: precheckTrainParams,
});

registerJobKind('evaluate', EvaluateJobParamsSchema, {
  module: new URL('./evaluate.ts', import.meta.url),
  export: 'run',
  description: "evaluate a run's predictions against the cases' labels (metrics per class and case, cohort summary)",
});

registerJobKind('report', ReportJobParamsSchema, {
  module: new URL('./report.ts', import.meta.url),
  export: 'run',
  description: 'export an HTML or PDF report of a run',
  cancelGraceMs: 10_000,
});
