/**
 * The bundled training configs (`resources/configs/*.yaml`) as presets for the training form: name (file name without
 * extension), file, the leading comment as a description, and the config as written (the form validates it).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { InputError, errorMessage } from '../util/errors.ts';
import { NotFoundError } from './errors.ts';

export const PRESETS_DIR = fileURLToPath(new URL('../../resources/configs/', import.meta.url));

export interface TrainingPreset {
  name: string;
  file: string;
  description: string;
  config: Record<string, unknown>;
}

/** The comment lines at the top of a YAML file, without their '#', joined with spaces. */
export function leadingComment(text: string): string {
  const lines: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.startsWith('#')) break;
    lines.push(line.replace(/^#\s?/, '').trim());
  }
  return lines.join(' ').trim();
}

export async function readPreset(file: string): Promise<TrainingPreset> {
  const text = await fs.readFile(file, 'utf8');
  let config: unknown;
  try {
    config = parse(text);
  } catch (error) {
    throw new InputError(file, `not valid YAML: ${errorMessage(error)}`);
  }
  if (config === null || typeof config !== 'object' || Array.isArray(config)) throw new InputError(file, 'a training config must be a YAML mapping');
  return { name: path.basename(file).replace(/\.ya?ml$/i, ''), file, description: leadingComment(text), config: config as Record<string, unknown> };
}

/** Every preset in `dir` sorted by name, or only `name` (NotFoundError when there is no such preset). */
export async function listPresets(name?: string, dir = PRESETS_DIR): Promise<TrainingPreset[]> {
  const files = (await fs.readdir(dir)).filter((f) => /\.ya?ml$/i.test(f)).sort();
  const chosen = name === undefined ? files : files.filter((f) => f.replace(/\.ya?ml$/i, '') === name);
  if (name !== undefined && chosen.length === 0) {
    throw new NotFoundError('name', `no training preset '${name}' (have ${files.map((f) => f.replace(/\.ya?ml$/i, '')).join(', ')})`);
  }
  return Promise.all(chosen.map((f) => readPreset(path.join(dir, f))));
}
