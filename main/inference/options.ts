/**
 * Prediction options shared by the in-memory and out-of-core paths, and the checks that tie them to the models:
 * every ensemble member must agree on what it takes and returns, MC-dropout needs a model with active dropout.
 */
import { InputError } from '../util/errors.ts';
import type { Vec3 } from '../volume/volume.ts';
import { flipSubsets, type Flip, type MemberOptions } from './members.ts';
import { cardPathFor, sliceAxisIndex, type ModelCard } from './modelCard.ts';
import { windowPredictor, type SegmentationSession } from './session.ts';
import type { BlendMode } from './slidingWindow/importance.ts';
import type { WindowProgress } from './slidingWindow/stitcher.ts';

export type UncertaintyMode = 'none' | 'mc' | 'ensemble' | 'tta';

export interface PredictOptions {
  /** Window size (x, y, z); the card's patch size by default. */
  roi?: Vec3;
  overlap?: number;
  blend?: BlendMode;
  batchSize?: number;
  /** Mirror windows along every spatial axis subset and average (nnU-Net TTA). */
  tta?: boolean;
  uncertainty?: UncertaintyMode;
  /** MC-dropout passes (uncertainty 'mc'). */
  mcPasses?: number;
  /** Apply a 2D/2.5D model along this axis instead of its card's (the in-plane patch sizes keep their order). */
  sliceAxis?: 'x' | 'y' | 'z';
  signal?: AbortSignal;
  onProgress?: (progress: WindowProgress) => void;
}

export interface ResolvedPrediction {
  card: ModelCard;
  roi: Vec3;
  overlap: number;
  blend: BlendMode;
  batchSize: number;
  members: MemberOptions;
  uncertainty: boolean;
  classes: number;
}

export const DEFAULT_OVERLAP = 0.5;
export const DEFAULT_BATCH_SIZE = 2;
export const DEFAULT_MC_PASSES = 8;

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The card with a 2D model's slice axis moved; its patch's in-plane sizes keep their order. */
export function withSliceAxis(card: ModelCard, axis: 'x' | 'y' | 'z' | undefined): ModelCard {
  if (!axis || axis === card.sliceAxis) return card;
  if (card.kind === '3d') throw new InputError('--slice-axis', 'only 2d and 2.5d models are applied slice-wise');
  const from = sliceAxisIndex(card);
  const inPlane = card.patchSize.filter((_, a) => a !== from);
  const to = sliceAxisIndex({ sliceAxis: axis });
  const patch: Vec3 = [1, 1, 1];
  [0, 1, 2].filter((a) => a !== to).forEach((a, i) => (patch[a] = inPlane[i]));
  return { ...card, sliceAxis: axis, patchSize: patch };
}

/** Validates options against the models and builds the member settings. */
export function resolvePrediction(sessions: readonly SegmentationSession[], options: PredictOptions): ResolvedPrediction {
  if (sessions.length === 0) throw new InputError('--model', 'at least one model is needed');
  const card = withSliceAxis(sessions[0].card, options.sliceAxis);
  for (const s of sessions.slice(1)) {
    const c = s.card;
    const fields: (keyof ModelCard)[] = ['inputChannels', 'classNames', 'spacing', 'kind', 'sliceAxis', 'sliceContext', 'normalization'];
    for (const f of fields) {
      if (!sameJson(c[f], card[f])) {
        throw new InputError(cardPathFor(s.modelPath), `ensemble members must agree on ${f}: ${JSON.stringify(c[f])} vs ${JSON.stringify(card[f])} in ${cardPathFor(sessions[0].modelPath)}`);
      }
    }
  }
  const uncertaintyMode = options.uncertainty ?? 'none';
  const overlap = options.overlap ?? DEFAULT_OVERLAP;
  if (!(overlap >= 0 && overlap < 1)) throw new InputError('--overlap', `must be in [0, 1), got ${overlap}`);
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InputError('--batch-size', `must be a positive integer, got ${batchSize}`);
  const roi = options.roi ?? card.patchSize;
  if (roi.length !== 3 || roi.some((n) => !Number.isInteger(n) || n < 1)) throw new InputError('--roi', `must be three positive integers, got [${roi.join(', ')}]`);
  if (card.kind !== '3d' && roi[sliceAxisIndex(card)] !== 1) {
    throw new InputError('--roi', `a ${card.kind} model takes windows one slice deep (roi ${card.sliceAxis} = 1)`);
  }
  const divisor = card.sizeDivisor;
  if (roi.some((n, a) => n % divisor !== 0 && !(card.kind !== '3d' && a === sliceAxisIndex(card)))) {
    throw new InputError('--roi', `[${roi.join(', ')}] must be a multiple of the model's size divisor ${divisor} (model card sizeDivisor)`);
  }
  if (uncertaintyMode === 'ensemble' && sessions.length < 2) {
    throw new InputError('--uncertainty', 'ensemble uncertainty needs two or more models (repeat --model)');
  }
  let passes = 1;
  if (uncertaintyMode === 'mc') {
    passes = options.mcPasses ?? DEFAULT_MC_PASSES;
    if (!Number.isInteger(passes) || passes < 2) throw new InputError('--uncertainty', `MC-dropout needs at least 2 passes, got ${passes}`);
    const without = sessions.find((s) => !s.card.mcDropout);
    if (without) {
      throw new InputError(cardPathFor(without.modelPath), 'MC-dropout needs a model exported with active dropout (card mcDropout: true); its passes would all be equal');
    }
  }
  const axes: (0 | 1 | 2)[] = card.kind === '3d' ? [0, 1, 2] : [0, 1];
  const flips: Flip[] = options.tta || uncertaintyMode === 'tta' ? flipSubsets(axes) : [[]];
  const classes = card.classNames.length;
  const uncertainty = uncertaintyMode !== 'none';
  return {
    card,
    roi: [...roi] as Vec3,
    overlap,
    blend: options.blend ?? 'gaussian',
    batchSize,
    uncertainty,
    classes,
    members: { predictors: sessions.map(windowPredictor), classes, passes, flips, uncertainty },
  };
}

/** The volume's channel count must be the card's. */
export function checkChannels(subject: string, channels: number, session: SegmentationSession): void {
  if (channels !== session.card.inputChannels) {
    throw new InputError(
      subject,
      `has ${channels} image channel${channels === 1 ? '' : 's'} but model ${session.modelPath} expects ${session.card.inputChannels} (model card ${cardPathFor(session.modelPath)})`,
    );
  }
}
