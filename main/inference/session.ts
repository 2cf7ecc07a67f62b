/**
 * ONNX Runtime sessions for segmentation models. The CPU provider is always there; CUDA and WebGPU are tried when
 * asked for and the session falls back to the next one (CPU last), with a message naming the provider in use.
 */
import { promises as fs } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { InputError, errorMessage } from '../util/errors.ts';
import { cardPathFor, loadModelCard, tensorChannels, type ModelCard } from './modelCard.ts';
import { onnx } from './onnx/proto.ts';

export const PROVIDERS = ['cpu', 'cuda', 'webgpu'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export interface SessionOptions {
  /** Providers in order of preference; CPU is appended when missing. Default ['cpu']. */
  providers?: readonly string[];
  /** The card, when not read from `<model>.card.json`. */
  card?: ModelCard;
  /** CPU threads for one operator (ORT's default when absent). */
  intraOpThreads?: number;
}

export interface ProviderAttempt {
  provider: ProviderName;
  ok: boolean;
  why: string;
}

export interface SegmentationSession {
  readonly modelPath: string;
  readonly card: ModelCard;
  readonly provider: ProviderName;
  /** One line: the provider in use and why the ones before it were skipped. */
  readonly providerMessage: string;
  readonly attempts: readonly ProviderAttempt[];
  /** Input tensor channels (image channels x stacked slices for 2.5D). */
  readonly inputChannels: number;
  readonly classes: number;
  /**
   * Runs one batch, channels-first ([N, C, D, H, W], or [N, C, H, W] for 2D models), and returns class
   * probabilities of the same layout with `classes` channels (softmax applied when the model returns logits).
   */
  run(input: Float32Array, dims: readonly number[]): Promise<Float32Array>;
  release(): Promise<void>;
}

/** Checks provider names; an unknown one is an InputError naming it and the known ones. */
export function parseProviders(providers: readonly string[] | undefined, subject = 'providers'): ProviderName[] {
  const list = providers && providers.length ? providers : ['cpu'];
  const out: ProviderName[] = [];
  for (const p of list) {
    const name = p.trim().toLowerCase();
    if (!(PROVIDERS as readonly string[]).includes(name)) {
      throw new InputError(subject, `unknown execution provider '${p}' (known: ${PROVIDERS.join(', ')})`);
    }
    if (!out.includes(name as ProviderName)) out.push(name as ProviderName);
  }
  if (!out.includes('cpu')) out.push('cpu');
  return out;
}

/** Whether the ONNX graph holds random-number nodes (undecodable bytes are left for ORT to report). */
export function hasRandomNodes(bytes: Uint8Array): boolean {
  try {
    const model = onnx.ModelProto.decode(bytes);
    return (model.graph?.node ?? []).some((n) => /^Random(Uniform|Normal)(Like)?$/.test(n.opType ?? ''));
  } catch {
    return false;
  }
}

/** Softmax over axis 1 of a channels-first tensor, in place. */
export function softmaxChannelsFirst(data: Float32Array, dims: readonly number[]): Float32Array {
  const [n, c] = dims;
  const spatial = dims.slice(2).reduce((a, b) => a * b, 1);
  for (let b = 0; b < n; b++) {
    const base = b * c * spatial;
    for (let v = 0; v < spatial; v++) {
      let max = -Infinity;
      for (let k = 0; k < c; k++) max = Math.max(max, data[base + k * spatial + v]);
      let sum = 0;
      for (let k = 0; k < c; k++) {
        const e = Math.exp(data[base + k * spatial + v] - max);
        data[base + k * spatial + v] = e;
        sum += e;
      }
      for (let k = 0; k < c; k++) data[base + k * spatial + v] /= sum;
    }
  }
  return data;
}

async function openWith(bytes: Uint8Array, provider: ProviderName, options: SessionOptions): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    ...(options.intraOpThreads ? { intraOpNumThreads: options.intraOpThreads } : {}),
  });
}

function staticDim(shape: readonly (number | string)[] | undefined, index: number): number | undefined {
  const d = shape?.[index];
  return typeof d === 'number' && d > 0 ? d : undefined;
}

/**
 * Opens `modelPath` with its card. Errors: a missing or corrupt model file, a missing or invalid card, a card that
 * disagrees with the graph's channel counts, and an unknown provider are InputErrors naming the file or option.
 */
export async function createSession(modelPath: string, options: SessionOptions = {}): Promise<SegmentationSession> {
  const providers = parseProviders(options.providers);
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(modelPath);
  } catch {
    throw new InputError(modelPath, 'model file not found or not readable');
  }
  const loaded = options.card ?? (await loadModelCard(cardPathFor(modelPath)));
  // A graph that samples random numbers (the exporter's active dropout) gives a new prediction per run.
  const card = loaded.mcDropout ? loaded : { ...loaded, mcDropout: hasRandomNodes(bytes) };
  const attempts: ProviderAttempt[] = [];
  let session: ort.InferenceSession | undefined;
  let provider: ProviderName = 'cpu';
  for (const p of providers) {
    try {
      session = await openWith(bytes, p, options);
      provider = p;
      attempts.push({ provider: p, ok: true, why: 'opened' });
      break;
    } catch (error) {
      const message = errorMessage(error).split('\n')[0];
      // A model ORT cannot parse fails on every provider: report it as the file's problem, not the provider's.
      if (/protobuf|parse|invalid model|load model|model_path|ModelProto/i.test(message) && !/backend|provider|library|adapter/i.test(message)) {
        throw new InputError(modelPath, `not a valid ONNX model (${message})`, { cause: error });
      }
      attempts.push({ provider: p, ok: false, why: message });
      if (p === 'cpu') throw new InputError(modelPath, `cannot be opened by ONNX Runtime: ${message}`, { cause: error });
    }
  }
  if (!session) throw new InputError(modelPath, 'no execution provider could open the model');
  const skipped = attempts.filter((a) => !a.ok).map((a) => `${a.provider} unavailable: ${a.why.slice(0, 120)}`);
  const providerMessage = `execution provider: ${provider}${skipped.length ? ` (${skipped.join('; ')})` : ''}`;

  if (session.inputNames.length !== 1) {
    await session.release();
    throw new InputError(modelPath, `the model has ${session.inputNames.length} inputs; segmentation models take one image tensor`);
  }
  const inputName = session.inputNames[0];
  const outputName = session.outputNames[0];
  const inMeta = session.inputMetadata[0];
  const outMeta = session.outputMetadata[0];
  const expectedRank = card.kind === '3d' ? 5 : 4;
  const inShape = inMeta.isTensor ? inMeta.shape : undefined;
  const outShape = outMeta.isTensor ? outMeta.shape : undefined;
  const channels = tensorChannels(card);
  const problems: string[] = [];
  if (inShape && inShape.length !== expectedRank) problems.push(`input '${inputName}' has rank ${inShape.length}, a ${card.kind} model needs ${expectedRank}`);
  const inC = staticDim(inShape, 1);
  if (inC !== undefined && inC !== channels) problems.push(`input '${inputName}' has ${inC} channels but the card says ${channels}`);
  const outC = staticDim(outShape, 1);
  if (outC !== undefined && outC !== card.classNames.length) {
    problems.push(`output '${outputName}' has ${outC} channels but the card names ${card.classNames.length} classes`);
  }
  if (problems.length) {
    await session.release();
    throw new InputError(modelPath, `model and card ${cardPathFor(modelPath)} disagree: ${problems.join('; ')}`);
  }

  const classes = card.classNames.length;
  const opened = session;
  return {
    modelPath,
    card,
    provider,
    providerMessage,
    attempts,
    inputChannels: channels,
    classes,
    async run(input: Float32Array, dims: readonly number[]): Promise<Float32Array> {
      if (dims[1] !== channels) throw new InputError(modelPath, `batch has ${dims[1]} channels, the model takes ${channels}`);
      const feeds = { [inputName]: new ort.Tensor('float32', input, [...dims]) };
      const result = await opened.run(feeds, [outputName]);
      const out = result[outputName];
      const outDims = out.dims;
      if (outDims.length !== dims.length || outDims[1] !== classes || outDims.slice(2).some((d, i) => d !== dims[i + 2])) {
        throw new InputError(modelPath, `output shape [${outDims.join(', ')}] does not match input [${dims.join(', ')}] with ${classes} classes`);
      }
      const data = out.data as Float32Array;
      return card.output === 'logits' ? softmaxChannelsFirst(data, outDims) : data;
    },
    release: () => opened.release(),
  };
}

/** The session as a window predictor: 2D/2.5D models get [N, C, H, W] (the window's z extent is 1). */
export function windowPredictor(session: SegmentationSession): (input: Float32Array, dims: [number, number, number, number, number]) => Promise<Float32Array> {
  const flat = session.card.kind !== '3d';
  return (input, dims) => {
    if (flat && dims[2] !== 1) throw new RangeError(`a ${session.card.kind} model takes windows one slice deep, got ${dims[2]}`);
    return session.run(input, flat ? [dims[0], dims[1], dims[3], dims[4]] : dims);
  };
}
