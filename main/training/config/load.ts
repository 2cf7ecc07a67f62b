/** Reading and validating training configs: YAML or JSON, every problem an InputError naming the file and field. */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { errorMessage, InputError } from '../../util/errors.ts';
import { TrainingConfigSchema, type TrainingConfig } from './schema.ts';

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? `the string ${JSON.stringify(value)}` : `${typeof value} ${JSON.stringify(value)}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** One clear sentence for a zod issue: which field, what is wrong, what was given. */
export function formatIssue(issue: z.core.$ZodIssue, input: unknown): { field: string; problem: string } {
  // Unions (loss terms, optimisers) report the branch that got furthest.
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const best = issue.errors
      .filter((b) => b.length > 0)
      .map((b) => b[0])
      .sort((a, b) => b.path.length - a.path.length)[0];
    if (best && best.path.length > 0) return formatIssue({ ...best, path: [...issue.path, ...best.path] } as z.core.$ZodIssue, input);
  }
  const field = issue.path.map(String).join('.') || '(top level)';
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys;
    return { field: [field === '(top level)' ? '' : field, keys[0]].filter(Boolean).join('.'), problem: `unknown key${keys.length > 1 ? `s ${keys.join(', ')}` : ''}` };
  }
  if (issue.code === 'invalid_type') {
    const given = valueAt(input, issue.path);
    return { field, problem: given === undefined ? `is required (${issue.expected})` : `must be ${issue.expected}, got ${describe(given)}` };
  }
  if (issue.code === 'too_small' || issue.code === 'too_big') {
    return { field, problem: `${issue.message.replace(/^Too (small|big): expected \w+ to /, 'must ')}, got ${describe(valueAt(input, issue.path))}` };
  }
  return { field, problem: issue.message };
}

/** Validates a config object; `what` names its source (a file) in errors. */
export function parseTrainingConfig(value: unknown, what = 'config'): TrainingConfig {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InputError(what, 'must be a mapping of settings (JSON object or YAML mapping)');
  let result;
  try {
    result = TrainingConfigSchema.safeParse(value);
  } catch (error) {
    throw new InputError(what, errorMessage(error));
  }
  if (result.success) return result.data;
  const { field, problem } = formatIssue(result.error.issues[0], value);
  throw new InputError(`${what}: ${field}`, problem);
}

export async function loadTrainingConfig(file: string): Promise<TrainingConfig> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new InputError(file, `cannot read the config: ${errorMessage(error)}`);
  }
  let value: unknown;
  try {
    value = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new InputError(file, `not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${errorMessage(error).split('\n')[0]}`);
  }
  return parseTrainingConfig(value, file);
}

/** SHA-256 of the validated config's canonical JSON (sorted keys), recorded in runs and model cards. */
export function configHash(config: TrainingConfig): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canonical) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])])) : v;
  return createHash('sha256').update(JSON.stringify(canonical(config))).digest('hex');
}
