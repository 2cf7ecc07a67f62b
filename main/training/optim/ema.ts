import * as tf from '@tensorflow/tfjs-core';

let instances = 0;

/**
 * Exponential moving average of weights: shadow = decay * shadow + (1 - decay) * weight after every step.
 * For evaluation swap the averages into the variables and back (or use `withAverages`).
 */
export class WeightEma {
  private readonly shadows = new Map<string, tf.Variable>();
  private readonly backup = new Map<string, tf.Tensor>();
  private updates = 0;

  constructor(
    private readonly variables: tf.Variable[],
    readonly decay = 0.999,
  ) {
    if (!(decay > 0 && decay < 1)) throw new Error('WeightEma: decay must be in (0, 1)');
    const instance = instances++;
    for (const v of variables) this.shadows.set(v.name, tf.tidy(() => tf.variable(tf.clone(v), false, `${v.name}/ema${instance}`)));
  }

  get swappedIn(): boolean {
    return this.backup.size > 0;
  }

  get count(): number {
    return this.updates;
  }

  update(): void {
    if (this.swappedIn) throw new Error('WeightEma: swap the weights back out before updating');
    this.updates++;
    tf.tidy(() => {
      for (const v of this.variables) {
        const shadow = this.shadows.get(v.name)!;
        shadow.assign(tf.add(tf.mul(shadow, this.decay), tf.mul(v, 1 - this.decay)));
      }
    });
  }

  /** Puts the averages into the variables, keeping the trained weights aside. */
  swapIn(): void {
    if (this.swappedIn) return;
    for (const v of this.variables) {
      this.backup.set(v.name, tf.clone(v));
      v.assign(this.shadows.get(v.name)!);
    }
  }

  /** Restores the trained weights. */
  swapOut(): void {
    for (const v of this.variables) {
      const saved = this.backup.get(v.name);
      if (saved === undefined) continue;
      v.assign(saved);
      saved.dispose();
    }
    this.backup.clear();
  }

  /** Runs fn with the averaged weights in place, then restores the trained ones (also on error). */
  async withAverages<T>(fn: () => Promise<T> | T): Promise<T> {
    this.swapIn();
    try {
      return await fn();
    } finally {
      this.swapOut();
    }
  }

  /** The averaged weights by variable name (for saving an EMA checkpoint). */
  averages(): Record<string, tf.Tensor> {
    return Object.fromEntries([...this.shadows].map(([name, v]) => [name, v as tf.Tensor]));
  }

  dispose(): void {
    this.swapOut();
    for (const s of this.shadows.values()) s.dispose();
    this.shadows.clear();
  }
}
