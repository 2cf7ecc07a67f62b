/** Waiting for an engine job of the project workspace to end, from the jobs store (kept live by job events). */
import type { JobInfo } from '../../../ipc/contract.ts';
import { useJobsStore } from './jobs.ts';

const TERMINAL = new Set(['completed', 'cancelled', 'failed']);

export function isFinished(job: JobInfo | undefined): boolean {
  return job !== undefined && TERMINAL.has(job.status);
}

/** Resolves with the job once it has completed, been cancelled or failed. */
export function whenJobEnds(jobId: string): Promise<JobInfo> {
  const jobs = useJobsStore();
  return new Promise((resolve) => {
    let stop: (() => void) | null = null;
    const check = (): boolean => {
      const job = jobs.byId[jobId];
      if (!isFinished(job)) return false;
      stop?.();
      resolve(job!);
      return true;
    };
    if (check()) return;
    stop = jobs.$subscribe(() => void check(), { flush: 'sync', detached: true });
    // A job that ended before the store heard of it shows up on the next refresh.
    void jobs.refresh().then(() => check());
  });
}
