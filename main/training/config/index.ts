export { TrainingConfigSchema, type TrainingConfig, type TrainingConfigInput } from './schema.ts';
export { parseTrainingConfig, loadTrainingConfig, configHash, formatIssue } from './load.ts';
