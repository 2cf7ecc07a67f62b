/**
 * `segstation evaluate --pred FILE --truth FILE [--probabilities FILE] [--classes 1,2] [--tolerance MM] [--json]`
 * `segstation evaluate DIR --run ID [--csv OUT] [--seed S] [--json]`
 */
import { evaluate, evaluateRun, jsonSafe, type Evaluation, type RunEvaluation } from '../../evaluation/index.ts';
import { readVolume } from '../../io/registry.ts';
import { CLASS_METRIC_NAMES } from '../../metrics/allMetrics.ts';
import { InputError } from '../../util/errors.ts';
import { parseCommandArgs, parseIntegerOption, requireString } from '../args.ts';
import { formatNumber, printJson } from '../output.ts';

const USAGE = 'usage: segstation evaluate --pred FILE --truth FILE [--json] | segstation evaluate DIR --run ID [--csv OUT]';

function positiveNumber(value: unknown, flag: string): number {
  const text = requireString('evaluate', value, flag);
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new InputError('segstation evaluate', `${flag} must be a number >= 0, got '${text}'`);
  return n;
}

function parseClasses(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  const out = parts.map(Number);
  if (parts.some((s) => s === '') || out.some((v) => !Number.isInteger(v) || v < 0)) {
    throw new InputError('segstation evaluate', `--classes must be comma-separated label values, got '${value}'`);
  }
  return out;
}

export async function evaluateCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs('evaluate', argv, {
    pred: { type: 'string' },
    truth: { type: 'string' },
    probabilities: { type: 'string' },
    classes: { type: 'string' },
    tolerance: { type: 'string' },
    'boundary-distance': { type: 'string' },
    run: { type: 'string' },
    csv: { type: 'string' },
    seed: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  const metricOptions = {
    ...(values.tolerance !== undefined ? { surfaceTolerance: positiveNumber(values.tolerance, '--tolerance') } : {}),
    ...(values['boundary-distance'] !== undefined ? { boundaryDistance: positiveNumber(values['boundary-distance'], '--boundary-distance') } : {}),
  };
  if (positionals.length === 0) {
    if (values.run !== undefined || values.csv !== undefined) throw new InputError('segstation evaluate', `--run and --csv need a project DIR; ${USAGE}`);
    const predFile = requireString('evaluate', values.pred, '--pred');
    const truthFile = requireString('evaluate', values.truth, '--truth');
    const [pred, truth, probabilities] = await Promise.all([
      readVolume(predFile),
      readVolume(truthFile),
      values.probabilities ? readVolume(values.probabilities) : undefined,
    ]);
    const result = evaluate(pred, truth, {
      ...metricOptions,
      ...(values.classes ? { classes: parseClasses(values.classes) } : {}),
      ...(probabilities ? { probabilities } : {}),
      names: { pred: predFile, truth: truthFile, ...(values.probabilities ? { probabilities: values.probabilities } : {}) },
    });
    if (values.json) printJson(jsonSafe(result));
    else process.stdout.write(formatEvaluation(result));
    return;
  }
  if (positionals.length !== 1 || values.pred !== undefined || values.truth !== undefined) throw new InputError('segstation evaluate', USAGE);
  const runId = requireString('evaluate', values.run, '--run');
  const result = await evaluateRun(positionals[0], runId, {
    ...metricOptions,
    ...(values.csv ? { csv: values.csv } : {}),
    ...(values.seed !== undefined ? { seed: parseIntegerOption('evaluate', values.seed, '--seed', 0) } : {}),
  });
  if (values.json) printJson(jsonSafe({ id: result.id, runId: result.runId, created: result.created, seed: result.seed, skipped: result.skipped, files: result.files, summary: result.summary }));
  else process.stdout.write(formatRun(result));
}

const SHOWN = ['dice', 'iou', 'hd95', 'assd', 'surface_dice', 'boundary_iou'] as const;

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `  ${r.map((c, i) => c.padStart(widths[i])).join('  ')}`;
  return [line(header), ...rows.map(line)].join('\n');
}

export function formatEvaluation(e: Evaluation): string {
  const rows = e.classes.map((c) => [String(c.value), ...CLASS_METRIC_NAMES.map((n) => formatNumber(c.metrics[n], 4))]);
  const lines = [`Evaluation on a [${e.shape.join(', ')}] grid, spacing [${e.spacing.join(', ')}] (distances in its unit)`];
  lines.push(table(['class', ...CLASS_METRIC_NAMES], rows));
  if (e.calibration) lines.push(`  calibration: ECE ${formatNumber(e.calibration.ece, 4)} (${e.calibration.bins} bins), Brier ${formatNumber(e.calibration.brier, 4)}`);
  return `${lines.join('\n')}\n`;
}

function formatRun(r: RunEvaluation): string {
  const lines = [`Evaluated run '${r.runId}': ${r.cases.length} case(s) (evaluation ${r.id})`];
  for (const s of r.skipped) lines.push(`  skipped ${s.caseId}: ${s.reason}`);
  const rows = r.summary
    .filter((s) => (SHOWN as readonly string[]).includes(s.metric))
    .map((s) => [s.className, s.metric, String(s.n), formatNumber(s.mean, 4), formatNumber(s.median, 4), formatNumber(s.std, 4), `[${formatNumber(s.ciLow, 4)}, ${formatNumber(s.ciHigh, 4)}]`]);
  lines.push(table(['class', 'metric', 'n', 'mean', 'median', 'std', '95% CI'], rows));
  lines.push(`  per-case CSV  ${r.files.cases}`, `  summary       ${r.files.summaryJson}`);
  return `${lines.join('\n')}\n`;
}
