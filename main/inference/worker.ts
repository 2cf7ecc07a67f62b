/**
 * Worker-thread side of a prediction job (see job.ts): runs one request from workerData, posts events, then the
 * summary or the error; a 'cancel' message aborts the run between window batches.
 */
import { parentPort, workerData } from 'node:worker_threads';
import '../io/formats.ts';
import { errorMessage, isInputError } from '../util/errors.ts';
import { runPrediction, type PredictRequest } from './run.ts';
import type { WorkerMessage } from './job.ts';

const controller = new AbortController();
const port = parentPort;
if (!port) throw new Error('worker.ts must run in a worker thread');
const post = (message: WorkerMessage) => port.postMessage(message);
port.on('message', (message: { type: string }) => {
  if (message.type === 'cancel') controller.abort();
});

try {
  const summary = await runPrediction(workerData as PredictRequest, { signal: controller.signal, onEvent: (event) => post({ type: 'event', event }) });
  post({ type: 'done', summary });
} catch (error) {
  post({
    type: 'error',
    message: errorMessage(error),
    cancelled: controller.signal.aborted,
    ...(isInputError(error) ? { input: { subject: error.subject, problem: error.problem } } : {}),
  });
} finally {
  port.close();
}
