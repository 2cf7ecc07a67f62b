import { z } from 'zod';
import { boundaryLoss } from './boundary.ts';
import { CompoundLoss, type LossTerm } from './compound.ts';
import { crossEntropyLoss } from './cross-entropy.ts';
import { softDiceLoss } from './dice.ts';
import { focalLoss } from './focal.ts';
import { lovaszSoftmaxLoss } from './lovasz.ts';
import { WeightScheduleSchema } from './schedule.ts';
import { topKCrossEntropyLoss } from './topk.ts';
import { focalTverskyLoss, tverskyLoss } from './tversky.ts';
import type { LossFn } from './types.ts';

const term = {
  /** Reported name (default: the type). */
  name: z.string().min(1).optional(),
  weight: WeightScheduleSchema.default(1),
};
const classWeights = z.array(z.number().nonnegative()).min(1).optional();
const overlap = {
  smooth: z.number().positive().default(1e-5),
  batchDice: z.boolean().default(false),
  includeBackground: z.boolean().default(false),
};
const tverskyParams = { alpha: z.number().nonnegative().default(0.3), beta: z.number().nonnegative().default(0.7) };

export const LossTermConfigSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ce'), ...term, classWeights }),
  z.strictObject({ type: z.literal('dice'), ...term, ...overlap }),
  z.strictObject({ type: z.literal('focal'), ...term, gamma: z.number().nonnegative().default(2), classWeights }),
  z.strictObject({ type: z.literal('tversky'), ...term, ...overlap, ...tverskyParams }),
  z.strictObject({ type: z.literal('focal_tversky'), ...term, ...overlap, ...tverskyParams, gamma: z.number().positive().default(0.75) }),
  z.strictObject({ type: z.literal('lovasz'), ...term, classes: z.enum(['present', 'all']).default('present'), includeBackground: z.boolean().default(true) }),
  z.strictObject({ type: z.literal('boundary'), ...term, includeBackground: z.boolean().default(false) }),
  z.strictObject({ type: z.literal('topk'), ...term, k: z.number().gt(0).max(100).default(10), classWeights }),
]);
export type LossTermConfig = z.infer<typeof LossTermConfigSchema>;

/** A single loss term, or `{terms: [...]}` for a weighted compound (weights may be schedules over epochs). */
export const LossConfigSchema = z.union([LossTermConfigSchema, z.strictObject({ terms: z.array(LossTermConfigSchema).min(1) })]);
export type LossConfig = z.input<typeof LossConfigSchema>;

/** The LossFn of one parsed term. */
export function lossOfTerm(config: LossTermConfig): LossFn {
  switch (config.type) {
    case 'ce':
      return (l, t, ctx) => crossEntropyLoss(l, t, ctx, { classWeights: config.classWeights });
    case 'dice':
      return (l, t) => softDiceLoss(l, t, config);
    case 'focal':
      return (l, t, ctx) => focalLoss(l, t, ctx, { gamma: config.gamma, classWeights: config.classWeights });
    case 'tversky':
      return (l, t) => tverskyLoss(l, t, config);
    case 'focal_tversky':
      return (l, t) => focalTverskyLoss(l, t, config);
    case 'lovasz':
      return (l, t) => lovaszSoftmaxLoss(l, t, config);
    case 'boundary':
      return (l, t, ctx) => boundaryLoss(l, t, ctx, config);
    case 'topk':
      return (l, t, ctx) => topKCrossEntropyLoss(l, t, ctx, { k: config.k, classWeights: config.classWeights });
  }
}

/**
 * Builds the loss from a config (validated here; a ZodError lists what is wrong). Always a CompoundLoss, so a
 * training loop handles one term and many alike; `.at(epoch)` gives a plain LossFn.
 */
export function createLoss(config: LossConfig): CompoundLoss {
  const parsed = LossConfigSchema.parse(config);
  const list = 'terms' in parsed ? parsed.terms : [parsed];
  const terms: LossTerm[] = list.map((c) => ({ name: c.name ?? c.type, loss: lossOfTerm(c), weight: c.weight }));
  return new CompoundLoss(terms);
}

/** True when the config uses a loss that needs ctx.distanceMaps (so the data pipeline computes them). */
export function lossNeedsDistanceMaps(config: LossConfig): boolean {
  const parsed = LossConfigSchema.parse(config);
  const list = 'terms' in parsed ? parsed.terms : [parsed];
  return list.some((c) => c.type === 'boundary');
}
