/**
 * The training config (JSON or YAML), validated in full before any work starts. Sections reuse the schemas of the
 * modules they configure: loss and optimiser (main/training/losses, optim), augmentation and normalisation
 * (main/training/transforms), network (models/unet.ts), sampler (main/training/data/sampler.ts).
 */
import { z } from 'zod';
import { UNetConfigSchema } from '../../../models/unet.ts';
import { LossConfigSchema } from '../losses/index.ts';
import { OptimizerConfigSchema, ScheduleConfigSchema } from '../optim/index.ts';
import { AugmentationConfigSchema } from '../transforms/index.ts';
import { NormalizationConfigSchema } from '../transforms/normalize.ts';
import { SamplerConfigSchema } from '../data/sampler.ts';

const positiveInt = z.number().int().min(1);

export const TrainingConfigSchema = z
  .object({
    /** Base seed: weights, sampling, augmentation and dropout each derive their own from it. */
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
    backend: z.enum(['auto', 'cpu', 'webgpu', 'tensorflow']).default('auto'),
    network: UNetConfigSchema.prefault({}),
    /** Patch size: [x, y, z] for 3D networks; the two in-plane sizes for 2D/2.5D (for axis z: [x, y]). */
    patchSize: z.array(z.number().int().min(4).max(1024)).min(2).max(3),
    /** Patches per step, or 'auto' to pick from free memory (memory budget). */
    batchSize: z.union([positiveInt.max(1024), z.literal('auto')]).default('auto'),
    epochs: positiveInt.max(100000).default(50),
    stepsPerEpoch: positiveInt.max(1000000).default(250),
    loss: LossConfigSchema.prefault({ terms: [{ type: 'ce', weight: 1 }, { type: 'dice', weight: 1 }] }),
    optimizer: OptimizerConfigSchema.prefault({ type: 'adam', lr: 1e-3 }),
    schedule: ScheduleConfigSchema.default({ type: 'constant' }),
    /** Clip gradients to this global norm; null for no clipping. */
    gradientClip: z.number().positive().nullable().default(12),
    augmentation: AugmentationConfigSchema.prefault({}),
    normalization: NormalizationConfigSchema.prefault({}),
    sampler: SamplerConfigSchema.prefault({}),
    validation: z
      .object({
        /** Validate every N epochs (and after the last). */
        every: positiveInt.default(1),
        /** At most this many validation cases (all when omitted). */
        maxCases: positiveInt.optional(),
      })
      .strict()
      .prefault({}),
    earlyStopping: z
      .object({ patience: positiveInt, minDelta: z.number().min(0).default(0) })
      .strict()
      .nullable()
      .default(null),
    /** Stop after this many minutes of training (the epoch in progress is closed with validation and checkpoints). */
    timeLimitMinutes: z.number().positive().nullable().default(null),
    memory: z
      .object({
        /** Share of free memory (os.freemem) the batch may take. */
        fraction: z.number().gt(0).max(1).default(0.5),
        maxBatch: positiveInt.max(1024).default(32),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    const want = c.network.kind === '3d' ? 3 : 2;
    if (c.patchSize.length !== want) {
      ctx.addIssue({ code: 'custom', path: ['patchSize'], message: `a ${c.network.kind} network takes ${want} sizes, got ${c.patchSize.length}` });
    }
    const divisor = 2 ** (c.network.levels - 1);
    for (const [i, s] of c.patchSize.entries()) {
      if (s % divisor !== 0) {
        ctx.addIssue({ code: 'custom', path: ['patchSize', i], message: `must be a multiple of ${divisor} (2^(levels - 1) with ${c.network.levels} levels), got ${s}` });
      }
    }
  });
export type TrainingConfig = z.infer<typeof TrainingConfigSchema>;
export type TrainingConfigInput = z.input<typeof TrainingConfigSchema>;
