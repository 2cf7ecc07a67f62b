/**
 * `segstation predict`: sliding-window inference of a file or of every case of a project with ONNX models, run in a
 * worker thread (progress on stderr, Ctrl-C cancels), with TTA, uncertainty and post-processing.
 */
import { startPredictionJob } from '../../inference/job.ts';
import type { PredictEvent, PredictRequest } from '../../inference/run.ts';
import { InputError } from '../../util/errors.ts';
import { parseCommandArgs } from '../args.ts';
import { formatNumber, printJson } from '../output.ts';

const COMMAND = 'predict';

function number(flag: string, text: string | undefined, min: number, max = Infinity, integer = false): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new InputError(`segstation ${COMMAND}`, `${flag} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max === Infinity ? '∞' : max}], got '${text}'`);
  }
  return n;
}

/** `--uncertainty mc:N|ensemble|tta` -> mode and MC passes. */
export function parseUncertainty(text: string | undefined): { uncertainty: 'none' | 'mc' | 'ensemble' | 'tta'; mcPasses?: number } {
  if (text === undefined || text === 'none') return { uncertainty: 'none' };
  if (text === 'ensemble' || text === 'tta') return { uncertainty: text };
  const mc = /^mc(?::(\d+))?$/.exec(text);
  if (mc) {
    const passes = mc[1] === undefined ? 8 : Number(mc[1]);
    if (passes < 2) throw new InputError(`segstation ${COMMAND}`, `--uncertainty mc:N needs N >= 2, got ${passes}`);
    return { uncertainty: 'mc', mcPasses: passes };
  }
  throw new InputError(`segstation ${COMMAND}`, `--uncertainty must be mc:N, ensemble or tta, got '${text}'`);
}

function parseRoi(text: string | undefined): [number, number, number] | undefined {
  if (text === undefined) return undefined;
  const parts = text.split(/[,x]/).map(Number);
  if (parts.length !== 3 || parts.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new InputError(`segstation ${COMMAND}`, `--roi must be three positive integers X,Y,Z, got '${text}'`);
  }
  return parts as [number, number, number];
}

function progressPrinter(): (event: PredictEvent) => void {
  let last = 0;
  return (event) => {
    if (event.type === 'log') process.stderr.write(`${event.message}\n`);
    else if (event.type === 'progress') {
      const now = Date.now();
      if (now - last < 1000 && event.done < event.total) return;
      last = now;
      const eta = Number.isFinite(event.etaMs) ? `, ETA ${formatNumber(event.etaMs / 1000, 3)} s` : '';
      process.stderr.write(
        `case ${event.caseIndex + 1}/${event.cases} ${event.caseId}: ${event.done}/${event.total} windows, ${formatNumber(event.windowsPerSecond, 3)} windows/s${eta}\n`,
      );
    }
  };
}

export async function predictCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs(COMMAND, argv, {
    model: { type: 'string', multiple: true },
    input: { type: 'string' },
    project: { type: 'string' },
    output: { type: 'string' },
    case: { type: 'string', multiple: true },
    'run-id': { type: 'string' },
    overlap: { type: 'string' },
    blend: { type: 'string' },
    tta: { type: 'string' },
    uncertainty: { type: 'string' },
    postprocess: { type: 'string' },
    provider: { type: 'string', multiple: true },
    roi: { type: 'string' },
    'slice-axis': { type: 'string' },
    'batch-size': { type: 'string' },
    'memory-budget': { type: 'string' },
    'in-memory': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length) throw new InputError(`segstation ${COMMAND}`, `unexpected argument '${positionals[0]}'`);
  if (!values.model?.length) throw new InputError(`segstation ${COMMAND}`, '--model is required');
  if ((values.input === undefined) === (values.project === undefined)) {
    throw new InputError(`segstation ${COMMAND}`, 'give exactly one of --input FILE or --project DIR');
  }
  if (values.input !== undefined && values.output === undefined) throw new InputError(`segstation ${COMMAND}`, '--output is required with --input');
  if (values.blend !== undefined && values.blend !== 'gaussian' && values.blend !== 'constant') {
    throw new InputError(`segstation ${COMMAND}`, `--blend must be gaussian or constant, got '${values.blend}'`);
  }
  if (values.tta !== undefined && values.tta !== 'flips' && values.tta !== 'none') {
    throw new InputError(`segstation ${COMMAND}`, `--tta must be flips or none, got '${values.tta}'`);
  }
  const sliceAxis = values['slice-axis'];
  if (sliceAxis !== undefined && sliceAxis !== 'x' && sliceAxis !== 'y' && sliceAxis !== 'z') {
    throw new InputError(`segstation ${COMMAND}`, `--slice-axis must be x, y or z, got '${sliceAxis}'`);
  }
  const overlap = number('--overlap', values.overlap, 0, 0.99);
  const batchSize = number('--batch-size', values['batch-size'], 1, 4096, true);
  const memoryBudgetMb = number('--memory-budget', values['memory-budget'], 16);
  const request: PredictRequest = {
    models: values.model,
    ...(values.provider ? { providers: values.provider.flatMap((p) => p.split(',')) } : {}),
    ...(values.input !== undefined ? { input: values.input } : {}),
    ...(values.project !== undefined ? { project: values.project } : {}),
    ...(values.output !== undefined ? { output: values.output } : {}),
    ...(values.case ? { cases: values.case } : {}),
    ...(values['run-id'] ? { runId: values['run-id'] } : {}),
    ...(overlap !== undefined ? { overlap } : {}),
    ...(values.blend ? { blend: values.blend as 'gaussian' | 'constant' } : {}),
    tta: values.tta === 'flips',
    ...parseUncertainty(values.uncertainty),
    ...(values.postprocess ? { postprocess: values.postprocess } : {}),
    ...(parseRoi(values.roi) ? { roi: parseRoi(values.roi) } : {}),
    ...(sliceAxis ? { sliceAxis: sliceAxis as 'x' | 'y' | 'z' } : {}),
    ...(batchSize !== undefined ? { batchSize } : {}),
    ...(memoryBudgetMb !== undefined ? { memoryBudgetMb } : {}),
    inMemory: values['in-memory'] ?? false,
  };
  const job = startPredictionJob(request, progressPrinter());
  const onSigint = () => {
    process.stderr.write('cancelling...\n');
    job.cancel();
  };
  process.once('SIGINT', onSigint);
  try {
    const summary = await job.done;
    if (values.json) {
      printJson(summary);
      return;
    }
    for (const c of summary.cases) {
      const score = c.uncertaintyScore !== undefined ? `, uncertainty ${formatNumber(c.uncertaintyScore, 4)}` : '';
      process.stdout.write(
        `${c.caseId}: ${c.windows} windows in ${formatNumber(c.ms / 1000, 3)} s (${c.mode}, peak RSS ${c.peakRssMb.toFixed(0)} MB${score})\n`,
      );
      for (const [name, file] of Object.entries(c.outputs)) process.stdout.write(`  ${name}: ${file}\n`);
      for (const step of c.postprocess ?? []) process.stdout.write(`  post-processing ${step.step}: ${step.changed} voxels changed\n`);
    }
    if (summary.runId) process.stdout.write(`run ${summary.runId}: ${summary.cases.length} case(s) predicted with ${summary.provider}\n`);
  } finally {
    process.off('SIGINT', onSigint);
  }
}
