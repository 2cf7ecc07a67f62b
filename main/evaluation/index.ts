/** Evaluation of predictions against ground truth: one pair (evaluate.ts) or a run over a project (run.ts). */
export * from './validate.ts';
export * from './evaluate.ts';
export * from './summary.ts';
export * from './csv.ts';
export * from './run.ts';
