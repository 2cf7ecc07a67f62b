/**
 * A training run in a child process: the UI and the CLI stay responsive, a crash cannot take them down, and a run
 * killed outright (SIGKILL) leaves its last checkpoint to resume from. Events arrive over IPC.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../util/errors.ts';
import type { ChildMessage, ParentMessage } from './child.ts';
import type { TrainingEvent } from './events.ts';
import type { TrainOptions } from './trainer.ts';
import { tsxExecArgv } from './tsx.ts';

export type TrainProcessOptions = Omit<TrainOptions, 'onEvent' | 'control'>;

export interface RunOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The last 'end' event, when the run ended normally. */
  end: Extract<TrainingEvent, { type: 'end' }> | null;
  /** The failure the child reported. */
  failure: { message: string; input: boolean } | null;
}

export class TrainingProcess extends EventEmitter<{ event: [TrainingEvent] }> {
  readonly child: ChildProcess;
  readonly done: Promise<RunOutcome>;
  runId: string | null = null;

  constructor(options: TrainProcessOptions, env: NodeJS.ProcessEnv = process.env) {
    super();
    const entry = fileURLToPath(new URL('./child.ts', import.meta.url));
    this.child = fork(entry, [JSON.stringify(options)], { execArgv: tsxExecArgv(), env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let end: RunOutcome['end'] = null;
    let failure: RunOutcome['failure'] = null;
    this.child.on('message', (message: ParentMessage) => {
      if (message.type === 'event') {
        if (message.event.type === 'start') this.runId = message.event.runId;
        if (message.event.type === 'end') end = message.event;
        this.emit('event', message.event);
      } else if (message.type === 'failed') failure = { message: message.message, input: message.input };
    });
    this.done = new Promise((resolve, reject) => {
      this.child.once('error', reject);
      this.child.once('exit', (exitCode, signal) => resolve({ exitCode, signal, end, failure }));
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private send(message: ChildMessage): void {
    if (this.child.connected) this.child.send(message);
  }
  pause(): void {
    this.send({ type: 'pause' });
  }
  resume(): void {
    this.send({ type: 'resume' });
  }
  cancel(): void {
    this.send({ type: 'cancel' });
  }
}

/** Starts a run in a child process. */
export function startTraining(options: TrainProcessOptions): TrainingProcess {
  return new TrainingProcess(options);
}

/** Runs to the end; a failure reported by the child is rethrown (InputError for bad input). */
export async function runTraining(options: TrainProcessOptions, onEvent?: (event: TrainingEvent) => void): Promise<RunOutcome> {
  const run = startTraining(options);
  if (onEvent) run.on('event', onEvent);
  return throwIfFailed(await run.done);
}

/** Rethrows a failure the child reported (InputError for bad input) or an abnormal exit; else returns the outcome. */
export function throwIfFailed(outcome: RunOutcome): RunOutcome {
  if (outcome.failure) {
    if (outcome.failure.input) {
      const [subject, ...rest] = outcome.failure.message.split(': ');
      throw new InputError(subject, rest.join(': '));
    }
    throw new Error(outcome.failure.message);
  }
  if (outcome.exitCode !== 0) throw new Error(`the training process ended with ${outcome.signal ?? `exit code ${outcome.exitCode}`}`);
  return outcome;
}
