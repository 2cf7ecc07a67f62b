/**
 * Entry of a job's child process (see jobs.ts): receives one 'run' message, imports the runner module, runs it and
 * reports progress, then the result or the error, and exits. A 'cancel' message aborts the runner's signal; 'pause'
 * and 'resume' set the runner's control.
 */
import '../io/formats.ts';
import type { FromWorker, JobContext, JobControl, JobRunner, ToWorker } from './jobs.ts';
import { errorMessage } from '../util/errors.ts';

const PROGRESS_INTERVAL_MS = 50;

function send(message: FromWorker): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

const controller = new AbortController();
let started = false;
let paused = false;
let wakers: (() => void)[] = [];
const wake = (): void => {
  const waiting = wakers;
  wakers = [];
  for (const w of waiting) w();
};
const control: JobControl = {
  get paused() {
    return paused;
  },
  changed: () => new Promise<void>((resolve) => wakers.push(resolve)),
};
controller.signal.addEventListener('abort', wake);

process.on('message', (message: ToWorker) => {
  if (message.type === 'cancel') {
    controller.abort(new Error('cancelled'));
    return;
  }
  if (message.type === 'pause' || message.type === 'resume') {
    paused = message.type === 'pause';
    wake();
    return;
  }
  if (message.type !== 'run' || started) return;
  started = true;
  void run(message.module, message.exportName, message.params);
});
process.on('disconnect', () => controller.abort(new Error('engine went away')));

async function run(module: string, exportName: string, params: unknown): Promise<void> {
  let last = 0;
  let pendingProgress: FromWorker | null = null;
  const job: JobContext = {
    signal: controller.signal,
    control,
    emit(event, payload) {
      void send({ type: 'event', event, payload });
    },
    progress(done, total, message = '') {
      pendingProgress = { type: 'progress', done, total, message };
      const now = Date.now();
      if (now - last >= PROGRESS_INTERVAL_MS || done >= total) {
        last = now;
        void send(pendingProgress);
        pendingProgress = null;
      }
    },
  };
  let exitCode = 0;
  try {
    const loaded = (await import(module)) as Record<string, unknown>;
    const runner = loaded[exportName];
    if (typeof runner !== 'function') throw new Error(`${module} has no function export '${exportName}'`);
    const result = await (runner as JobRunner<unknown>)(params, job);
    if (pendingProgress) await send(pendingProgress);
    await send({ type: 'result', result: result ?? null });
  } catch (error) {
    exitCode = 1;
    await send({ type: 'error', message: errorMessage(error), cancelled: controller.signal.aborted });
  }
  // Exit even if the runner left timers or handles open: the engine finishes the job on this process's exit.
  process.exit(exitCode);
}
