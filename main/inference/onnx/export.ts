/**
 * Exports a trained network (models/spec.ts NetworkSpec + its weights) to ONNX. The graph is channels-first (NCHW /
 * NCDHW, ONNX's convention and what the inference sessions feed), so no transposes appear in it; the weights are
 * re-laid out once: tfjs conv kernels [k.., Cin, Cout] -> ONNX Conv [Cout, Cin, k..], tfjs transposed-conv kernels
 * [k.., Cout, Cin] -> ONNX ConvTranspose [Cin, Cout, k..]. 'same' padding follows tfjs-core exactly: for strided
 * convolutions it is ONNX auto_pad SAME_UPPER, except that tfjs-core's 3D 'same' does not clamp a negative padding
 * (kernel smaller than the stride, e.g. a 1x1x1 stride-2 shortcut on an even size): it then starts sampling at voxel
 * (s - k + 1) // 2 instead of 0, which the export reproduces with a Slice before a padding-free Conv.
 * Dropout is dropped (identity) unless `mcDropout`, which keeps it as ONNX Dropout with training_mode = true.
 */
import { loadModel } from '../../../models/card.ts';
import type { NetworkSpec, NodeSpec } from '../../../models/spec.ts';
import { writeFileAtomic } from '../../util/atomic.ts';
import { InputError } from '../../util/errors.ts';
import { ONNX_CARD_FORMAT, cardPathFor, parseModelCard, type ModelCard, type ModelCardInput } from '../modelCard.ts';
import { OnnxGraphBuilder, samePads } from './graph.ts';

export interface ExportOptions {
  /** Network output to export (default the first). */
  output?: string;
  /** Keep dropout active for MC-dropout. */
  mcDropout?: boolean;
  /** Seed of the dropout masks (each run draws new masks from it). */
  dropoutSeed?: number;
  /** Append a softmax over classes (the card then says 'probabilities'); default false, logits. */
  softmax?: boolean;
}

/** Weight values by name, in the tfjs (channels-last) layout of the spec's shapes. */
export type WeightValues = ReadonlyMap<string, Float32Array> | Readonly<Record<string, Float32Array>>;

function weightOf(spec: NetworkSpec, weights: WeightValues, name: string): { data: Float32Array; shape: number[] } {
  const declared = spec.weights.find((w) => w.name === name);
  if (!declared) throw new InputError(`weights.${name}`, 'is not declared by the network spec');
  const data = weights instanceof Map ? weights.get(name) : (weights as Record<string, Float32Array>)[name];
  if (!data) throw new InputError(`weights.${name}`, 'is missing');
  const size = declared.shape.reduce((a, b) => a * b, 1);
  if (data.length !== size) throw new InputError(`weights.${name}`, `has ${data.length} values, its shape [${declared.shape.join(', ')}] needs ${size}`);
  return { data, shape: declared.shape };
}

/**
 * Moves the last two axes of a kernel [k.., A, B] to the front as [B, A, k..] (conv: A = Cin, B = Cout -> [Cout,
 * Cin, k..]; transposed conv: A = Cout, B = Cin -> [Cin, Cout, k..]).
 */
export function kernelToChannelsFirst(data: Float32Array, shape: readonly number[]): { data: Float32Array; dims: number[] } {
  const spatial = shape.slice(0, -2);
  const a = shape[shape.length - 2];
  const b = shape[shape.length - 1];
  const k = spatial.reduce((x, y) => x * y, 1);
  const out = new Float32Array(data.length);
  for (let s = 0; s < k; s++) {
    for (let i = 0; i < a; i++) {
      for (let o = 0; o < b; o++) out[(o * a + i) * k + s] = data[(s * a + i) * b + o];
    }
  }
  return { data: out, dims: [b, a, ...spatial] };
}

/** Builds the ONNX graph of `spec` with `weights`; returns the builder (call toBytes() or save()). */
export function exportOnnx(spec: NetworkSpec, weights: WeightValues, options: ExportOptions = {}): OnnxGraphBuilder {
  const out = options.output ? spec.outputs.find((o) => o.name === options.output) : spec.outputs[0];
  if (!out) throw new InputError('output', `the network has no output '${options.output}' (it has ${spec.outputs.map((o) => o.name).join(', ')})`);
  const dims = spec.dims;
  const spatial = dims === 3 ? ['D', 'H', 'W'] : ['H', 'W'];
  const g = new OnnxGraphBuilder(spec.name);
  const values = new Map<string, string>();
  values.set('input', g.input('image', ['N', spec.inputChannels, ...spatial]));
  const get = (id: string) => {
    const v = values.get(id);
    if (!v) throw new Error(`internal: node '${id}' has no ONNX value`);
    return v;
  };
  const end = spec.nodes.findIndex((n) => n.id === out.node);
  for (const node of spec.nodes.slice(0, end + 1)) {
    if (node.op === 'input') continue;
    values.set(node.id, exportNode(g, node, get, spec, weights, options));
  }
  const result = options.softmax ? g.softmax(get(out.node), 1) : get(out.node);
  g.output(result, options.softmax ? 'probabilities' : 'logits', ['N', out.classes, ...spatial]);
  return g;
}

function exportNode(
  g: OnnxGraphBuilder,
  node: NodeSpec,
  get: (id: string) => string,
  spec: NetworkSpec,
  weights: WeightValues,
  options: ExportOptions,
): string {
  const dims = spec.dims;
  switch (node.op) {
    case 'input':
      throw new Error('internal: input is not exported as a node');
    case 'conv': {
      const w = weightOf(spec, weights, node.weight);
      const kernel = kernelToChannelsFirst(w.data, w.shape);
      const bias = node.bias ? weightOf(spec, weights, node.bias).data : undefined;
      const k = Array<number>(dims).fill(node.kernel);
      const strides = Array<number>(dims).fill(node.stride);
      if (node.stride === 1) return g.conv(get(node.input), kernel, bias, { strides, pads: samePads(k) });
      if (dims === 3 && node.kernel < node.stride) {
        // tfjs-core: front = floor(((ceil(n / s) - 1) s + k - n) / 2) = floor((k - s) / 2) < 0 for n divisible by s.
        const skip = -Math.floor((node.kernel - node.stride) / 2);
        const sliced = g.sliceFrom(get(node.input), [2, 3, 4], [skip, skip, skip]);
        return g.conv(sliced, kernel, bias, { strides });
      }
      return g.conv(get(node.input), kernel, bias, { strides, autoPad: 'SAME_UPPER' });
    }
    case 'convTranspose': {
      const w = weightOf(spec, weights, node.weight);
      const kernel = kernelToChannelsFirst(w.data, w.shape);
      const bias = weightOf(spec, weights, node.bias).data;
      return g.convTranspose(get(node.input), kernel, bias, { strides: Array<number>(dims).fill(2) });
    }
    case 'maxPool':
      return g.maxPool(get(node.input), Array<number>(dims).fill(2));
    case 'norm': {
      const gamma = weightOf(spec, weights, node.gamma).data;
      const beta = weightOf(spec, weights, node.beta).data;
      if (node.kind === 'batch') {
        if (!node.movingMean || !node.movingVariance) throw new InputError(`node ${node.id}`, 'batch norm needs moving statistics');
        return g.batchNorm(
          get(node.input),
          { scale: gamma, bias: beta, mean: weightOf(spec, weights, node.movingMean).data, variance: weightOf(spec, weights, node.movingVariance).data },
          node.epsilon,
        );
      }
      if (node.groups === gamma.length) return g.instanceNorm(get(node.input), gamma, beta, node.epsilon);
      return g.groupNorm(get(node.input), node.groups, gamma, beta, dims, node.epsilon);
    }
    case 'leakyRelu':
      return g.leakyRelu(get(node.input), node.alpha);
    case 'dropout':
      if (!options.mcDropout || node.rate === 0) return get(node.input);
      return g.dropout(get(node.input), node.rate, true, options.dropoutSeed);
    case 'add':
      return g.add(get(node.inputs[0]), get(node.inputs[1]));
    case 'concat':
      return g.concat(node.inputs.map(get), 1);
  }
}

export interface ExportCardInfo {
  classNames: string[];
  /** Spacing (x, y, z) the network was trained at, or null. */
  spacing: [number, number, number] | null;
  normalization: ModelCardInput['normalization'];
  /** Sliding-window ROI (x, y, z); 1 along the slice axis for 2D/2.5D networks. */
  patchSize: [number, number, number];
  description?: string;
}

/** The model card of an exported network (what the inference sessions read beside the .onnx file). */
export function exportModelCard(spec: NetworkSpec, info: ExportCardInfo, options: ExportOptions = {}): ModelCard {
  const out = options.output ? spec.outputs.find((o) => o.name === options.output) : spec.outputs[0];
  if (out && out.classes !== info.classNames.length) {
    throw new InputError('classNames', `names ${info.classNames.length} classes but output '${out.name}' has ${out.classes}`);
  }
  return parseModelCard(
    {
      format: ONNX_CARD_FORMAT,
      name: spec.name,
      description: info.description ?? '',
      inputChannels: spec.input.imageChannels,
      classNames: info.classNames,
      spacing: info.spacing,
      patchSize: info.patchSize,
      kind: spec.input.kind,
      sliceAxis: spec.input.axis,
      sliceContext: spec.input.context,
      normalization: info.normalization,
      output: options.softmax ? 'probabilities' : 'logits',
      layout: 'channels-first',
      mcDropout: Boolean(options.mcDropout) && spec.nodes.some((n) => n.op === 'dropout' && n.rate > 0),
      sizeDivisor: spec.sizeDivisor,
    },
    'exported model card',
  );
}

/** Writes `<file>` (ONNX) and its card `<file without .onnx>.card.json`, each atomically. */
export async function saveExportedModel(file: string, spec: NetworkSpec, weights: WeightValues, info: ExportCardInfo, options: ExportOptions = {}): Promise<void> {
  const card = exportModelCard(spec, info, options);
  await exportOnnx(spec, weights, options).save(file, `${spec.name} exported by segstation`);
  await writeFileAtomic(cardPathFor(file), `${JSON.stringify(card, null, 2)}\n`);
}

/**
 * Exports a trained model folder (models/card.ts: card.json + weights) to `file` (ONNX) with the model's card copied
 * beside it as `<name>.card.json`, which sessions read (trainedCard.ts).
 */
export async function exportTrainedModel(modelDir: string, file: string, options: ExportOptions = {}): Promise<void> {
  const { card, tensors } = await loadModel(modelDir);
  const weights = new Map(tensors.map((t) => [t.name, t.values]));
  await exportOnnx(card.network, weights, options).save(file, `${card.name} exported by segstation`);
  await writeFileAtomic(cardPathFor(file), `${JSON.stringify(card, null, 1)}\n`);
}
