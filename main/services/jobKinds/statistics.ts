/** Job kind 'statistics': recomputes a project's per-domain intensity statistics (as `segstation stats`). */
import { z } from 'zod';
import { computeStatistics } from '../../dataset/statistics.ts';
import type { JobContext } from '../jobs.ts';

export const StatisticsJobParams = z.strictObject({ projectDir: z.string().min(1, 'must not be empty') });

export async function run(params: z.infer<typeof StatisticsJobParams>, job: JobContext): Promise<unknown> {
  const checked = StatisticsJobParams.parse(params);
  job.signal.throwIfAborted();
  // computeStatistics has no progress hook: report the start and the end.
  job.progress(0, 1, `computing statistics of ${checked.projectDir}`);
  const statistics = await computeStatistics(checked.projectDir);
  job.progress(1, 1, `${statistics.length} domain/channel statistics`);
  return { statistics };
}
