/**
 * The model card: what a saved model needs to be used correctly later, stored as `card.json` beside its weights.
 * A saved model is a folder: card.json + weights.json + weights.bin (models/weights.ts), written as a whole
 * atomically (a temporary sibling renamed into place).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { writeDirAtomic } from '../main/util/atomic.ts';
import { errorMessage, InputError } from '../main/util/errors.ts';
import type { WeightStore } from './forward.ts';
import { NetworkSpecSchema, type NetworkSpec } from './spec.ts';
import { MODEL_CARD_FORMAT, ResolvedNormalizationSchema, finiteNumber } from './cardNormalization.ts';
import { encodeWeights, loadWeights, type NamedArray } from './weights.ts';

export { MODEL_CARD_FORMAT } from './cardNormalization.ts';

const finite = finiteNumber;
const hash = z.string().regex(/^[0-9a-f]{64}$/, 'must be a hex SHA-256');

/** Per image channel: how intensities were normalised before entering the network. */
export const ChannelNormalizationSchema = z.object({
  channel: z.number().int().min(0),
  modality: z.string().nullable(),
  resolved: ResolvedNormalizationSchema,
});
export type ChannelNormalization = z.infer<typeof ChannelNormalizationSchema>;

export const ModelCardSchema = z
  .object({
    format: z.literal(MODEL_CARD_FORMAT),
    name: z.string().min(1),
    created: z.string().min(1),
    inputChannels: z.number().int().min(1),
    /** Voxel spacing (x, y, z) of the training data, millimetres or the project's unit. */
    spacing: z.tuple([finite, finite, finite]),
    normalization: z.array(ChannelNormalizationSchema).min(1),
    /** Patch (x, y, z) the network was trained on; z = 1 for 2D and 2.5D networks. */
    patchSize: z.tuple([z.number().int().min(1), z.number().int().min(1), z.number().int().min(1)]),
    classes: z.array(z.object({ value: z.number().int().min(0), name: z.string(), color: z.tuple([z.number().int(), z.number().int(), z.number().int()]) })).min(2),
    trainingConfigHash: hash,
    datasetHash: hash,
    network: NetworkSpecSchema,
    run: z.object({ id: z.string(), fold: z.number().int().min(0).nullable(), epoch: z.number().int().min(0), step: z.number().int().min(0) }).optional(),
    metrics: z.record(z.string(), finite).optional(),
  })
  .superRefine((card, ctx) => {
    if (card.network.input.imageChannels !== card.inputChannels) {
      ctx.addIssue({ code: 'custom', path: ['inputChannels'], message: `the network takes ${card.network.input.imageChannels} image channels` });
    }
    if (card.normalization.length !== card.inputChannels) {
      ctx.addIssue({ code: 'custom', path: ['normalization'], message: `needs one entry per input channel (${card.inputChannels})` });
    }
    const head = card.network.outputs[0];
    if (head && head.classes !== card.classes.length) {
      ctx.addIssue({ code: 'custom', path: ['classes'], message: `the first head has ${head.classes} classes, the card lists ${card.classes.length}` });
    }
  });
export type ModelCard = z.infer<typeof ModelCardSchema>;

export function parseModelCard(value: unknown, what: string): ModelCard {
  const parsed = ModelCardSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new InputError(`${what}${issue.path.length ? `: ${issue.path.join('.')}` : ''}`, issue.message);
}

/** The store's values in spec order. */
export function readWeights(spec: NetworkSpec, store: WeightStore): NamedArray[] {
  return spec.weights.map((w) => {
    const v = store.get(w.name);
    if (!v) throw new Error(`weight '${w.name}' is missing from the store`);
    return { name: w.name, shape: [...w.shape], values: v.dataSync() as Float32Array };
  });
}

/** Assigns saved values to the store after checking that names and shapes match the spec exactly. */
export function assignWeights(spec: NetworkSpec, store: WeightStore, tensors: readonly NamedArray[], what: string): void {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  if (byName.size !== spec.weights.length || tensors.length !== spec.weights.length) {
    throw new InputError(what, `holds ${tensors.length} tensors, the network has ${spec.weights.length} weights`);
  }
  for (const w of spec.weights) {
    const t = byName.get(w.name);
    if (!t) throw new InputError(what, `weight '${w.name}' is missing`);
    if (t.shape.length !== w.shape.length || t.shape.some((s, i) => s !== w.shape[i])) {
      throw new InputError(what, `weight '${w.name}' has shape [${t.shape}], the network wants [${w.shape}]`);
    }
  }
  for (const w of spec.weights) {
    const t = byName.get(w.name) as NamedArray;
    const v = store.get(w.name);
    if (!v) throw new Error(`weight '${w.name}' is missing from the store`);
    tf.tidy(() => v.assign(tf.tensor(t.values, t.shape)));
  }
}

/**
 * Writes a model folder (card.json, weights.json, weights.bin) atomically. `extra` adds files to the same folder
 * (optimizer state, training state of a checkpoint) so that a checkpoint is replaced as one unit.
 */
export async function saveModel(dir: string, card: ModelCard, tensors: readonly NamedArray[], extra: Record<string, Uint8Array | string> = {}): Promise<void> {
  const checked = ModelCardSchema.parse(card);
  const { manifest, bytes } = encodeWeights(tensors);
  await writeDirAtomic(dir, async (tmp) => {
    await fs.writeFile(path.join(tmp, 'weights.bin'), bytes);
    await fs.writeFile(path.join(tmp, 'weights.json'), `${JSON.stringify(manifest, null, 1)}\n`);
    for (const [name, data] of Object.entries(extra)) await fs.writeFile(path.join(tmp, name), data);
    await fs.writeFile(path.join(tmp, 'card.json'), `${JSON.stringify(checked, null, 1)}\n`);
  });
}

export async function loadModel(dir: string): Promise<{ card: ModelCard; tensors: NamedArray[] }> {
  const cardFile = path.join(dir, 'card.json');
  let raw: unknown;
  try {
    raw = JSON.parse(await fs.readFile(cardFile, 'utf8'));
  } catch (error) {
    throw new InputError(cardFile, `cannot read the model card: ${errorMessage(error)}`, { cause: error });
  }
  const card = parseModelCard(raw, cardFile);
  const tensors = await loadWeights(path.join(dir, 'weights'));
  return { card, tensors };
}
