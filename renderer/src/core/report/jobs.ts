/** What the jobs panel shows of a job: progress fraction, ETA and durations as text, pausable kinds. */
import type { JobInfo } from '../../../../ipc/contract.ts';

const TERMINAL = new Set(['completed', 'cancelled', 'failed']);

export function isFinished(job: Pick<JobInfo, 'status'>): boolean {
  return TERMINAL.has(job.status);
}

/** done / total in 0..1, null when the job has not said how much there is (total 0). */
export function progressFraction(job: Pick<JobInfo, 'done' | 'total' | 'status'>): number | null {
  if (job.status === 'completed') return 1;
  if (!(job.total > 0)) return null;
  return Math.min(1, Math.max(0, job.done / job.total));
}

/** An ETA the engine reported with a job.progress event, and when it arrived (ms, same clock as `now`). */
export interface ReportedEta {
  etaSeconds: number;
  at: number;
}

/**
 * Seconds left: the engine's own estimate when it sent one (counted down since), else elapsed time scaled by the work
 * left. Null for finished, paused or queued jobs and before any progress.
 */
export function etaSeconds(job: Pick<JobInfo, 'status' | 'done' | 'total' | 'started'>, now: number, reported?: ReportedEta): number | null {
  if (job.status !== 'running') return null;
  if (reported) return Math.max(0, reported.etaSeconds - (now - reported.at) / 1000);
  const started = Date.parse(job.started);
  if (!(job.total > 0) || !(job.done > 0) || !Number.isFinite(started)) return null;
  const elapsed = Math.max(0, (now - started) / 1000);
  return (elapsed * (job.total - job.done)) / job.done;
}

/** '45 s', '3 min 05 s', '2 h 07 min'. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** File name of an exported report: report-<run>-<UTC yyyymmdd-hhmmss>.<ext>, safe for the data-plane route. */
export function reportFileName(runId: string, format: 'html' | 'pdf', date: Date): string {
  const stamp = date.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const run = runId.replace(/[^A-Za-z0-9._-]/g, '_');
  return `report-${run}-${stamp}.${format}`;
}
