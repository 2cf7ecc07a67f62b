/**
 * The parts of a trained model's card that inference needs without loading tfjs (models/card.ts imports it): the card
 * format string and the per-channel resolved intensity normalisation.
 */
import { z } from 'zod';

export const MODEL_CARD_FORMAT = 'segstation.model-card/1';

export const finiteNumber = z.number().refine((v) => Number.isFinite(v), 'must be finite');

/**
 * How one channel's intensities were normalised before entering the network (the training normaliser's resolved
 * scheme; '*-sample' schemes use each input's own statistics, 'linear' is (clip(v, clip) - offset) / divisor, then
 * clamped to [0, 1] when clamp01).
 */
export const ResolvedNormalizationSchema = z.discriminatedUnion('scheme', [
  z.object({ scheme: z.literal('none') }),
  z.object({ scheme: z.literal('zscore-sample') }),
  z.object({ scheme: z.literal('ct-sample') }),
  z.object({ scheme: z.literal('rescale01-sample'), bounds: z.enum(['minmax', 'percentiles']), clip: z.boolean() }),
  z.object({
    scheme: z.literal('linear'),
    from: z.enum(['zscore', 'ct', 'fixed', 'rescale01']),
    clip: z.tuple([finiteNumber, finiteNumber]).nullable(),
    offset: finiteNumber,
    divisor: finiteNumber.refine((v) => v > 0, 'must be > 0'),
    clamp01: z.boolean(),
  }),
]);
export type ResolvedNormalization = z.infer<typeof ResolvedNormalizationSchema>;
