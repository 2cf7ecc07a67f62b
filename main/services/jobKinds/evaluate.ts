/** Job kind 'evaluate': metrics of a run's predictions against the cases' labels (as `segstation evaluate DIR --run`). */
import { EvaluateJobParamsSchema, type EvaluateJobParams } from '../../../ipc/contract.ts';
import { evaluateRun } from '../../evaluation/run.ts';
import type { JobContext } from '../jobs.ts';

export async function run(params: EvaluateJobParams, job: JobContext): Promise<unknown> {
  const p = EvaluateJobParamsSchema.parse(params);
  job.signal.throwIfAborted();
  job.progress(0, 1, `evaluating run ${p.runId}`);
  const result = await evaluateRun(p.projectDir, p.runId, {
    ...(p.seed !== undefined ? { seed: p.seed } : {}),
    ...(p.surfaceTolerance !== undefined ? { surfaceTolerance: p.surfaceTolerance } : {}),
    onProgress: (done, total, caseId) => {
      // evaluateRun writes nothing before every case is done, so stopping between cases leaves no trace.
      job.signal.throwIfAborted();
      job.progress(done, total, `evaluated ${caseId}`);
    },
  });
  // The full metrics are in the catalogue (evaluation.get); the result says where and how many.
  return { evaluationId: result.id, runId: result.runId, cases: result.cases.length, skipped: result.skipped, files: result.files };
}
