/**
 * Job kind 'train': one training run (main/training/runs/trainer.ts) inside the job's child process. Pausable: a
 * pause holds the run between two steps with everything in memory; cancel stops it at the next step and keeps the
 * last epoch's checkpoint, from which a later job with `resume: runId` continues. Telemetry goes out as
 * 'training.progress' events (step events throttled), progress as steps over the whole run.
 */
import type { TrainJobParams } from '../../../ipc/contract.ts';
import { TrainJobParamsSchema } from '../../../ipc/contract.ts';
import type { TrainingEvent } from '../../training/runs/events.ts';
import { train, type RunControl } from '../../training/runs/trainer.ts';
import type { JobContext, JobEventPayload } from '../jobs.ts';

type TrainingPayload = JobEventPayload<'training.progress'>;

/** A finite number, or null (JSON cannot carry NaN or infinities). */
function num(v: number | null | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function numbers(record: Record<string, number>): Record<string, number | null> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, num(v)]));
}

/** The contract's payload for a trainer event (null for events that have none: errors surface as the job's failure). */
export function trainingPayload(event: TrainingEvent, totalSteps: number): TrainingPayload | null {
  switch (event.type) {
    case 'start':
      return {
        type: 'start',
        runId: event.runId,
        fold: event.fold,
        backend: event.backend.name,
        batchSize: event.batchSize,
        parameters: event.parameters,
        trainCases: event.trainCases,
        valCases: event.valCases,
        epochs: event.epochs,
        stepsPerEpoch: event.stepsPerEpoch,
        resumedFrom: event.resumedFrom,
      };
    case 'step':
      return {
        type: 'step',
        runId: event.runId,
        epoch: event.epoch,
        step: event.step,
        totalSteps,
        stepInEpoch: event.stepInEpoch,
        stepsPerEpoch: event.stepsPerEpoch,
        loss: num(event.loss),
        terms: numbers(event.terms),
        lr: num(event.lr),
        gradNorm: num(event.gradNorm),
        voxelsPerSecond: num(event.voxelsPerSecond),
        etaSeconds: num(event.etaSeconds),
        memoryBytes: Math.max(0, event.memoryBytes),
      };
    case 'epoch':
      return {
        type: 'epoch',
        runId: event.runId,
        epoch: event.epoch,
        step: event.step,
        metrics: numbers(event.metrics),
        valDice: event.valDice ? numbers(event.valDice) : null,
        valDiceMean: num(event.valDiceMean),
        best: event.best,
        seconds: Math.max(0, event.seconds),
      };
    case 'samples':
      return { type: 'samples', runId: event.runId, epoch: event.epoch, step: event.step, files: event.files, cases: event.cases };
    case 'checkpoint':
      return { type: 'checkpoint', runId: event.runId, kind: event.kind, epoch: event.epoch, step: event.step };
    case 'paused':
    case 'resumed':
      return { type: event.type, runId: event.runId, epoch: event.epoch, step: event.step };
    case 'end':
      return {
        type: 'end',
        runId: event.runId,
        status: event.status,
        epoch: event.epoch,
        step: event.step,
        bestDice: num(event.bestDice),
        bestEpoch: event.bestEpoch,
        seconds: Math.max(0, event.seconds),
      };
    default:
      return null;
  }
}

/**
 * Passes every event on but at most `perSecond` step events a second; a held-back step goes out before the next
 * event of another type, so each epoch's last step is always seen.
 */
export class StepThrottle {
  readonly #minGapMs: number;
  readonly #send: (payload: TrainingPayload) => void;
  #last = -Infinity;
  #held: TrainingPayload | null = null;

  constructor(perSecond: number, send: (payload: TrainingPayload) => void) {
    this.#minGapMs = 1000 / perSecond;
    this.#send = send;
  }

  push(payload: TrainingPayload, now = performance.now()): void {
    if (payload.type !== 'step') {
      this.flush();
      this.#send(payload);
      return;
    }
    if (now - this.#last >= this.#minGapMs) {
      this.#last = now;
      this.#held = null;
      this.#send(payload);
    } else {
      this.#held = payload;
    }
  }

  flush(): void {
    if (this.#held) this.#send(this.#held);
    this.#held = null;
  }
}

export async function run(params: TrainJobParams, job: JobContext): Promise<unknown> {
  const p = TrainJobParamsSchema.parse(params);
  job.signal.throwIfAborted();
  const control: RunControl = {
    get paused() {
      return job.control.paused;
    },
    get cancelled() {
      return job.signal.aborted;
    },
    changed: () => job.control.changed(),
  };
  let totalSteps = 0;
  const throttle = new StepThrottle(p.stepEventsPerSecond ?? 10, (payload) => job.emit('training.progress', payload));
  const onEvent = (event: TrainingEvent): void => {
    if (event.type === 'start') {
      totalSteps = event.epochs * event.stepsPerEpoch;
      job.progress(event.resumedFrom?.step ?? 0, totalSteps, `run ${event.runId} started on ${event.backend.name}`);
    } else if (event.type === 'step') {
      job.progress(event.step, totalSteps, `epoch ${event.epoch + 1}, step ${event.stepInEpoch}/${event.stepsPerEpoch}, loss ${event.loss.toFixed(4)}`);
    }
    const payload = trainingPayload(event, totalSteps);
    if (payload) throttle.push(payload);
  };
  const result = await train({
    project: p.projectDir,
    ...(p.config ? { config: p.config } : {}),
    ...(p.fold !== undefined ? { fold: p.fold } : {}),
    ...(p.resume ? { resume: p.resume } : {}),
    ...(p.backend ? { backend: p.backend } : {}),
    ...(p.runId ? { runId: p.runId } : {}),
    control,
    onEvent,
  });
  throttle.flush();
  const { history: _history, ...summary } = result;
  return summary;
}
