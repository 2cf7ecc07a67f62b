// Adam, AdamW and SGD (momentum, Nesterov) over tf.Variables, following PyTorch's update rules so configs and
// results carry over from nnU-Net/MONAI. Our own implementation: tfjs' optimizers have no decoupled weight decay,
// no settable learning rate and no state export for checkpoints.
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { clipByGlobalNorm } from './clip.ts';

export const OptimizerConfigSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('adam'),
    lr: z.number().positive().default(1e-3),
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.999),
    epsilon: z.number().positive().default(1e-8),
    /** L2 penalty added to the gradient (PyTorch Adam's weight_decay). */
    weightDecay: z.number().nonnegative().default(0),
  }),
  z.strictObject({
    type: z.literal('adamw'),
    lr: z.number().positive().default(1e-3),
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.999),
    epsilon: z.number().positive().default(1e-8),
    /** Decoupled weight decay (Loshchilov & Hutter): w -= lr * wd * w, outside the adaptive step. */
    weightDecay: z.number().nonnegative().default(1e-2),
  }),
  z.strictObject({
    type: z.literal('sgd'),
    lr: z.number().positive().default(1e-2),
    momentum: z.number().min(0).lt(1).default(0.99),
    nesterov: z.boolean().default(true),
    /** L2 penalty added to the gradient (nnU-Net: 3e-5). */
    weightDecay: z.number().nonnegative().default(3e-5),
  }),
]);
export type OptimizerConfig = z.input<typeof OptimizerConfigSchema>;
type ParsedConfig = z.output<typeof OptimizerConfigSchema>;

/** Serialisable optimiser state for checkpoints: step count and every slot, keyed by variable name. */
export interface OptimizerState {
  type: ParsedConfig['type'];
  iterations: number;
  slots: Record<string, Record<string, { shape: number[]; values: number[] }>>;
}

export interface StepResult {
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  clipped: boolean;
}

let instances = 0;

export abstract class Optimizer {
  /** Slot variable names carry it, so two optimisers over the same variables never clash in tfjs' registry. */
  private readonly instance = instances++;
  /** Current learning rate; a schedule sets it before each step. */
  learningRate: number;
  protected iterationCount = 0;
  private readonly slotVars = new Map<string, Map<string, tf.Variable>>();

  protected constructor(readonly config: ParsedConfig) {
    this.learningRate = config.lr;
  }

  get iterations(): number {
    return this.iterationCount;
  }

  /**
   * One update from gradients keyed by variable name (what tf.variableGrads returns). Variables are looked up by
   * name among tfjs' registered variables unless given.
   */
  applyGradients(grads: tf.NamedTensorMap, variables?: Record<string, tf.Variable>): void {
    this.iterationCount++;
    const registered = tf.engine().registeredVariables;
    tf.tidy(() => {
      for (const [name, grad] of Object.entries(grads)) {
        if (grad == null) continue;
        const variable = variables?.[name] ?? registered[name];
        if (variable === undefined) throw new Error(`optimizer: no variable named '${name}'`);
        const next = this.update(name, variable, grad);
        variable.assign(next);
      }
    });
  }

  /**
   * One training step: gradients of lossFn w.r.t. the variables (default: all trainable ones), optional clipping by
   * global norm, update. Returns the loss and the gradient norm before clipping. To read loss terms afterwards,
   * tf.keep them inside lossFn.
   */
  minimize(lossFn: () => tf.Scalar, options: { variables?: tf.Variable[]; clipNorm?: number } = {}): StepResult {
    const { value, grads } = tf.variableGrads(lossFn, options.variables);
    try {
      const clip = clipByGlobalNorm(grads, options.clipNorm ?? Infinity);
      this.applyGradients(clip.grads, options.variables && Object.fromEntries(options.variables.map((v) => [v.name, v])));
      if (clip.clipped) tf.dispose(Object.values(clip.grads));
      return { loss: value.dataSync()[0], gradNorm: clip.norm, clipped: clip.clipped };
    } finally {
      tf.dispose([value, ...Object.values(grads)]);
    }
  }

  /** The new value of one variable. Runs inside tf.tidy. */
  protected abstract update(name: string, variable: tf.Variable, grad: tf.Tensor): tf.Tensor;

  protected hasSlot(variableName: string, slotName: string): boolean {
    return this.slotVars.get(variableName)?.has(slotName) ?? false;
  }

  protected slot(variableName: string, slotName: string, like: tf.Tensor): tf.Variable {
    let slots = this.slotVars.get(variableName);
    if (!slots) {
      slots = new Map();
      this.slotVars.set(variableName, slots);
    }
    let v = slots.get(slotName);
    if (!v) {
      v = tf.keep(tf.variable(tf.zerosLike(like), false, `${variableName}/${slotName}/${this.config.type}${this.instance}`));
      slots.set(slotName, v);
    }
    return v;
  }

  getState(): OptimizerState {
    const slots: OptimizerState['slots'] = {};
    for (const [name, map] of this.slotVars) {
      slots[name] = {};
      for (const [slotName, v] of map) slots[name][slotName] = { shape: [...v.shape], values: Array.from(v.dataSync()) };
    }
    return { type: this.config.type, iterations: this.iterationCount, slots };
  }

  setState(state: OptimizerState): void {
    if (state.type !== this.config.type) throw new Error(`optimizer state is for ${state.type}, this optimizer is ${this.config.type}`);
    this.dispose();
    this.iterationCount = state.iterations;
    tf.tidy(() => {
      for (const [name, map] of Object.entries(state.slots)) {
        for (const [slotName, { shape, values }] of Object.entries(map)) {
          this.slot(name, slotName, tf.zeros(shape)).assign(tf.tensor(values, shape));
        }
      }
    });
  }

  dispose(): void {
    for (const map of this.slotVars.values()) for (const v of map.values()) v.dispose();
    this.slotVars.clear();
  }
}

type AdamConfig = Extract<ParsedConfig, { type: 'adam' | 'adamw' }>;
type SgdConfig = Extract<ParsedConfig, { type: 'sgd' }>;

/** Adam's constants for one step. */
interface AdamStep {
  beta1: number;
  beta2: number;
  epsilon: number;
  lr: number;
  /** Bias corrections 1 - beta^t. */
  c1: number;
  c2: number;
  /** Adam's L2 term added to the gradient, and AdamW's decoupled decay factor (1 - lr * wd). */
  l2: number;
  decay: number;
}

/**
 * The Adam update of one float32 variable in one loop, in float64, into new weight and moment arrays: what update() computes
 * with 10-13 tfjs ops, each a pass over the weights and a kernel call. On cpu, with ~50 variables, the ops cost more
 * than the arithmetic.
 */
export function adamStepValues(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, s: AdamStep): { w: Float32Array; m: Float32Array; v: Float32Array } {
  const next = new Float32Array(w.length);
  const mNext = new Float32Array(w.length);
  const vNext = new Float32Array(w.length);
  const b1 = 1 - s.beta1;
  const b2 = 1 - s.beta2;
  for (let i = 0; i < w.length; i++) {
    const gi = g[i] + s.l2 * w[i];
    const mi = s.beta1 * m[i] + b1 * gi;
    const vi = s.beta2 * v[i] + b2 * gi * gi;
    mNext[i] = mi;
    vNext[i] = vi;
    next[i] = w[i] * s.decay - (s.lr * (mi / s.c1)) / (Math.sqrt(vi / s.c2) + s.epsilon);
  }
  return { w: next, m: mNext, v: vNext };
}

export class AdamOptimizer extends Optimizer {
  constructor(readonly adam: AdamConfig) {
    super(adam);
  }

  protected update(name: string, variable: tf.Variable, grad: tf.Tensor): tf.Tensor {
    const { beta1, beta2, epsilon, weightDecay, type } = this.adam;
    const lr = this.learningRate;
    const t = this.iterationCount;
    const m = this.slot(name, 'm', variable);
    const v = this.slot(name, 'v', variable);
    if (tf.getBackend() === 'cpu' && variable.dtype === 'float32' && grad.dtype === 'float32' && process.env.SEGSTATION_CPU_KERNELS !== 'tfjs') {
      // New arrays, never the slots' own: a variable's values may be shared with tensors it was assigned from.
      const next = adamStepValues(variable.dataSync() as Float32Array, grad.dataSync() as Float32Array, m.dataSync() as Float32Array, v.dataSync() as Float32Array, {
        beta1, beta2, epsilon, lr, c1: 1 - beta1 ** t, c2: 1 - beta2 ** t,
        l2: type === 'adam' ? weightDecay : 0,
        decay: type === 'adamw' ? 1 - lr * weightDecay : 1,
      });
      m.assign(tf.tensor(next.m, m.shape, 'float32'));
      v.assign(tf.tensor(next.v, v.shape, 'float32'));
      return tf.tensor(next.w, variable.shape, 'float32');
    }
    let g = grad;
    if (type === 'adam' && weightDecay > 0) g = tf.add(g, tf.mul(variable, weightDecay));
    m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
    v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
    const mHat = tf.div(m, 1 - beta1 ** t);
    const vHat = tf.div(v, 1 - beta2 ** t);
    let w: tf.Tensor = variable;
    if (type === 'adamw' && weightDecay > 0) w = tf.mul(w, 1 - lr * weightDecay);
    return tf.sub(w, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), epsilon)), lr));
  }
}

export class SgdOptimizer extends Optimizer {
  constructor(readonly sgd: SgdConfig) {
    super(sgd);
  }

  protected update(name: string, variable: tf.Variable, grad: tf.Tensor): tf.Tensor {
    const { momentum, nesterov, weightDecay } = this.sgd;
    let g = grad;
    if (weightDecay > 0) g = tf.add(g, tf.mul(variable, weightDecay));
    if (momentum > 0) {
      // PyTorch: the first step seeds the buffer with the gradient itself.
      const fresh = !this.hasSlot(name, 'momentum');
      const buffer = this.slot(name, 'momentum', variable);
      const next = fresh ? g : tf.add(tf.mul(buffer, momentum), g);
      buffer.assign(next);
      g = nesterov ? tf.add(g, tf.mul(next, momentum)) : next;
    }
    return tf.sub(variable, tf.mul(g, this.learningRate));
  }
}

/** Builds an optimiser from a config (validated; a ZodError lists what is wrong). */
export function createOptimizer(config: OptimizerConfig): Optimizer {
  const parsed = OptimizerConfigSchema.parse(config);
  return parsed.type === 'sgd' ? new SgdOptimizer(parsed) : new AdamOptimizer(parsed);
}
