/** A small trained 3D U-Net as a training run saves it (card + weights), with seeded random weights. */
import type { ModelCard as TrainedCard } from '../../../models/card.ts';
import { buildUNet } from '../../../models/unet.ts';
import { mulberry32 } from '../../../main/util/random.ts';

export interface TrainedFixtureOptions {
  name: string;
  filters: number;
  /** Class names, background first; colours are made up. */
  classNames: string[];
  dropout?: number;
  seed: number;
  /** Weights are uniform in [-scale/2, scale/2), plus 1 for weights initialised to ones. */
  scale: number;
}

export function trainedModelFixture(o: TrainedFixtureOptions) {
  const network = buildUNet({ kind: '3d', levels: 2, filters: o.filters, norm: 'instance', dropout: o.dropout ?? 0 }, { imageChannels: 1, classes: o.classNames.length, name: o.name });
  const rng = mulberry32(o.seed);
  const tensors = network.weights.map((w) => ({
    name: w.name,
    shape: [...w.shape],
    values: Float32Array.from({ length: w.shape.reduce((a, b) => a * b, 1) }, () => (rng() - 0.5) * o.scale + (w.init === 'ones' ? 1 : 0)),
  }));
  const palette: [number, number, number][] = [[0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255]];
  const card: TrainedCard = {
    format: 'segstation.model-card/1',
    name: o.name,
    created: new Date(0).toISOString(),
    inputChannels: 1,
    spacing: [1, 1, 1],
    normalization: [{ channel: 0, modality: null, resolved: { scheme: 'zscore-sample' } }],
    patchSize: [8, 8, 8],
    classes: o.classNames.map((name, value) => ({ value, name, color: palette[value % palette.length] })),
    trainingConfigHash: 'a'.repeat(64),
    datasetHash: 'b'.repeat(64),
    network,
  };
  return { network, tensors, card };
}
