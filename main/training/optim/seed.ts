import { mulberry32 } from '../../util/random.ts';

/** 32-bit FNV-1a of a string, for mixing labels into seeds. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * A seed derived from a base seed and labels ('init', 'fold', 3, 'worker', 1): the same inputs give the same seed,
 * different labels give unrelated ones, so every consumer (weight init, sampler, augmentation, dropout) gets its own
 * reproducible stream regardless of the order in which they start.
 */
export function deriveSeed(base: number, ...labels: (string | number)[]): number {
  if (!Number.isInteger(base)) throw new Error('deriveSeed: base seed must be an integer');
  let h = fnv1a(`${base >>> 0}`);
  for (const label of labels) h = (Math.imul(h ^ fnv1a(String(label)), 0x9e3779b1) ^ (h >>> 15)) >>> 0;
  // One mulberry32 step scrambles the bits; tfjs ops take seeds as plain numbers.
  return Math.floor(mulberry32(h)() * 0x7fffffff);
}

/** A sequence of seeds for tfjs random ops (tf.randomNormal(..., seed)), deterministic from one base seed. */
export class SeedSequence {
  private counter = 0;
  constructor(
    readonly base: number,
    readonly label = 'default',
  ) {}

  next(): number {
    return deriveSeed(this.base, this.label, this.counter++);
  }

  /** A uniform [0, 1) generator for one consumer. */
  rng(label: string): () => number {
    return mulberry32(deriveSeed(this.base, this.label, label));
  }
}
