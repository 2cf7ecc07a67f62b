/**
 * A network as plain, serialisable data: the graph of ops (in topological order) and every weight's name and shape.
 * The same spec drives training (models/forward.ts runs it with tfjs ops), checkpoints (models/weights.ts stores the
 * weights it names) and export (an ONNX exporter walks `nodes` and maps each op to one ONNX node).
 *
 * Conventions an exporter needs:
 * - Tensors are channels-last: 2D [N, H, W, C] (H = y, W = x), 3D [N, D, H, W, C] (D = z). ONNX wants channels-first,
 *   so an exporter transposes the input once (NHWC -> NCHW) and every output back, or writes a channels-first graph.
 * - Weight layouts are tfjs's: conv kernels [k, k, (k,) Cin, Cout]; transposed-conv kernels [k, k, (k,) Cout, Cin]
 *   (ONNX Conv wants [Cout, Cin, k...], ConvTranspose [Cin, Cout, k...]); biases and norm parameters [C].
 * - 'conv' pads 'same' (symmetric (k-1)/2 for odd k); 'convTranspose' has kernel = stride = 2 and no padding, so the
 *   output is exactly twice the input size; 'maxPool' is 2 x 2 (x 2), stride 2.
 * - 'norm' with kind 'batch' uses `movingMean`/`movingVariance` at inference (ONNX BatchNormalization); 'instance' is
 *   group normalisation with groups = channels (ONNX InstanceNormalization); 'group' is ONNX GroupNormalization.
 *   Statistics are over the spatial axes (and the channels of a group; batch norm also over N); epsilon inside sqrt.
 * - 'dropout' is the identity at inference unless MC-dropout is wanted (then an exporter keeps ONNX Dropout with
 *   training_mode = true).
 * - 'concat' is along the channel axis, inputs in the listed order. Outputs are logits (no softmax).
 */
import { z } from 'zod';

export const NETWORK_SPEC_FORMAT = 'segstation.network/1';

export const NormKindSchema = z.enum(['batch', 'instance', 'group', 'none']);
export type NormKind = z.infer<typeof NormKindSchema>;

const id = z.string().min(1);
/** Which part of the network a node or weight belongs to: the shared encoder, a named decoder, or a head. */
const part = z.string().regex(/^(encoder|decoder:[\w-]+|head:[\w-]+)$/, "must be 'encoder', 'decoder:<name>' or 'head:<name>'");

export const WeightSpecSchema = z.object({
  name: id,
  shape: z.array(z.number().int().min(1)).min(1),
  /** How a fresh network initialises it. */
  init: z.enum(['he', 'zeros', 'ones']),
  /** false for batch-norm moving statistics, updated by the forward pass, not by the optimiser. */
  trainable: z.boolean(),
  part,
});
export type WeightSpec = z.infer<typeof WeightSpecSchema>;

const common = { id, part };
export const NodeSpecSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('input'), ...common }),
  z.object({
    op: z.literal('conv'),
    ...common,
    input: id,
    kernel: z.number().int().min(1),
    stride: z.number().int().min(1),
    weight: id,
    bias: id.optional(),
  }),
  z.object({ op: z.literal('convTranspose'), ...common, input: id, kernel: z.literal(2), stride: z.literal(2), weight: id, bias: id }),
  z.object({ op: z.literal('maxPool'), ...common, input: id }),
  z.object({
    op: z.literal('norm'),
    ...common,
    input: id,
    kind: z.enum(['batch', 'instance', 'group']),
    groups: z.number().int().min(1),
    epsilon: z.number().positive(),
    /** Batch norm: weight of the old moving statistics per update. */
    momentum: z.number().min(0).max(1),
    gamma: id,
    beta: id,
    movingMean: id.optional(),
    movingVariance: id.optional(),
  }),
  z.object({ op: z.literal('leakyRelu'), ...common, input: id, alpha: z.number().min(0) }),
  z.object({ op: z.literal('dropout'), ...common, input: id, rate: z.number().min(0).max(0.95) }),
  z.object({ op: z.literal('add'), ...common, inputs: z.tuple([id, id]) }),
  z.object({ op: z.literal('concat'), ...common, inputs: z.array(id).min(2) }),
]);
export type NodeSpec = z.infer<typeof NodeSpecSchema>;
export type NodeOp = NodeSpec['op'];

/** How the network's input channels are made from a case's image channels. */
export const InputLayoutSchema = z.object({
  /** '2.5d': a 2D network whose input stacks 2 * context + 1 neighbouring slices along `axis` of every image channel. */
  kind: z.enum(['2d', '2.5d', '3d']),
  /** Slice axis for 2d/2.5d (slices are normal to it). */
  axis: z.enum(['x', 'y', 'z']),
  /** Neighbours on each side (2.5d only; 0 otherwise). */
  context: z.number().int().min(0),
  /** Image channels of a case. */
  imageChannels: z.number().int().min(1),
});
export type InputLayout = z.infer<typeof InputLayoutSchema>;

export const OutputSpecSchema = z.object({
  /** Name of the output: the head's name, or `<head>_ds<k>` for deep supervision at 1 / 2^k resolution. */
  name: id,
  head: z.string(),
  node: id,
  classes: z.number().int().min(2),
  /** Resolution relative to the input (1, 1/2, 1/4...). */
  scale: z.number().positive().max(1),
});
export type OutputSpec = z.infer<typeof OutputSpecSchema>;

export const NetworkSpecSchema = z
  .object({
    format: z.literal(NETWORK_SPEC_FORMAT),
    name: z.string(),
    dims: z.union([z.literal(2), z.literal(3)]),
    /** Channels of the network's input tensor (image channels x slices for 2.5D). */
    inputChannels: z.number().int().min(1),
    input: InputLayoutSchema,
    /** Spatial sizes of the input must be multiples of this (2^(levels - 1)). */
    sizeDivisor: z.number().int().min(1),
    nodes: z.array(NodeSpecSchema).min(2),
    weights: z.array(WeightSpecSchema),
    outputs: z.array(OutputSpecSchema).min(1),
  })
  .superRefine((spec, ctx) => {
    const seen = new Set<string>();
    const weights = new Set(spec.weights.map((w) => w.name));
    if (weights.size !== spec.weights.length) ctx.addIssue({ code: 'custom', path: ['weights'], message: 'duplicate weight names' });
    for (const [i, node] of spec.nodes.entries()) {
      if (seen.has(node.id)) ctx.addIssue({ code: 'custom', path: ['nodes', i, 'id'], message: `duplicate node id '${node.id}'` });
      for (const input of nodeInputs(node)) {
        if (!seen.has(input)) ctx.addIssue({ code: 'custom', path: ['nodes', i], message: `input '${input}' is not an earlier node` });
      }
      for (const w of nodeWeights(node)) {
        if (!weights.has(w)) ctx.addIssue({ code: 'custom', path: ['nodes', i], message: `weight '${w}' is not declared` });
      }
      seen.add(node.id);
    }
    for (const [i, out] of spec.outputs.entries()) {
      if (!seen.has(out.node)) ctx.addIssue({ code: 'custom', path: ['outputs', i, 'node'], message: `no node '${out.node}'` });
    }
  });
export type NetworkSpec = z.infer<typeof NetworkSpecSchema>;

export function nodeInputs(node: NodeSpec): string[] {
  switch (node.op) {
    case 'input':
      return [];
    case 'add':
    case 'concat':
      return [...node.inputs];
    default:
      return [node.input];
  }
}

export function nodeWeights(node: NodeSpec): string[] {
  switch (node.op) {
    case 'conv':
      return node.bias ? [node.weight, node.bias] : [node.weight];
    case 'convTranspose':
      return [node.weight, node.bias];
    case 'norm':
      return [node.gamma, node.beta, ...(node.movingMean ? [node.movingMean] : []), ...(node.movingVariance ? [node.movingVariance] : [])];
    default:
      return [];
  }
}

/** Number of trainable parameters. */
export function parameterCount(spec: NetworkSpec): number {
  return spec.weights.filter((w) => w.trainable).reduce((sum, w) => sum + w.shape.reduce((a, b) => a * b, 1), 0);
}

/** Weights of one part ('encoder', 'decoder:main', 'head:seg'): what to freeze or transfer when reusing a backbone. */
export function weightsOfPart(spec: NetworkSpec, prefix: string): WeightSpec[] {
  return spec.weights.filter((w) => w.part === prefix || w.part.startsWith(`${prefix}:`));
}
