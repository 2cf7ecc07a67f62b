/**
 * Checks of a training config for the engine's event loop: the config module (and the loss modules it pulls in) is
 * loaded on first use, so an engine that never trains never loads it.
 */
import type { ConfigIssue } from '../../../ipc/contract.ts';
import { InputError } from '../../util/errors.ts';

/** Every problem of a config, with dotted fields; the parsed config (defaults filled in) when there is none. */
export async function checkTrainingConfig(config: unknown): Promise<{ config: Record<string, unknown> | null; issues: ConfigIssue[] }> {
  const { TrainingConfigSchema, formatIssue } = await import('../../training/config/index.ts');
  let result;
  try {
    result = TrainingConfigSchema.safeParse(config);
  } catch (error) {
    return { config: null, issues: [{ field: '(top level)', problem: error instanceof Error ? error.message : String(error) }] };
  }
  if (result.success) return { config: result.data as Record<string, unknown>, issues: [] };
  return { config: null, issues: result.error.issues.map((issue) => formatIssue(issue, config)) };
}

/** Precheck of the 'train' job kind: a bad config fails job.start with an input error naming params.config.<field>. */
export async function precheckTrainParams(params: { config?: Record<string, unknown> }): Promise<void> {
  if (!params.config) return;
  const { issues } = await checkTrainingConfig(params.config);
  if (issues.length > 0) {
    const first = issues[0];
    throw new InputError(first.field === '(top level)' ? 'params.config' : `params.config.${first.field}`, first.problem);
  }
}

/** The training config's JSON Schema (input side, so fields with defaults are optional) and the defaults of a minimal config. */
export async function trainingConfigSchema(): Promise<{ jsonSchema: Record<string, unknown>; defaults: Record<string, unknown> }> {
  const { z } = await import('zod');
  const { TrainingConfigSchema } = await import('../../training/config/index.ts');
  const jsonSchema = z.toJSONSchema(TrainingConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  // patchSize is the one required field; the defaults shown are those of the smallest valid config.
  const defaults = TrainingConfigSchema.parse({ patchSize: [64, 64] }) as Record<string, unknown>;
  const { patchSize: _patchSize, ...rest } = defaults;
  return { jsonSchema, defaults: rest };
}
