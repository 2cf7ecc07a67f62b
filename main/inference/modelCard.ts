/**
 * Model cards for ONNX segmentation models: a JSON file beside the model (`model.onnx` + `model.card.json`) that says
 * what the network expects (input channels, voxel spacing, intensity normalisation, patch size, 2D/3D) and what it
 * returns (class names, logits or probabilities). Two kinds of file are accepted:
 * - the card of a trained Segstation model (models/card.ts, format 'segstation.model-card/1'), which the exporter
 *   writes beside the ONNX file; it is converted to this module's card (trainedCard.ts);
 * - an ONNX card (format 'segstation.onnx-card/1', the schema below) for off-the-shelf models.
 */
import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { InputError } from '../util/errors.ts';
import { MODEL_CARD_FORMAT, ResolvedNormalizationSchema } from '../../models/cardNormalization.ts';

export const ONNX_CARD_FORMAT = 'segstation.onnx-card/1';
/** A trained model's card format (models/card.ts). */
export const TRAINED_CARD_FORMAT = MODEL_CARD_FORMAT;

const positive3 = z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]);
const int3 = z.tuple([z.number().int().min(1), z.number().int().min(1), z.number().int().min(1)]);

/** Intensity normalisation applied to every image channel before the network. */
export const NormalizationSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  /** (v - mean) / std with the card's per-channel values, or the case's own when absent. */
  z.object({
    kind: z.literal('zscore'),
    mean: z.array(z.number()).min(1).optional(),
    std: z.array(z.number().positive()).min(1).optional(),
  }),
  /** Clip to [lower, upper] then (v - mean) / std, per channel (nnU-Net's CT scheme). */
  z.object({
    kind: z.literal('ct'),
    lower: z.array(z.number()).min(1),
    upper: z.array(z.number()).min(1),
    mean: z.array(z.number()).min(1),
    std: z.array(z.number().positive()).min(1),
  }),
  /** (v - min) / (max - min), per channel. */
  z.object({ kind: z.literal('rescale01'), min: z.array(z.number()).min(1), max: z.array(z.number()).min(1) }),
  /** A trained model's resolved scheme per channel (models/card.ts), applied as training does. */
  z.object({ kind: z.literal('perChannel'), channels: z.array(ResolvedNormalizationSchema).min(1) }),
]);
export type Normalization = z.infer<typeof NormalizationSchema>;

export const ModelCardSchema = z
  .object({
    format: z.literal(ONNX_CARD_FORMAT),
    name: z.string().min(1),
    description: z.string().default(''),
    /** Image channels the network takes (before 2.5D slice stacking). */
    inputChannels: z.number().int().min(1),
    /** Output classes, background first. */
    classNames: z.array(z.string().min(1)).min(2),
    /** Voxel spacing (x, y, z) in mm the network was trained at; null: use the volume's own. */
    spacing: positive3.nullable(),
    /** Sliding-window ROI (x, y, z); the slice axis extent is 1 for 2D/2.5D models. */
    patchSize: int3,
    /** '2d' and '2.5d' models take [N, C, H, W] slices normal to `sliceAxis`; '3d' models [N, C, D, H, W]. */
    kind: z.enum(['2d', '2.5d', '3d']).default('3d'),
    sliceAxis: z.enum(['x', 'y', 'z']).default('z'),
    /** 2.5D: neighbouring slices on each side stacked as channels (input tensor channels = inputChannels x (2k+1)). */
    sliceContext: z.number().int().min(0).default(0),
    normalization: NormalizationSchema,
    /** What the network's first output holds along its channel axis. */
    output: z.enum(['logits', 'probabilities']),
    /** Tensors are channels-first (NCDHW / NCHW), the ONNX convention. */
    layout: z.literal('channels-first').default('channels-first'),
    /** The graph holds Dropout nodes that stay active at inference, so repeated runs sample MC-dropout. */
    mcDropout: z.boolean().default(false),
    /** Input spatial sizes must be multiples of this. */
    sizeDivisor: z.number().int().min(1).default(1),
  })
  .superRefine((card, ctx) => {
    if (card.kind !== '3d') {
      const axis = { x: 0, y: 1, z: 2 }[card.sliceAxis];
      if (card.patchSize[axis] !== 1) {
        ctx.addIssue({ code: 'custom', path: ['patchSize'], message: `a ${card.kind} model needs patchSize 1 along its slice axis ${card.sliceAxis}` });
      }
    }
    if (card.kind !== '2.5d' && card.sliceContext !== 0) {
      ctx.addIssue({ code: 'custom', path: ['sliceContext'], message: 'sliceContext is only for 2.5d models' });
    }
    const n = card.normalization;
    const lists =
      n.kind === 'none' ? [] : n.kind === 'zscore' ? [n.mean, n.std] : n.kind === 'ct' ? [n.lower, n.upper, n.mean, n.std] : n.kind === 'rescale01' ? [n.min, n.max] : [n.channels];
    for (const list of lists) {
      if (list && list.length !== card.inputChannels) {
        ctx.addIssue({ code: 'custom', path: ['normalization'], message: `needs one value per input channel (${card.inputChannels}), got ${list.length}` });
      }
    }
  });
export type ModelCard = z.infer<typeof ModelCardSchema>;
export type ModelCardInput = z.input<typeof ModelCardSchema>;

/** `dir/model.onnx` -> `dir/model.card.json`. */
export function cardPathFor(modelPath: string): string {
  return modelPath.replace(/\.onnx$/i, '') + '.card.json';
}

/** Validates a card object; problems name the card file and the field. */
export function parseModelCard(value: unknown, subject: string): ModelCard {
  const parsed = ModelCardSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? issue.path.join('.') : 'card';
    throw new InputError(subject, `invalid model card: ${where}: ${issue.message}`);
  }
  return parsed.data;
}

export async function loadModelCard(cardPath: string): Promise<ModelCard> {
  let text: string;
  try {
    text = await fs.readFile(cardPath, 'utf8');
  } catch {
    throw new InputError(cardPath, 'model card not found (an ONNX model needs a <name>.card.json beside it)');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InputError(cardPath, `model card is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof json === 'object' && json !== null && (json as { format?: unknown }).format === TRAINED_CARD_FORMAT) {
    const { cardFromTrainedModel } = await import('./trainedCard.ts');
    return cardFromTrainedModel(json, cardPath);
  }
  return parseModelCard(json, cardPath);
}

/** Input-tensor channels: image channels times stacked slices for 2.5D. */
export function tensorChannels(card: ModelCard): number {
  return card.inputChannels * (card.kind === '2.5d' ? 2 * card.sliceContext + 1 : 1);
}

export function sliceAxisIndex(card: Pick<ModelCard, 'sliceAxis'>): 0 | 1 | 2 {
  return ({ x: 0, y: 1, z: 2 } as const)[card.sliceAxis];
}
