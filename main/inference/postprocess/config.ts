/**
 * Post-processing configuration (a JSON file, zod-validated) and the pipeline that runs its steps in order.
 *
 * {
 *   "connectivity": 26,
 *   "steps": [
 *     { "op": "keepLargest", "classes": [1] },
 *     { "op": "minSize", "voxels": 50 },
 *     { "op": "fillHoles", "classes": [1, 2] },
 *     { "op": "adjacency", "forbidden": [[1, 3]], "maxIterations": 10 }
 *   ]
 * }
 * `classes` defaults to every non-background class present. Adjacency takes either `allowed` (a full K x K matrix
 * of booleans) or `forbidden` (class pairs that may not share a face; all others may).
 */
import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { InputError } from '../../util/errors.ts';
import type { Vec3 } from '../../volume/volume.ts';
import type { Connectivity } from './components.ts';
import { enforceAdjacency, fillHoles, keepLargest, removeSmall, type StepReport } from './operations.ts';

const connectivity = z.union([z.literal(6), z.literal(18), z.literal(26)]);
const classList = z.array(z.number().int().min(1).max(255)).min(1).optional();

export const PostprocessStepSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('keepLargest'), classes: classList, connectivity: connectivity.optional() }),
  z.object({ op: z.literal('minSize'), voxels: z.number().int().min(1), classes: classList, connectivity: connectivity.optional() }),
  z.object({ op: z.literal('fillHoles'), classes: classList, backgroundConnectivity: connectivity.default(6) }),
  z
    .object({
      op: z.literal('adjacency'),
      allowed: z.array(z.array(z.boolean())).optional(),
      forbidden: z.array(z.tuple([z.number().int().min(0).max(255), z.number().int().min(0).max(255)])).optional(),
      maxIterations: z.number().int().min(1).max(1000).default(10),
    })
    .refine((s) => (s.allowed === undefined) !== (s.forbidden === undefined), { message: 'give exactly one of allowed or forbidden' }),
]);
export type PostprocessStep = z.infer<typeof PostprocessStepSchema>;

export const PostprocessConfigSchema = z.object({
  connectivity: connectivity.default(26),
  steps: z.array(PostprocessStepSchema).min(1),
});
export type PostprocessConfig = z.infer<typeof PostprocessConfigSchema>;

export function parsePostprocessConfig(value: unknown, subject: string): PostprocessConfig {
  const parsed = PostprocessConfigSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(subject, `invalid post-processing config: ${issue.path.join('.') || 'config'}: ${issue.message}`);
  }
  return parsed.data;
}

export async function loadPostprocessConfig(file: string): Promise<PostprocessConfig> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new InputError(file, 'post-processing config not found');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InputError(file, `post-processing config is not valid JSON: ${(error as Error).message}`);
  }
  return parsePostprocessConfig(json, file);
}

/** Allowed-adjacency matrix of a step for K classes. */
export function adjacencyMatrix(step: Extract<PostprocessStep, { op: 'adjacency' }>, classes: number, subject = 'adjacency'): boolean[][] {
  if (step.allowed) {
    if (step.allowed.length !== classes || step.allowed.some((row) => row.length !== classes)) {
      throw new InputError(subject, `allowed must be a ${classes} x ${classes} matrix (one row and column per class)`);
    }
    return step.allowed.map((row) => [...row]);
  }
  const m = Array.from({ length: classes }, () => Array<boolean>(classes).fill(true));
  for (const [a, b] of step.forbidden ?? []) {
    if (a >= classes || b >= classes) throw new InputError(subject, `forbidden pair [${a}, ${b}] names a class beyond ${classes - 1}`);
    m[a][b] = false;
    m[b][a] = false;
  }
  return m;
}

export interface PostprocessInput {
  labels: Uint8Array;
  shape: Vec3;
  /** K per voxel, interleaved; needed by adjacency steps. */
  probabilities?: Float32Array;
  classes: number;
}

/** Runs every step in order on `input.labels` (in place); returns one report per step. */
export function runPostprocess(input: PostprocessInput, config: PostprocessConfig, subject = 'postprocess'): StepReport[] {
  const reports: StepReport[] = [];
  const conn = config.connectivity as Connectivity;
  for (const step of config.steps) {
    switch (step.op) {
      case 'keepLargest':
        reports.push(keepLargest(input.labels, input.shape, { classes: step.classes, connectivity: (step.connectivity ?? conn) as Connectivity }));
        break;
      case 'minSize':
        reports.push(
          removeSmall(input.labels, input.shape, { voxels: step.voxels, classes: step.classes, connectivity: (step.connectivity ?? conn) as Connectivity }),
        );
        break;
      case 'fillHoles':
        reports.push(fillHoles(input.labels, input.shape, { classes: step.classes, backgroundConnectivity: step.backgroundConnectivity as Connectivity }));
        break;
      case 'adjacency': {
        if (!input.probabilities) throw new InputError(subject, 'the adjacency step needs class probabilities');
        const allowed = adjacencyMatrix(step, input.classes, subject);
        reports.push(
          enforceAdjacency(input.labels, input.shape, {
            allowed,
            probabilities: input.probabilities,
            classes: input.classes,
            maxIterations: step.maxIterations,
          }),
        );
        break;
      }
    }
  }
  return reports;
}

/** The configurable form of runPostprocess: a validated config once, then `run` per prediction. */
export class Postprocessor {
  readonly config: PostprocessConfig;

  constructor(config: unknown, subject = 'postprocess') {
    this.config = parsePostprocessConfig(config, subject);
  }

  static async fromFile(file: string): Promise<Postprocessor> {
    return new Postprocessor((await loadPostprocessConfig(file)) as unknown, file);
  }

  run(input: PostprocessInput): StepReport[] {
    return runPostprocess(input, this.config);
  }
}
