import * as tf from '@tensorflow/tfjs-core';
import { weightAt, type WeightSchedule } from './schedule.ts';
import type { LossContext, LossFn } from './types.ts';

export interface LossTerm {
  /** Name under which the term is reported (unique within the compound). */
  name: string;
  loss: LossFn;
  weight: WeightSchedule;
}

export interface CompoundResult {
  /** sum_i weight_i(epoch) * term_i */
  total: tf.Scalar;
  /** Every term's unweighted value, also those whose weight is 0 at this epoch (for logging). */
  terms: Record<string, tf.Scalar>;
  /** The weights used at this epoch. */
  weights: Record<string, number>;
}

/**
 * A weighted sum of losses whose weights may follow schedules over epochs (e.g. ramp a boundary loss in next to
 * Dice). The returned tensors are ordinary tfjs tensors: inside tf.tidy / tf.variableGrads, tf.keep the terms you
 * want to read afterwards (and dispose them then).
 */
export class CompoundLoss {
  readonly terms: readonly LossTerm[];

  constructor(terms: LossTerm[]) {
    if (terms.length === 0) throw new Error('CompoundLoss needs at least one term');
    const names = new Set<string>();
    for (const term of terms) {
      if (names.has(term.name)) throw new Error(`CompoundLoss: term name '${term.name}' is used twice`);
      names.add(term.name);
    }
    this.terms = terms;
  }

  weightsAt(epoch: number): Record<string, number> {
    return Object.fromEntries(this.terms.map((t) => [t.name, weightAt(t.weight, epoch)]));
  }

  compute(logits: tf.Tensor, target: tf.Tensor, ctx: LossContext = {}, epoch = 0): CompoundResult {
    const weights = this.weightsAt(epoch);
    const terms: Record<string, tf.Scalar> = {};
    const weighted: tf.Tensor[] = [];
    for (const term of this.terms) {
      const value = term.loss(logits, target, ctx);
      terms[term.name] = value;
      if (weights[term.name] !== 0) weighted.push(tf.mul(value, weights[term.name]));
    }
    const total = (weighted.length === 0 ? tf.scalar(0) : weighted.length === 1 ? weighted[0] : tf.addN(weighted)) as tf.Scalar;
    return { total, terms, weights };
  }

  /** The compound as a plain LossFn at a fixed epoch (total only). */
  at(epoch: number): LossFn {
    return (logits, target, ctx) =>
      tf.tidy(() => this.compute(logits, target, ctx, epoch).total);
  }
}
