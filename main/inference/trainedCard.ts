/**
 * The card of a trained Segstation model (models/card.ts) as an inference card: its network spec gives the input
 * layout (2D/2.5D/3D, slice axis, context) and size divisor, its per-channel resolved normalisation is applied as
 * training applies it, and the exported graph returns logits. Loaded on demand (models/card.ts imports tfjs).
 */
import { parseModelCard as parseTrainedCard } from '../../models/card.ts';
import { InputError } from '../util/errors.ts';
import { ONNX_CARD_FORMAT, parseModelCard, type ModelCard } from './modelCard.ts';

export function cardFromTrainedModel(value: unknown, subject: string): ModelCard {
  const trained = parseTrainedCard(value, subject);
  const classes = [...trained.classes].sort((a, b) => a.value - b.value);
  if (classes.some((c, i) => c.value !== i)) {
    throw new InputError(subject, `class values must be 0..${classes.length - 1} without gaps to match the network's output channels`);
  }
  const input = trained.network.input;
  const patch = trained.patchSize;
  // The inference card has the 1 of a 2D patch on the slice axis; a card written with z = 1 for another axis is
  // read as the in-plane sizes in order.
  const axis = { x: 0, y: 1, z: 2 }[input.axis];
  let patchSize: [number, number, number] = [...patch];
  if (input.kind !== '3d' && patch[axis] !== 1) {
    patchSize = axis === 0 ? [1, patch[0], patch[1]] : [patch[0], 1, patch[1]];
  }
  return parseModelCard(
    {
      format: ONNX_CARD_FORMAT,
      name: trained.name,
      description: trained.run ? `trained in run ${trained.run.id}, epoch ${trained.run.epoch}` : 'trained model',
      inputChannels: trained.inputChannels,
      classNames: classes.map((c) => c.name),
      spacing: trained.spacing,
      patchSize,
      kind: input.kind,
      sliceAxis: input.axis,
      sliceContext: input.context,
      normalization: { kind: 'perChannel', channels: [...trained.normalization].sort((a, b) => a.channel - b.channel).map((n) => n.resolved) },
      output: 'logits',
      layout: 'channels-first',
      mcDropout: false,
      sizeDivisor: trained.network.sizeDivisor,
    },
    subject,
  );
}
