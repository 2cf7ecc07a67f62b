/** `segstation train DIR --config FILE [--fold K] [--resume RUN] [--backend cpu|webgpu|tensorflow] [--json]` */
import { parseBackendPreference } from '../../training/backend/index.ts';
import { loadTrainingConfig } from '../../training/config/index.ts';
import { loadTrainingSet } from '../../training/data/project.ts';
import { describeEvent } from '../../training/runs/describe.ts';
import { startTraining, throwIfFailed, type TrainProcessOptions } from '../../training/runs/process.ts';
import { InputError } from '../../util/errors.ts';
import { parseCommandArgs, parseIntegerOption } from '../args.ts';

export async function trainCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs('train', argv, {
    config: { type: 'string' },
    fold: { type: 'string' },
    resume: { type: 'string' },
    backend: { type: 'string' },
    'no-prefetch': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length !== 1) throw new InputError('segstation train', 'usage: segstation train DIR --config FILE [--fold K] [--resume RUN] [--backend cpu|webgpu|tensorflow] [--json]');
  const project = positionals[0];
  if (!values.config && !values.resume) throw new InputError('segstation train', '--config is required (or --resume RUN)');
  if (values.config && values.resume) throw new InputError('segstation train', '--config and --resume exclude each other: a resumed run keeps its config');
  const options: TrainProcessOptions = { project, prefetch: !values['no-prefetch'] };
  if (values.backend) options.backend = parseBackendPreference(values.backend, '--backend');
  if (values.resume) options.resume = values.resume;
  else {
    // Everything that can be checked is checked here, before the training process starts.
    options.config = await loadTrainingConfig(values.config as string);
    options.fold = values.fold === undefined ? 0 : parseIntegerOption('train', values.fold, '--fold', 0);
    await loadTrainingSet(project, options.fold);
  }
  const tty = !values.json && Boolean(process.stdout.isTTY);
  const run = startTraining(options);
  const stop = (): void => run.cancel();
  process.once('SIGINT', stop);
  run.on('event', (event) => {
    if (values.json) {
      process.stdout.write(`${JSON.stringify(event)}\n`);
      return;
    }
    const line = describeEvent(event, tty);
    if (line !== null) process.stdout.write(event.type === 'step' ? line : `${line}\n`);
  });
  const outcome = await run.done;
  process.removeListener('SIGINT', stop);
  throwIfFailed(outcome);
}
