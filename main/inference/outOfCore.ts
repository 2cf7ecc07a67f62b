/**
 * Out-of-core prediction: image channels in OME-Zarr stores are read band by band (lazy region reads), and the
 * outputs are written slab by slab into OME-Zarr stores as soon as no later window can touch them. Memory is the
 * rolling accumulator (ROI depth + step + slab planes of features), one input band, one slab of outputs and a small
 * chunk cache; the slab depth is the largest that fits the byte budget. Numbers equal the in-memory path's.
 */
import path from 'node:path';
import { openOmeZarr, type LazyVolume } from '../io/omezarr/lazy.ts';
import { createOmeZarrStore, type OmeZarrStoreBuilder } from '../io/omezarr/writer.ts';
import { InputError } from '../util/errors.ts';
import { bytesPerElement, type TypedArray } from '../volume/dtype.ts';
import type { Vec3, VolumeHeader } from '../volume/volume.ts';
import { TriageScore, deriveOutputs } from './derive.ts';
import { createMemberEvaluator, featureCount } from './members.ts';
import { tensorChannels } from './modelCard.ts';
import { checkChannels, resolvePrediction, type PredictOptions } from './options.ts';
import { labelEntries, stitchOptions, withSliceContext } from './predict.ts';
import { ChannelMoments, createNormalizer, needsCaseStatistics, streamingObstacle } from './preprocess.ts';
import { spacingDiffers } from './resample.ts';
import type { SegmentationSession } from './session.ts';
import { stitchWindows, type PlaneSink, type PlaneSource } from './slidingWindow/stitcher.ts';
import { planWindows } from './slidingWindow/windows.ts';

export const OUTPUT_NAMES = {
  label: 'label',
  probabilities: 'probabilities',
  entropy: 'entropy',
  mutualInformation: 'mutual_information',
  variance: 'variance',
} as const;
export type OutputKey = keyof typeof OUTPUT_NAMES;

export const DEFAULT_MEMORY_BUDGET = 1024 * 1024 * 1024;
const SLAB_CANDIDATES = [64, 32, 16, 8, 4, 2, 1];
const MB = 1024 * 1024;

export interface OutOfCoreOptions extends PredictOptions {
  /** Bytes the stitching may hold (accumulator, band, slab, cache); default 1 GiB. */
  memoryBudgetBytes?: number;
}

export interface OutOfCoreResult {
  /** Output store paths by output. */
  stores: Partial<Record<OutputKey, string>>;
  uncertaintyScore?: number;
  windows: number;
  slabDepth: number;
  /** Bytes the plan expected to hold at most. */
  plannedBytes: number;
  timings: { totalMs: number; evaluatorMs: number };
}

/** Why a volume cannot go through the out-of-core path (resampling, a 2D model along x or y), or undefined. */
export function outOfCoreObstacle(card: SegmentationSession['card'], spacing: Vec3): string | undefined {
  const normalization = streamingObstacle(card.normalization);
  if (normalization) return normalization;
  if (card.spacing && spacingDiffers(spacing, card.spacing)) return `its spacing differs from the model's [${card.spacing.join(', ')}] (resampling runs in memory)`;
  if (card.kind !== '3d' && card.sliceAxis !== 'z') return `the ${card.kind} model slices along ${card.sliceAxis} (out-of-core slicing is along z)`;
  return undefined;
}

export interface MemoryPlan {
  slabDepth: number;
  cacheBytes: number;
  bytes: number;
}

/** The deepest slab whose working set fits the budget. */
export function planMemory(
  shape: Vec3,
  channels: number,
  classes: number,
  features: number,
  roi: Vec3,
  overlap: number,
  budget: number,
  rawBytesPerValue = 4,
): MemoryPlan {
  const plan = planWindows(shape, roi, overlap);
  const [px, py] = plan.padded;
  const rz = roi[2];
  const stepZ = plan.starts[2].length > 1 ? plan.starts[2][1] - plan.starts[2][0] : rz;
  const accPlane = px * py * (features + 1) * 4;
  // Band: raw region + normalised float32 + padded copy.
  const band = rz * px * py * channels * (rawBytesPerValue + 4 + 4);
  // Per slab plane: blended features and the outputs derived from them (label, K probabilities, and with
  // uncertainty entropy, mutual information and K variances).
  const uncertain = features > classes;
  const outPlane = shape[0] * shape[1] * (features * 4 + 1 + 4 * classes + (uncertain ? 8 + 4 * classes : 0));
  for (const slab of SLAB_CANDIDATES) {
    const depth = Math.min(slab, shape[2]);
    const base = (rz + stepZ + depth) * accPlane + band + depth * outPlane;
    if (base + MB > budget) continue;
    // The chunk cache gets what is left, between 1 and 64 MB (a sixteenth of the budget when it can).
    const cacheBytes = Math.max(MB, Math.min(64 * MB, Math.floor(budget / 16), budget - base));
    return { slabDepth: depth, cacheBytes, bytes: base + cacheBytes };
  }
  const minimum = (rz + stepZ + 1) * accPlane + band + outPlane + MB;
  const mb = (bytes: number) => (Math.ceil((bytes / MB) * 10) / 10).toFixed(1);
  throw new InputError('--memory-budget', `is ${mb(budget)} MB; this volume and model need at least ${mb(minimum)} MB`);
}

/** Planes [z0, z0 + depth) of several stores, channels in store order (each store's components interleaved). */
async function readMerged(stores: readonly LazyVolume[], z0: number, depth: number): Promise<TypedArray | Float64Array> {
  const shape = stores[0].header.shape;
  const regions = await Promise.all(stores.map((s) => s.readRegion([0, 0, z0], [shape[0], shape[1], depth])));
  if (regions.length === 1) return regions[0];
  const channels = stores.reduce((n, s) => n + s.header.components, 0);
  const voxels = shape[0] * shape[1] * depth;
  const merged = new Float64Array(voxels * channels);
  let offset = 0;
  for (let s = 0; s < stores.length; s++) {
    const comps = stores[s].header.components;
    const region = regions[s];
    for (let v = 0; v < voxels; v++) for (let c = 0; c < comps; c++) merged[v * channels + offset + c] = region[v * comps + c];
    offset += comps;
  }
  return merged;
}

function storeSource(stores: readonly LazyVolume[], normalize: (data: TypedArray | Float64Array) => Float32Array): PlaneSource {
  return {
    shape: stores[0].header.shape,
    channels: stores.reduce((n, s) => n + s.header.components, 0),
    readPlanes: async (z0, depth) => normalize(await readMerged(stores, z0, depth)),
  };
}

/**
 * Predicts the volume whose channels are the OME-Zarr stores `inputs` and writes the outputs as OME-Zarr stores in
 * `outDir` (label, probabilities; entropy, mutual_information, variance with uncertainty). On failure nothing is
 * left at the output paths.
 */
export async function predictStores(
  inputs: readonly string[],
  sessions: readonly SegmentationSession[],
  outDir: string,
  options: OutOfCoreOptions = {},
): Promise<OutOfCoreResult> {
  const resolved = resolvePrediction(sessions, options);
  const { card } = resolved;
  const budget = options.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET;
  const probe = await Promise.all(inputs.map((p) => openOmeZarr(p, { cacheBytes: 0 })));
  const header0 = probe[0].header;
  for (const [i, s] of probe.entries()) {
    if (s.header.shape.some((n, a) => n !== header0.shape[a])) {
      throw new InputError(inputs[i], `shape [${s.header.shape.join(', ')}] differs from ${inputs[0]}'s [${header0.shape.join(', ')}]`);
    }
  }
  const channels = probe.reduce((n, s) => n + s.header.components, 0);
  checkChannels(inputs.join(' + '), channels, sessions[0]);
  const obstacle = outOfCoreObstacle(card, header0.spacing);
  if (obstacle) throw new InputError(inputs[0], `cannot be predicted out of core: ${obstacle}`);
  const K = resolved.classes;
  const F = featureCount(K, resolved.uncertainty);
  const rawBytes = (probe.length > 1 ? 8 : bytesPerElement(header0.dtype));
  const memory = planMemory(header0.shape, tensorChannels(card), K, F, resolved.roi, resolved.overlap, budget, rawBytes);
  const stores = await Promise.all(inputs.map((p) => openOmeZarr(p, { cacheBytes: Math.floor(memory.cacheBytes / inputs.length) })));

  const moments = new ChannelMoments(channels);
  if (needsCaseStatistics(card.normalization)) {
    // The same voxel order as the in-memory path: plane by plane, channels interleaved.
    for (let z = 0; z < header0.shape[2]; z += memory.slabDepth) {
      moments.add(await readMerged(stores, z, Math.min(memory.slabDepth, header0.shape[2] - z)));
    }
  }
  const normalize = createNormalizer(card.normalization, channels, moments);
  const source = withSliceContext(storeSource(stores, normalize), card.kind === '2.5d' ? card.sliceContext : 0);

  const geometry: Pick<VolumeHeader, 'shape' | 'spacing' | 'origin' | 'direction'> = {
    shape: header0.shape,
    spacing: header0.spacing,
    origin: header0.origin,
    direction: header0.direction,
  };
  const chunkShape: Vec3 = [Math.min(64, header0.shape[0]), Math.min(64, header0.shape[1]), memory.slabDepth];
  const meta = { model: card.name };
  const specs: [OutputKey, VolumeHeader][] = [
    ['label', { ...geometry, dtype: 'uint8', components: 1, labels: labelEntries(card), meta: { ...meta, isLabel: true } }],
    ['probabilities', { ...geometry, dtype: 'float32', components: K, meta: { ...meta, content: 'probabilities' } }],
  ];
  if (resolved.uncertainty) {
    specs.push(['entropy', { ...geometry, dtype: 'float32', components: 1, meta: { ...meta, content: 'entropy' } }]);
    specs.push(['mutualInformation', { ...geometry, dtype: 'float32', components: 1, meta: { ...meta, content: 'mutual_information' } }]);
    specs.push(['variance', { ...geometry, dtype: 'float32', components: K, meta: { ...meta, content: 'variance' } }]);
  }
  const builders = new Map<OutputKey, OmeZarrStoreBuilder>();
  const paths: Partial<Record<OutputKey, string>> = {};
  try {
    for (const [key, header] of specs) {
      const target = path.join(outDir, `${OUTPUT_NAMES[key]}.ome.zarr`);
      builders.set(key, await createOmeZarrStore(target, header, { chunkShape }));
      paths[key] = target;
    }
    const triage = new TriageScore(K);
    const plane = header0.shape[0] * header0.shape[1];
    const sink: PlaneSink = {
      slabDepth: memory.slabDepth,
      async writePlanes(z0, depth, data) {
        const d = deriveOutputs(data, depth * plane, K, resolved.uncertainty);
        if (d.entropy) triage.add(d.label, d.entropy);
        const writes: Promise<void>[] = [builders.get('label')!.writeSlab(z0, d.label), builders.get('probabilities')!.writeSlab(z0, d.probabilities)];
        if (d.entropy) writes.push(builders.get('entropy')!.writeSlab(z0, d.entropy));
        if (d.mutualInformation) writes.push(builders.get('mutualInformation')!.writeSlab(z0, d.mutualInformation));
        if (d.variance) writes.push(builders.get('variance')!.writeSlab(z0, d.variance));
        await Promise.all(writes);
      },
    };
    const result = await stitchWindows(source, createMemberEvaluator(resolved.members), sink, stitchOptions(resolved, F, options));
    for (const builder of builders.values()) await builder.finalize();
    return {
      stores: paths,
      ...(resolved.uncertainty ? { uncertaintyScore: triage.value() } : {}),
      windows: result.windows,
      slabDepth: memory.slabDepth,
      plannedBytes: memory.bytes,
      timings: { totalMs: result.totalMs, evaluatorMs: result.evaluatorMs },
    };
  } catch (error) {
    await Promise.allSettled([...builders.values()].map((b) => b.abort()));
    throw error;
  }
}
