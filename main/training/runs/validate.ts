/**
 * Validation: predict whole cases tile by tile (tiles of the training patch size; 2D/2.5D networks slice by slice) and
 * score per-class Dice against the labels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { runNetwork, type WeightStore } from '../../../models/forward.ts';
import type { NetworkSpec } from '../../../models/spec.ts';
import type { LoadedCase } from '../data/cases.ts';
import { extractPatch, layoutChannels, tensorShapeOf, type Vec3i } from '../data/patches.ts';

/** Tile corners along one axis: steps of `size`, the last one flush with the end (or centred when size > n). */
export function tileStarts(n: number, size: number): number[] {
  if (size >= n) return [0 - Math.floor((size - n) / 2)];
  const starts: number[] = [];
  for (let s = 0; s + size < n; s += size) starts.push(s);
  starts.push(n - size);
  return starts;
}

/**
 * Tile size (x, y, z) for predicting a case: 2D/2.5D networks take whole slices (padded up to the size divisor), so
 * a slice is one forward pass; 3D networks take tiles of the training patch size.
 */
export function predictionTile(spec: NetworkSpec, shape: readonly number[], patch: Vec3i): Vec3i {
  if (spec.input.kind === '3d') return patch;
  const axis = { x: 0, y: 1, z: 2 }[spec.input.axis];
  const d = spec.sizeDivisor;
  return shape.map((n, i) => (i === axis ? 1 : Math.ceil(n / d) * d)) as Vec3i;
}

/** Label map predicted for a whole case (argmax of the first output). */
export function predictCase(spec: NetworkSpec, store: WeightStore, c: LoadedCase, size: Vec3i, batchSize: number): Uint8Array {
  const layout = spec.input;
  const [nx, ny, nz] = c.shape;
  const corners: Vec3i[] = [];
  for (const z of tileStarts(nz, size[2])) for (const y of tileStarts(ny, size[1])) for (const x of tileStarts(nx, size[0])) corners.push([x, y, z]);
  const spatial = tensorShapeOf(layout, size);
  const voxels = spatial.reduce((a, b) => a * b, 1);
  const channels = layoutChannels(layout);
  const out = new Uint8Array(nx * ny * nz);
  const output = spec.outputs[0].name;
  for (let start = 0; start < corners.length; start += batchSize) {
    const group = corners.slice(start, start + batchSize);
    const image = new Float32Array(group.length * voxels * channels);
    const scratch = new Uint8Array(group.length * voxels);
    group.forEach((corner, b) => extractPatch(c, layout, corner, size, image, scratch, b * voxels * channels, b * voxels));
    const labels = tf.tidy(() => {
      const logits = runNetwork(spec, store, tf.tensor(image, [group.length, ...spatial, channels]), { training: false, outputs: [output] })[output];
      return tf.argMax(logits, -1);
    });
    const values = labels.dataSync();
    labels.dispose();
    group.forEach((corner, b) => {
      // Patch voxel i -> volume voxel: patch memory is x-fastest over the patch's (x, y, z) extent.
      let i = b * voxels;
      for (let z = 0; z < size[2]; z++) {
        for (let y = 0; y < size[1]; y++) {
          for (let x = 0; x < size[0]; x++, i++) {
            const vx = corner[0] + x;
            const vy = corner[1] + y;
            const vz = corner[2] + z;
            if (vx < 0 || vy < 0 || vz < 0 || vx >= nx || vy >= ny || vz >= nz) continue;
            out[(vz * ny + vy) * nx + vx] = values[i];
          }
        }
      }
    });
  }
  return out;
}

/**
 * Dice of every class value 0..classes-1: 2|P∩G| / (|P| + |G|); NaN when the class is in neither (left out of means).
 */
export function computeDice(prediction: ArrayLike<number>, truth: ArrayLike<number>, classes: number): number[] {
  if (prediction.length !== truth.length) throw new Error(`computeDice: ${prediction.length} predicted voxels, ${truth.length} true`);
  const inter = new Float64Array(classes);
  const p = new Float64Array(classes);
  const g = new Float64Array(classes);
  for (let i = 0; i < truth.length; i++) {
    const a = prediction[i];
    const b = truth[i];
    if (a < classes) p[a]++;
    if (b < classes) g[b]++;
    if (a === b && a < classes) inter[a]++;
  }
  return Array.from({ length: classes }, (_, k) => (p[k] + g[k] === 0 ? NaN : (2 * inter[k]) / (p[k] + g[k])));
}

/** Mean of the finite values of classes 1.. (the foreground). */
export function meanForegroundDice(dice: readonly number[]): number {
  const fg = dice.slice(1).filter((d) => Number.isFinite(d));
  return fg.length === 0 ? NaN : fg.reduce((a, b) => a + b, 0) / fg.length;
}

/** Accumulates Dice over several cases (per-case Dice averaged, as nnU-Net reports). */
export class DiceMetric {
  private readonly sums: number[];
  private readonly counts: number[];
  constructor(readonly classes: number) {
    this.sums = new Array<number>(classes).fill(0);
    this.counts = new Array<number>(classes).fill(0);
  }
  add(prediction: ArrayLike<number>, truth: ArrayLike<number>): number[] {
    const dice = computeDice(prediction, truth, this.classes);
    dice.forEach((d, k) => {
      if (Number.isFinite(d)) {
        this.sums[k] += d;
        this.counts[k]++;
      }
    });
    return dice;
  }
  result(): number[] {
    return this.sums.map((s, k) => (this.counts[k] ? s / this.counts[k] : NaN));
  }
}
