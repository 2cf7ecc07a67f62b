/**
 * Entry point of a training child process (started by process.ts): runs train() with the options from argv[2] (JSON),
 * sends every event to the parent over IPC, and obeys 'pause', 'resume' and 'cancel' messages. Exit code 0 when the
 * run ended (completed, stopped early or cancelled), 2 for bad input, 1 for other failures.
 */
import * as tf from '@tensorflow/tfjs-core';
import { errorMessage, isInputError } from '../../util/errors.ts';
import type { TrainingEvent } from './events.ts';
import { train, type RunControl, type TrainOptions } from './trainer.ts';

export type ChildMessage = { type: 'pause' } | { type: 'resume' } | { type: 'cancel' };
export type ParentMessage = { type: 'event'; event: TrainingEvent } | { type: 'failed'; message: string; input: boolean };

const send = (message: ParentMessage): void => {
  process.send?.(message);
};

// Production mode: no tfjs debug checks, and no console advert for tfjs-node on the CLI's stderr.
tf.env().set('PROD', true);

async function main(): Promise<number> {
  const options = JSON.parse(process.argv[2] ?? '{}') as Omit<TrainOptions, 'onEvent' | 'control'>;
  let wake: (() => void) | null = null;
  const control: RunControl = {
    paused: false,
    cancelled: false,
    changed: () => new Promise<void>((resolve) => (wake = resolve)),
  };
  process.on('message', (message: ChildMessage) => {
    if (message.type === 'pause') control.paused = true;
    if (message.type === 'resume') control.paused = false;
    if (message.type === 'cancel') control.cancelled = true;
    wake?.();
    wake = null;
  });
  // The parent went away (the CLI was killed): stop cleanly rather than train on unobserved.
  process.on('disconnect', () => {
    control.cancelled = true;
    wake?.();
  });
  process.on('SIGTERM', () => {
    control.cancelled = true;
    wake?.();
  });
  try {
    await train({ ...options, control, onEvent: (event) => send({ type: 'event', event }) });
    return 0;
  } catch (error) {
    send({ type: 'failed', message: errorMessage(error), input: isInputError(error) });
    if (process.env.SEGSTATION_DEBUG) console.error(error);
    return isInputError(error) ? 2 : 1;
  }
}

main().then(
  (code) => {
    process.disconnect?.();
    process.exitCode = code;
  },
  () => {
    process.exitCode = 1;
  },
);
