/**
 * The ONNX model of a trained run, so that a prediction can name a run instead of model files: `runs/<id>/model.onnx`
 * (with its card beside it), exported from the run's best checkpoint (else its last) when missing or older than that
 * checkpoint. MC-dropout needs dropout kept active, which the plain export drops, so it gets its own file
 * (`model.mc.onnx`). The export module loads tfjs, so it is imported only when an export is needed.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { InputError } from '../util/errors.ts';
import { cardPathFor } from './modelCard.ts';

export interface RunModelOptions {
  /** Keep dropout active (ONNX Dropout with training_mode) for MC-dropout passes. */
  mcDropout?: boolean;
}

/** Where a run's exported model lives. */
export function runModelPath(project: string, runId: string, options: RunModelOptions = {}): string {
  return path.join(project, 'runs', runId, options.mcDropout ? 'model.mc.onnx' : 'model.onnx');
}

/** The checkpoint folder a run's model is exported from: best, else last; null when the run has neither. */
export function runCheckpoint(project: string, runId: string): string | null {
  for (const kind of ['best', 'last']) {
    const dir = path.join(project, 'runs', runId, 'checkpoints', kind);
    if (existsSync(path.join(dir, 'card.json'))) return dir;
  }
  return null;
}

async function mtime(file: string): Promise<number> {
  try {
    return (await fs.stat(file)).mtimeMs;
  } catch {
    return -1;
  }
}

/** Returns the run's ONNX model, exporting it first when it is missing or stale. */
export async function ensureRunModel(project: string, runId: string, options: RunModelOptions = {}): Promise<string> {
  if (!/^[\w.-]+$/.test(runId)) throw new InputError('runId', 'letters, digits, _ . - only');
  const checkpoint = runCheckpoint(project, runId);
  if (!checkpoint) {
    throw new InputError(`run ${runId}`, `has no checkpoint (${path.join(project, 'runs', runId, 'checkpoints', 'best|last')}/card.json): train it first`);
  }
  const file = runModelPath(project, runId, options);
  const exported = Math.min(await mtime(file), await mtime(cardPathFor(file)));
  const trained = Math.max(await mtime(path.join(checkpoint, 'card.json')), await mtime(path.join(checkpoint, 'weights.bin')));
  if (exported < 0 || exported < trained) {
    const { exportTrainedModel } = await import('./onnx/export.ts');
    await exportTrainedModel(checkpoint, file, { mcDropout: options.mcDropout === true });
  }
  return file;
}
