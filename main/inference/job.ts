/**
 * Prediction jobs off the event loop: `startPredictionJob` runs a request in a worker thread and forwards its events
 * (provider, window progress with windows/s and ETA, per-case telemetry with time and peak RSS); `cancel()` stops it
 * between window batches and leaves no partial output. `runPredictJob` is the same work as a runner for the
 * engine's job manager (main/services/jobs.ts, kind 'predict').
 */
import { Worker } from 'node:worker_threads';
import { InputError } from '../util/errors.ts';
import { CancelledError } from './slidingWindow/stitcher.ts';
import { PredictRequestSchema, runPrediction, type PredictEvent, type PredictRequest, type PredictSummary } from './run.ts';

export type WorkerMessage =
  | { type: 'event'; event: PredictEvent }
  | { type: 'done'; summary: PredictSummary }
  | { type: 'error'; message: string; cancelled: boolean; input?: { subject: string; problem: string } };

export interface PredictionJob {
  /** Resolves with the summary; rejects with an InputError for bad input, a CancelledError when cancelled. */
  readonly done: Promise<PredictSummary>;
  cancel(): void;
}

export function startPredictionJob(request: PredictRequest, onEvent: (event: PredictEvent) => void = () => undefined): PredictionJob {
  // Validate here so that a bad option fails before a thread starts.
  const parsed = PredictRequestSchema.safeParse(request);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const failed = Promise.reject(new InputError(`segstation predict ${issue.path.length ? `--${issue.path.join('.')}` : ''}`.trim(), issue.message));
    return { done: failed, cancel: () => undefined };
  }
  const worker = new Worker(new URL('./workerEntry.mjs', import.meta.url), { workerData: request });
  let settled = false;
  const done = new Promise<PredictSummary>((resolve, reject) => {
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'event') onEvent(message.event);
      else if (message.type === 'done') {
        settled = true;
        resolve(message.summary);
      } else {
        settled = true;
        if (message.cancelled) reject(new CancelledError('prediction cancelled'));
        else if (message.input) reject(new InputError(message.input.subject, message.input.problem));
        else reject(new Error(message.message));
      }
    });
    worker.on('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`prediction worker exited with code ${code} before finishing`));
    });
  });
  return { done, cancel: () => worker.postMessage({ type: 'cancel' }) };
}

/** Minimal view of the engine's JobContext (main/services/jobs.ts), so this module does not depend on it. */
export interface PredictJobContext {
  progress(done: number, total: number, message?: string): void;
  signal: AbortSignal;
}

/** Runner for the engine's job manager: progress counts windows over all cases. */
export async function runPredictJob(params: PredictRequest, job: PredictJobContext): Promise<PredictSummary> {
  return runPrediction(params, {
    signal: job.signal,
    onEvent: (event) => {
      if (event.type === 'progress') {
        const eta = Number.isFinite(event.etaMs) ? `, ETA ${(event.etaMs / 1000).toFixed(0)} s` : '';
        job.progress(event.done, event.total, `case ${event.caseIndex + 1}/${event.cases} ${event.caseId}: ${event.windowsPerSecond.toFixed(1)} windows/s${eta}`);
      }
    },
  });
}
