/**
 * Memory budget: the largest batch whose training step fits in a share of free memory. A step keeps every node's
 * output for the backward pass and makes a gradient of the same size, plus temporaries, so a sample costs about
 * ACTIVATION_FACTOR x the sum of the node outputs' sizes; the weights cost 4x their size (values, gradients, Adam's
 * two moments).
 */
import os from 'node:os';
import type { NetworkSpec } from '../../../models/spec.ts';
import { nodeInputs } from '../../../models/spec.ts';

export const ACTIVATION_FACTOR = 3;
const BYTES = 4;

/** Float32 values of all node outputs for one sample of `spatial` voxels (product of the input's spatial sizes). */
export function activationValues(spec: NetworkSpec, spatialVoxels: number): number {
  const channels = new Map<string, number>();
  const scale = new Map<string, number>(); // voxels relative to the input
  let total = 0;
  const weightShape = new Map(spec.weights.map((w) => [w.name, w.shape]));
  for (const node of spec.nodes) {
    const inputs = nodeInputs(node);
    let c = spec.inputChannels;
    let s = 1;
    if (inputs.length > 0) {
      c = channels.get(inputs[0]) ?? 0;
      s = scale.get(inputs[0]) ?? 1;
    }
    const factor = 2 ** spec.dims;
    switch (node.op) {
      case 'conv': {
        const shape = weightShape.get(node.weight) as number[];
        c = shape[shape.length - 1];
        s /= node.stride ** spec.dims;
        break;
      }
      case 'convTranspose': {
        const shape = weightShape.get(node.weight) as number[];
        c = shape[shape.length - 2];
        s *= factor;
        break;
      }
      case 'maxPool':
        s /= factor;
        break;
      case 'concat':
        c = node.inputs.reduce((sum, i) => sum + (channels.get(i) ?? 0), 0);
        break;
      default:
        break;
    }
    channels.set(node.id, c);
    scale.set(node.id, s);
    total += c * s * spatialVoxels;
  }
  return total;
}

export function weightValues(spec: NetworkSpec): number {
  return spec.weights.reduce((sum, w) => sum + w.shape.reduce((a, b) => a * b, 1), 0);
}

/** Estimated bytes of a training step with `batch` samples. */
export function estimateStepBytes(spec: NetworkSpec, spatialVoxels: number, batch: number): number {
  return BYTES * (ACTIVATION_FACTOR * batch * activationValues(spec, spatialVoxels) + 4 * weightValues(spec));
}

export interface BatchBudget {
  batchSize: number;
  freeBytes: number;
  budgetBytes: number;
  perSampleBytes: number;
}

/** Largest batch (1..maxBatch) whose step fits in fraction x free memory (os.freemem unless given). */
export function chooseBatchSize(spec: NetworkSpec, spatialVoxels: number, options: { fraction: number; maxBatch: number; freeBytes?: number }): BatchBudget {
  const freeBytes = options.freeBytes ?? os.freemem();
  const budgetBytes = freeBytes * options.fraction;
  const perSampleBytes = BYTES * ACTIVATION_FACTOR * activationValues(spec, spatialVoxels);
  const fixed = BYTES * 4 * weightValues(spec);
  const batchSize = Math.max(1, Math.min(options.maxBatch, Math.floor((budgetBytes - fixed) / perSampleBytes)));
  return { batchSize, freeBytes, budgetBytes, perSampleBytes };
}
