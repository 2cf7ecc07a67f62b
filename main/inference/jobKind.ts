/** Registers the 'predict' job kind with the engine's job manager (imported from main/services/jobKinds/index.ts). */
import { registerJobKind } from '../services/jobs.ts';
import { PredictRequestSchema } from './request.ts';

registerJobKind('predict', PredictRequestSchema, {
  module: new URL('./job.ts', import.meta.url),
  export: 'runPredictJob',
  description: 'predict a file or the cases of a project with ONNX models (sliding window, TTA, uncertainty, post-processing)',
});
