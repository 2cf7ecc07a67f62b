/**
 * Prediction of a volume held in memory: normalise, resample to the model's spacing, turn a 2D model's slice axis
 * into z, stack 2.5D neighbours, run the sliding window with every member (models x MC passes x flips), undo the
 * reordering and resampling on the blended features, and derive the label, probabilities and uncertainty volumes.
 */
import { defaultColor } from '../dataset/classes.ts';
import type { Geometry, LabelEntry, Vec3, Volume, VolumeHeader } from '../volume/volume.ts';
import { createVolume } from '../volume/volume.ts';
import { inverseOrder, permuteAxes, sliceAxisOrder } from './axes.ts';
import { TriageScore, deriveOutputs, type DerivedOutputs } from './derive.ts';
import { createMemberEvaluator, featureCount } from './members.ts';
import { sliceAxisIndex, type ModelCard } from './modelCard.ts';
import { checkChannels, resolvePrediction, type PredictOptions, type ResolvedPrediction } from './options.ts';
import { ChannelMoments, createNormalizer, needsCaseStatistics } from './preprocess.ts';
import { resampleLinear, resampledShape, spacingDiffers } from './resample.ts';
import type { SegmentationSession } from './session.ts';
import { arraySource, ArraySink } from './slidingWindow/memory.ts';
import { stitchWindows, type PlaneSource, type StitchOptions, type StitchResult } from './slidingWindow/stitcher.ts';

export interface PredictionVolumes {
  label: Volume;
  probabilities: Volume;
  entropy?: Volume;
  mutualInformation?: Volume;
  variance?: Volume;
}

export interface PredictionResult {
  volumes: PredictionVolumes;
  /** Mean normalised predictive entropy over predicted foreground (uncertainty runs only). */
  uncertaintyScore?: number;
  windows: number;
  members: number;
  timings: { totalMs: number; evaluatorMs: number };
  /** Grid the network saw (x, y, z) and whether the volume was resampled to reach it. */
  modelGrid: { shape: Vec3; spacing: Vec3; resampled: boolean };
}

/** Label entries (value, name, colour) of a card's classes. */
export function labelEntries(card: ModelCard): LabelEntry[] {
  return card.classNames.map((name, value) => ({ value, name, color: defaultColor(value) }));
}

/** Planes of a source with 2k + 1 neighbouring planes stacked as channels, slice-major: channel = s * C + c. */
export function withSliceContext(source: PlaneSource, context: number): PlaneSource {
  if (context === 0) return source;
  const [nx, ny, nz] = source.shape;
  const C = source.channels;
  const S = 2 * context + 1;
  const plane = nx * ny;
  return {
    shape: source.shape,
    channels: C * S,
    async readPlanes(z0, depth) {
      const a = Math.max(0, z0 - context);
      const b = Math.min(nz, z0 + depth + context);
      const band = await source.readPlanes(a, b - a);
      const out = new Float32Array(depth * plane * C * S);
      for (let z = 0; z < depth; z++) {
        for (let s = 0; s < S; s++) {
          const src = Math.min(nz - 1, Math.max(0, z0 + z + s - context)) - a;
          for (let v = 0; v < plane; v++) {
            const o = ((z * plane + v) * S + s) * C;
            const i = (src * plane + v) * C;
            for (let c = 0; c < C; c++) out[o + c] = band[i + c];
          }
        }
      }
      return out;
    },
  };
}

function outputVolume(header: Geometry, data: Volume['data'], components: number, extra: Partial<VolumeHeader> = {}): Volume {
  return createVolume({
    shape: header.shape,
    spacing: header.spacing,
    origin: header.origin,
    direction: header.direction,
    data,
    components,
    ...extra,
  });
}

/** Output volumes on the input's grid from derived arrays. */
export function predictionVolumes(geometry: Geometry, card: ModelCard, derived: DerivedOutputs): PredictionVolumes {
  const K = card.classNames.length;
  const meta = { model: card.name };
  return {
    label: outputVolume(geometry, derived.label, 1, { labels: labelEntries(card), meta: { ...meta, isLabel: true } }),
    probabilities: outputVolume(geometry, derived.probabilities, K, { meta: { ...meta, content: 'probabilities' } }),
    ...(derived.entropy ? { entropy: outputVolume(geometry, derived.entropy, 1, { meta: { ...meta, content: 'entropy' } }) } : {}),
    ...(derived.mutualInformation
      ? { mutualInformation: outputVolume(geometry, derived.mutualInformation, 1, { meta: { ...meta, content: 'mutual_information' } }) }
      : {}),
    ...(derived.variance ? { variance: outputVolume(geometry, derived.variance, K, { meta: { ...meta, content: 'variance' } }) } : {}),
  };
}

/** Runs the members over an in-memory float volume (already normalised) and returns blended features. */
async function stitchInMemory(
  data: Float32Array,
  shape: Vec3,
  channels: number,
  resolved: ResolvedPrediction,
  options: PredictOptions,
): Promise<{ features: Float32Array; result: StitchResult }> {
  const F = featureCount(resolved.classes, resolved.uncertainty);
  const source = withSliceContext(arraySource(data, shape, channels), resolved.card.kind === '2.5d' ? resolved.card.sliceContext : 0);
  const sink = new ArraySink(shape, F);
  const result = await stitchWindows(source, createMemberEvaluator(resolved.members), sink, stitchOptions(resolved, F, options));
  return { features: sink.data, result };
}

/** Window layout, blending and job hooks of a prediction, as the stitcher takes them (in memory and out of core). */
export function stitchOptions(resolved: ResolvedPrediction, features: number, options: PredictOptions): StitchOptions {
  return {
    roi: resolved.roi,
    overlap: resolved.overlap,
    blend: resolved.blend,
    batchSize: resolved.batchSize,
    features,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  };
}

/** Predicts `volume` (any dtype, image channels as components) with one or more models. */
export async function predictVolume(
  volume: Volume,
  sessions: readonly SegmentationSession[],
  options: PredictOptions = {},
  subject = 'input volume',
): Promise<PredictionResult> {
  const resolved = resolvePrediction(sessions, options);
  const { card } = resolved;
  checkChannels(subject, volume.components, sessions[0]);
  const C = volume.components;
  const moments = new ChannelMoments(C);
  if (needsCaseStatistics(card.normalization)) moments.add(volume.data);
  let data = createNormalizer(card.normalization, C, moments)(volume.data);
  // (perChannel '-sample' schemes take their statistics from the data passed in: here the whole volume.)
  let shape: Vec3 = [...volume.shape] as Vec3;

  // To the model's spacing.
  const target = card.spacing ?? volume.spacing;
  const resampled = spacingDiffers(volume.spacing, target);
  const modelShape = resampled ? resampledShape(shape, volume.spacing, target) : shape;
  if (resampled) {
    const step = target.map((t, a) => t / volume.spacing[a]) as Vec3;
    data = resampleLinear(data, shape, C, modelShape, step);
    shape = modelShape;
  }
  // A 2D model's slice axis becomes z.
  const order = card.kind === '3d' ? ([0, 1, 2] as Vec3) : sliceAxisOrder(sliceAxisIndex(card));
  const permuted = permuteAxes(data, shape, C, order);

  const roi = order.map((a) => resolved.roi[a]) as Vec3;
  const { features: raw, result } = await stitchInMemory(permuted.data, permuted.shape, C, { ...resolved, roi }, options);
  const F = featureCount(resolved.classes, resolved.uncertainty);
  let features = permuteAxes(raw, permuted.shape, F, inverseOrder(order)).data;
  if (resampled) {
    const back = volume.spacing.map((s, a) => s / target[a]) as Vec3;
    features = resampleLinear(features, modelShape, F, volume.shape, back);
  }
  const derived = deriveOutputs(features, volume.shape[0] * volume.shape[1] * volume.shape[2], resolved.classes, resolved.uncertainty);
  let uncertaintyScore: number | undefined;
  if (derived.entropy) {
    const triage = new TriageScore(resolved.classes);
    triage.add(derived.label, derived.entropy);
    uncertaintyScore = triage.value();
  }
  return {
    volumes: predictionVolumes(volume, card, derived),
    ...(uncertaintyScore !== undefined ? { uncertaintyScore } : {}),
    windows: result.windows,
    members: sessions.length * (resolved.members.passes ?? 1) * (resolved.members.flips?.length ?? 1),
    timings: { totalMs: result.totalMs, evaluatorMs: result.evaluatorMs },
    modelGrid: { shape: modelShape, spacing: [...target] as Vec3, resampled },
  };
}
