/** Job kind 'report': an HTML or PDF report of a run (as `segstation report`), written atomically. */
import { ReportJobParamsSchema, type ReportJobParams } from '../../../ipc/contract.ts';
import { writeReport } from '../../report/index.ts';
import type { JobContext } from '../jobs.ts';

export async function run(params: ReportJobParams, job: JobContext): Promise<unknown> {
  const p = ReportJobParamsSchema.parse(params);
  job.signal.throwIfAborted();
  job.progress(0, 1, `writing the report of run ${p.runId}`);
  const written = await writeReport(p.projectDir, p.runId, p.out, {
    ...(p.caseId ? { caseId: p.caseId } : {}),
    ...(p.snapshot ? { snapshot: p.snapshot } : {}),
    ...(p.slices ? { slices: p.slices } : {}),
    ...(p.reevaluate ? { reevaluate: true } : {}),
  });
  job.progress(1, 1, `wrote ${written.file}`);
  return written;
}
