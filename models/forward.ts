/**
 * Runs a NetworkSpec with tfjs ops. Weights live in a WeightStore (one tf.Variable per WeightSpec), so the optimiser
 * trains exactly the variables the spec names and a checkpoint is the store's values in spec order.
 */
import * as tf from '@tensorflow/tfjs-core';


import { mulberry32 } from '../main/util/random.ts';
import { groupNorm, groupNormLeakyRelu } from '../main/training/backend/fused-group-norm.ts';
import type { NetworkSpec, NodeSpec, WeightSpec } from './spec.ts';

export type WeightStore = Map<string, tf.Variable>;

// tfjs variable names are global: each store gets its own prefix.
let storeCounter = 0;

export interface ForwardOptions {
  /** Batch norm uses batch statistics and dropout is active. */
  training: boolean;
  /** Keep dropout active at inference (MC-dropout); ignored when training. */
  mcDropout?: boolean;
  /** Seed source for dropout masks; each dropout call draws a fresh seed from it. */
  random?: () => number;
  /**
   * Training with batch norm: receives the new moving statistics (kept tensors) for the caller to assign after the
   * optimiser step, which must not see them as part of the loss graph.
   */
  statUpdates?: { name: string; value: tf.Tensor }[];
  /** Names of outputs to compute; default all. */
  outputs?: string[];
}

function fanIn(w: WeightSpec): number {
  // conv [k.., Cin, Cout]: k^d * Cin; transposed conv [k.., Cout, Cin]: its forward fan-in is k^d * Cin as well.
  const size = w.shape.reduce((a, b) => a * b, 1);
  return w.name.includes('/up/') ? size / w.shape[w.shape.length - 2] : size / w.shape[w.shape.length - 1];
}

/** Fresh variables for every weight of the spec, He-normal kernels, seeded. */
export function createWeights(spec: NetworkSpec, seed = 0): WeightStore {
  const store: WeightStore = new Map();
  const next = mulberry32(seed);
  const prefix = `${spec.name}#${storeCounter++}`;
  for (const w of spec.weights) {
    const value = tf.tidy(() => {
      if (w.init === 'zeros') return tf.zeros(w.shape);
      if (w.init === 'ones') return tf.ones(w.shape);
      return tf.randomNormal(w.shape, 0, Math.sqrt(2 / fanIn(w)), 'float32', Math.floor(next() * 2 ** 31));
    });
    store.set(w.name, tf.variable(value, w.trainable, `${prefix}/${w.name}`));
    value.dispose();
  }
  return store;
}

export function disposeWeights(store: WeightStore): void {
  for (const v of store.values()) v.dispose();
  store.clear();
}

/** The trainable variables, in spec order (what the optimiser updates). */
export function trainableVariables(spec: NetworkSpec, store: WeightStore): tf.Variable[] {
  return spec.weights.filter((w) => w.trainable).map((w) => getWeight(store, w.name));
}

function getWeight(store: WeightStore, name: string): tf.Variable {
  const v = store.get(name);
  if (!v) throw new Error(`weight '${name}' is missing from the store`);
  return v;
}

function normalize(x: tf.Tensor, node: NormNode, store: WeightStore, options: ForwardOptions): tf.Tensor {
  const rank = x.rank;
  const c = x.shape[rank - 1];
  const gamma = getWeight(store, node.gamma);
  const beta = getWeight(store, node.beta);
  const spatial = Array.from({ length: rank - 2 }, (_, i) => i + 1);
  if (node.kind === 'batch') {
    const mean = getWeight(store, node.movingMean as string);
    const variance = getWeight(store, node.movingVariance as string);
    // Written out rather than tf.batchNorm, whose gradient fails on rank-5 (3D) inputs in tfjs 4.22.
    const affine = (m: tf.Tensor, v: tf.Tensor): tf.Tensor => tf.add(tf.mul(tf.div(tf.sub(x, m), tf.sqrt(tf.add(v, node.epsilon))), gamma), beta);
    if (!options.training) return affine(mean, variance);
    const moments = tf.moments(x, [0, ...spatial]);
    if (options.statUpdates) {
      const m = node.momentum;
      const n = x.size / c;
      options.statUpdates.push({ name: node.movingMean as string, value: tf.keep(tf.add(tf.mul(mean, m), tf.mul(moments.mean, 1 - m))) });
      // Moving variance uses the unbiased batch variance, as Keras and PyTorch do.
      const unbiased = tf.mul(moments.variance, n / Math.max(1, n - 1));
      options.statUpdates.push({ name: node.movingVariance as string, value: tf.keep(tf.add(tf.mul(variance, m), tf.mul(unbiased, 1 - m))) });
    }
    return affine(moments.mean, moments.variance);
  }
  // Instance, group and layer norm: one fused op with its own gradient on cpu (composed tfjs ops elsewhere).
  return groupNorm(x, gamma, beta, node.groups, node.epsilon);
}

/** leakyRelu(norm(x)) for an instance/group/layer norm node and the activation node after it. */
function normalizeActivated(x: tf.Tensor, node: NormNode, activation: LeakyReluNode, store: WeightStore): tf.Tensor {
  return groupNormLeakyRelu(x, getWeight(store, node.gamma), getWeight(store, node.beta), node.groups, node.epsilon, activation.alpha);
}

type NormNode = Extract<NodeSpec, { op: 'norm' }>;
type LeakyReluNode = Extract<NodeSpec, { op: 'leakyRelu' }>;

function inputsOf(node: NodeSpec): string[] {
  if (node.op === 'input') return [];
  if (node.op === 'add' || node.op === 'concat') return node.inputs;
  return [node.input];
}

const fusionPlans = new WeakMap<NetworkSpec, Map<string, LeakyReluNode>>();

/**
 * Instance/group/layer norms whose one consumer is the leaky ReLU right after them (the U-Net block): each pair runs
 * as one op (groupNormLeakyRelu), which on cpu saves two passes over the activation each way and one tensor.
 */
export function normActivationPairs(spec: NetworkSpec): Map<string, LeakyReluNode> {
  let plan = fusionPlans.get(spec);
  if (plan) return plan;
  const uses = new Map<string, number>();
  for (const id of [...spec.nodes.flatMap(inputsOf), ...spec.outputs.map((o) => o.node)]) uses.set(id, (uses.get(id) ?? 0) + 1);
  plan = new Map();
  spec.nodes.forEach((node, i) => {
    const next = spec.nodes[i + 1];
    if (node.op !== 'norm' || node.kind === 'batch' || next?.op !== 'leakyRelu') return;
    if (next.input === node.id && uses.get(node.id) === 1 && next.alpha >= 0) plan.set(node.id, next);
  });
  fusionPlans.set(spec, plan);
  return plan;
}

function runNode(node: NodeSpec, values: Map<string, tf.Tensor>, store: WeightStore, dims: 2 | 3, options: ForwardOptions): tf.Tensor {
  const get = (id: string): tf.Tensor => {
    const t = values.get(id);
    if (!t) throw new Error(`node '${id}' has no value`);
    return t;
  };
  switch (node.op) {
    case 'input':
      throw new Error('the input node is fed, not run');
    case 'conv': {
      const x = get(node.input);
      const w = getWeight(store, node.weight);
      let y =
        dims === 2
          ? tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, node.stride, 'same')
          : tf.conv3d(x as tf.Tensor5D, w as tf.Tensor5D, node.stride, 'same');
      if (node.bias) y = tf.add(y, getWeight(store, node.bias));
      return y;
    }
    case 'convTranspose': {
      const x = get(node.input);
      const w = getWeight(store, node.weight);
      const out = w.shape[w.shape.length - 2];
      const [n, ...rest] = x.shape;
      const spatial = rest.slice(0, dims).map((s) => s * 2);
      const y =
        dims === 2
          ? tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, [n, spatial[0], spatial[1], out], 2, 'valid')
          : tf.conv3dTranspose(x as tf.Tensor5D, w as tf.Tensor5D, [n, spatial[0], spatial[1], spatial[2], out], 2, 'valid');
      return tf.add(y, getWeight(store, node.bias));
    }
    case 'maxPool': {
      const x = get(node.input);
      return dims === 2 ? tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid') : tf.maxPool3d(x as tf.Tensor5D, 2, 2, 'valid');
    }
    case 'norm':
      return normalize(get(node.input), node, store, options);
    case 'leakyRelu':
      return tf.leakyRelu(get(node.input), node.alpha);
    case 'dropout': {
      const x = get(node.input);
      if (!(options.training || options.mcDropout) || node.rate === 0) return x;
      const seed = options.random ? Math.floor(options.random() * 2 ** 31) : undefined;
      return tf.dropout(x, node.rate, undefined, seed);
    }
    case 'add':
      return tf.add(get(node.inputs[0]), get(node.inputs[1]));
    case 'concat':
      return tf.concat(node.inputs.map(get), dims + 1);
  }
}

/**
 * Runs the network on `input` ([N, H, W, C] or [N, D, H, W, C]) and returns the logits of every requested output.
 * Call inside tf.tidy or an optimiser's minimize: intermediates are left to the caller's scope.
 */
export function runNetwork(spec: NetworkSpec, store: WeightStore, input: tf.Tensor, options: ForwardOptions): Record<string, tf.Tensor> {
  if (input.rank !== spec.dims + 2) throw new Error(`${spec.name}: input must have rank ${spec.dims + 2}, got [${input.shape.join(', ')}]`);
  if (input.shape[input.rank - 1] !== spec.inputChannels) {
    throw new Error(`${spec.name}: input has ${input.shape[input.rank - 1]} channels, the network wants ${spec.inputChannels}`);
  }
  for (const s of input.shape.slice(1, -1)) {
    if (s % spec.sizeDivisor !== 0) throw new Error(`${spec.name}: spatial size ${s} is not a multiple of ${spec.sizeDivisor}`);
  }
  const wanted = spec.outputs.filter((o) => !options.outputs || options.outputs.includes(o.name));
  const values = new Map<string, tf.Tensor>([['input', input]]);
  const last = Math.max(...wanted.map((o) => spec.nodes.findIndex((n) => n.id === o.node)));
  const pairs = normActivationPairs(spec);
  for (let i = 0; i <= last; i++) {
    const node = spec.nodes[i];
    if (node.op === 'input' || values.has(node.id)) continue; // fed, or computed with the norm before it
    const activation = pairs.get(node.id);
    if (node.op === 'norm' && activation) values.set(activation.id, normalizeActivated(values.get(node.input) as tf.Tensor, node, activation, store));
    else values.set(node.id, runNode(node, values, store, spec.dims, options));
  }
  const result: Record<string, tf.Tensor> = {};
  for (const o of wanted) result[o.name] = values.get(o.node) as tf.Tensor;
  return result;
}
