/**
 * U-Net builders: 2D, 2.5D (a 2D network on neighbouring slices stacked as channels) and 3D, plain or with a residual
 * encoder, as a NetworkSpec. The encoder (backbone) is shared; each head names a decoder, and heads naming the same
 * decoder share it, so a segmentation head and e.g. a boundary head with another loss can train on one backbone.
 */
import { z } from 'zod';
import { NETWORK_SPEC_FORMAT, NetworkSpecSchema, NormKindSchema, type NetworkSpec, type NodeSpec, type OutputSpec, type WeightSpec } from './spec.ts';

export const HeadConfigSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z][\w-]*$/, 'must start with a letter and hold only letters, digits, _ and -'),
    /** Output classes; by default the project's class count. */
    classes: z.number().int().min(2).max(255).optional(),
    /** Heads naming the same decoder share it. */
    decoder: z.string().regex(/^[\w-]+$/).default('main'),
  })
  .strict();
export type HeadConfig = z.infer<typeof HeadConfigSchema>;

export const UNetConfigSchema = z
  .object({
    kind: z.enum(['2d', '2.5d', '3d']).default('2.5d'),
    /** Slice axis of 2d/2.5d networks. */
    axis: z.enum(['x', 'y', 'z']).default('z'),
    /** 2.5d: neighbouring slices on each side. */
    context: z.number().int().min(0).max(8).default(1),
    /** Resolution levels (encoder stages); the input is downsampled levels - 1 times. */
    levels: z.number().int().min(2).max(6).default(4),
    /** Filters of the first level; doubled per level up to maxFilters. */
    filters: z.number().int().min(1).max(512).default(16),
    maxFilters: z.number().int().min(1).max(1024).default(320),
    residual: z.boolean().default(false),
    norm: NormKindSchema.default('instance'),
    /** Group norm: groups per layer (lowered to a divisor of the channel count). */
    groups: z.number().int().min(1).default(8),
    /** Dropout after the bottleneck and every decoder block; kept at inference for MC-dropout. */
    dropout: z.number().min(0).max(0.9).default(0),
    deepSupervision: z.boolean().default(false),
    heads: z.array(HeadConfigSchema).min(1).default([{ name: 'segmentation', decoder: 'main' }]),
  })
  .strict();
export type UNetConfig = z.infer<typeof UNetConfigSchema>;
export type UNetConfigInput = z.input<typeof UNetConfigSchema>;

export interface UNetBuildOptions {
  /** Image channels of a case (before 2.5D stacking). */
  imageChannels: number;
  /** Classes of heads that do not set their own. */
  classes: number;
  name?: string;
}

const LEAK = 0.01;

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

class SpecBuilder {
  readonly nodes: NodeSpec[] = [];
  readonly weights: WeightSpec[] = [];
  private readonly channels = new Map<string, number>();
  constructor(
    readonly dims: 2 | 3,
    readonly config: UNetConfig,
  ) {}

  input(channels: number): string {
    this.nodes.push({ op: 'input', id: 'input', part: 'encoder' });
    this.channels.set('input', channels);
    return 'input';
  }

  channelsOf(id: string): number {
    const c = this.channels.get(id);
    if (c === undefined) throw new Error(`unknown node ${id}`);
    return c;
  }

  private weight(name: string, shape: number[], init: WeightSpec['init'], part: string, trainable = true): string {
    this.weights.push({ name, shape, init, trainable, part });
    return name;
  }

  conv(id: string, input: string, out: number, kernel: number, stride: number, part: string, bias: boolean): string {
    const cin = this.channelsOf(input);
    const k = Array<number>(this.dims).fill(kernel);
    const weight = this.weight(`${id}/kernel`, [...k, cin, out], 'he', part);
    const b = bias ? this.weight(`${id}/bias`, [out], 'zeros', part) : undefined;
    this.nodes.push({ op: 'conv', id, part, input, kernel, stride, weight, ...(b ? { bias: b } : {}) });
    this.channels.set(id, out);
    return id;
  }

  up(id: string, input: string, out: number, part: string): string {
    const cin = this.channelsOf(input);
    const weight = this.weight(`${id}/kernel`, [...Array<number>(this.dims).fill(2), out, cin], 'he', part);
    const bias = this.weight(`${id}/bias`, [out], 'zeros', part);
    this.nodes.push({ op: 'convTranspose', id, part, input, kernel: 2, stride: 2, weight, bias });
    this.channels.set(id, out);
    return id;
  }

  norm(id: string, input: string, part: string): string {
    const kind = this.config.norm;
    if (kind === 'none') return input;
    const c = this.channelsOf(input);
    const groups = kind === 'instance' ? c : kind === 'group' ? gcd(c, Math.min(this.config.groups, c)) : 1;
    const gamma = this.weight(`${id}/gamma`, [c], 'ones', part);
    const beta = this.weight(`${id}/beta`, [c], 'zeros', part);
    const moving =
      kind === 'batch'
        ? { movingMean: this.weight(`${id}/moving_mean`, [c], 'zeros', part, false), movingVariance: this.weight(`${id}/moving_variance`, [c], 'ones', part, false) }
        : {};
    this.nodes.push({ op: 'norm', id, part, input, kind, groups, epsilon: 1e-5, momentum: 0.9, gamma, beta, ...moving });
    this.channels.set(id, c);
    return id;
  }

  act(id: string, input: string, part: string): string {
    this.nodes.push({ op: 'leakyRelu', id, part, input, alpha: LEAK });
    this.channels.set(id, this.channelsOf(input));
    return id;
  }

  simple(op: 'maxPool', id: string, input: string, part: string): string {
    this.nodes.push({ op, id, part, input });
    this.channels.set(id, this.channelsOf(input));
    return id;
  }

  dropout(id: string, input: string, part: string): string {
    if (this.config.dropout <= 0) return input;
    this.nodes.push({ op: 'dropout', id, part, input, rate: this.config.dropout });
    this.channels.set(id, this.channelsOf(input));
    return id;
  }

  add(id: string, a: string, b: string, part: string): string {
    this.nodes.push({ op: 'add', id, part, inputs: [a, b] });
    this.channels.set(id, this.channelsOf(a));
    return id;
  }

  concat(id: string, inputs: string[], part: string): string {
    this.nodes.push({ op: 'concat', id, part, inputs });
    this.channels.set(id, inputs.reduce((s, i) => s + this.channelsOf(i), 0));
    return id;
  }

  /** conv -> norm -> leaky ReLU, bias only without a norm. */
  convNormAct(id: string, input: string, out: number, stride: number, part: string): string {
    const bias = this.config.norm === 'none';
    const c = this.conv(`${id}/conv`, input, out, 3, stride, part, bias);
    return this.act(`${id}/act`, this.norm(`${id}/norm`, c, part), part);
  }

  plainBlock(id: string, input: string, out: number, part: string): string {
    return this.convNormAct(`${id}/b`, this.convNormAct(`${id}/a`, input, out, 1, part), out, 1, part);
  }

  /** Pre-activation-free residual block: (conv-norm-act, conv-norm) + shortcut, then act; strided for downsampling. */
  residualBlock(id: string, input: string, out: number, stride: number, part: string): string {
    const bias = this.config.norm === 'none';
    const a = this.convNormAct(`${id}/a`, input, out, stride, part);
    const b = this.norm(`${id}/b/norm`, this.conv(`${id}/b/conv`, a, out, 3, 1, part, bias), part);
    let shortcut = input;
    if (stride !== 1 || this.channelsOf(input) !== out) {
      shortcut = this.norm(`${id}/skip/norm`, this.conv(`${id}/skip/conv`, input, out, 1, stride, part, bias), part);
    }
    return this.act(`${id}/act`, this.add(`${id}/add`, b, shortcut, part), part);
  }
}

/** Filters of each level. */
export function levelFilters(config: Pick<UNetConfig, 'levels' | 'filters' | 'maxFilters'>): number[] {
  return Array.from({ length: config.levels }, (_, l) => Math.min(config.filters * 2 ** l, config.maxFilters));
}

/** Input channels of the network: image channels, times the slice stack for 2.5D. */
export function networkInputChannels(config: Pick<UNetConfig, 'kind' | 'context'>, imageChannels: number): number {
  return config.kind === '2.5d' ? imageChannels * (2 * config.context + 1) : imageChannels;
}

export function buildUNet(input: UNetConfigInput, options: UNetBuildOptions): NetworkSpec {
  const config = UNetConfigSchema.parse(input);
  const dims = config.kind === '3d' ? 3 : 2;
  const b = new SpecBuilder(dims, config);
  const filters = levelFilters(config);
  const inputChannels = networkInputChannels(config, options.imageChannels);

  // Encoder: level 0 at full resolution, each further level at half the previous.
  const skips: string[] = [];
  let x = b.input(inputChannels);
  for (let l = 0; l < config.levels; l++) {
    const id = `enc${l}`;
    if (config.residual) {
      x = b.residualBlock(id, x, filters[l], l === 0 ? 1 : 2, 'encoder');
    } else {
      if (l > 0) x = b.simple('maxPool', `${id}/pool`, x, 'encoder');
      x = b.plainBlock(id, x, filters[l], 'encoder');
    }
    if (l === config.levels - 1) x = b.dropout(`${id}/dropout`, x, 'encoder');
    skips.push(x);
  }

  // Decoders, one per distinct name, then the heads reading from them.
  const decoderLevels = new Map<string, string[]>(); // per decoder: feature node at level 0..levels-2
  const outputs: OutputSpec[] = [];
  for (const head of config.heads) {
    if (!decoderLevels.has(head.decoder)) {
      const part = `decoder:${head.decoder}`;
      const features: string[] = [];
      let y = skips[config.levels - 1];
      for (let l = config.levels - 2; l >= 0; l--) {
        const id = `dec_${head.decoder}_${l}`;
        const up = b.up(`${id}/up`, y, filters[l], part);
        y = b.plainBlock(id, b.concat(`${id}/concat`, [up, skips[l]], part), filters[l], part);
        y = b.dropout(`${id}/dropout`, y, part);
        features[l] = y;
      }
      decoderLevels.set(head.decoder, features);
    }
    const features = decoderLevels.get(head.decoder) as string[];
    const classes = head.classes ?? options.classes;
    const part = `head:${head.name}`;
    outputs.push({ name: head.name, head: head.name, node: b.conv(`head_${head.name}`, features[0], classes, 1, 1, part, true), classes, scale: 1 });
    if (config.deepSupervision) {
      for (let l = 1; l <= config.levels - 2; l++) {
        const node = b.conv(`head_${head.name}_ds${l}`, features[l], classes, 1, 1, part, true);
        outputs.push({ name: `${head.name}_ds${l}`, head: head.name, node, classes, scale: 1 / 2 ** l });
      }
    }
  }
  if (new Set(outputs.map((o) => o.name)).size !== outputs.length) throw new Error('head names must be unique');

  return NetworkSpecSchema.parse({
    format: NETWORK_SPEC_FORMAT,
    name: options.name ?? `unet-${config.kind}${config.residual ? '-resenc' : ''}`,
    dims,
    inputChannels,
    input: { kind: config.kind, axis: config.axis, context: config.kind === '2.5d' ? config.context : 0, imageChannels: options.imageChannels },
    sizeDivisor: 2 ** (config.levels - 1),
    nodes: b.nodes,
    weights: b.weights,
    outputs,
  });
}
