// Shared by the loss tests: the numpy reference cases and a float32 central-difference gradient check.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { ensureGradients } from '../../../../main/training/backend/index.ts';

export interface LossCase {
  name: string;
  shape: number[];
  logits: number[];
  target: number[];
  distanceMaps: number[];
  classWeights: number[];
  expected: Record<string, number>;
}

export interface DistanceCase {
  shape: [number, number, number];
  spacing: [number, number, number];
  classes: number;
  label: number[];
  maps: number[];
}

const here = path.dirname(fileURLToPath(import.meta.url));
const file = path.join(here, '..', '..', '..', 'fixtures', 'losses', 'cases.json');
export const fixture = JSON.parse(readFileSync(file, 'utf8')) as { losses: LossCase[]; signedDistance: DistanceCase };

export async function setupCpu(): Promise<void> {
  await ensureGradients();
  await tf.setBackend('cpu');
}

export function tensors(c: LossCase): { logits: tf.Tensor; target: tf.Tensor; distanceMaps: tf.Tensor } {
  return {
    logits: tf.tensor(c.logits, c.shape),
    target: tf.tensor(c.target, c.shape),
    distanceMaps: tf.tensor(c.distanceMaps, c.shape),
  };
}

/**
 * Largest violation of |analytic - numeric| <= atol + rtol |numeric| over all coordinates, with numeric the central
 * difference (f(x + h e_i) - f(x - h e_i)) / 2h in float32. Returns 0 when every coordinate passes.
 */
export function gradientMismatch(f: (x: tf.Tensor) => tf.Scalar, x0: tf.Tensor, h = 1e-2, atol = 1e-3, rtol = 2e-2): { worst: number; analytic: Float32Array; numeric: Float32Array } {
  const analytic = tf.tidy(() => tf.grad(f)(x0).dataSync() as Float32Array);
  const base = x0.dataSync() as Float32Array;
  const numeric = new Float32Array(base.length);
  let worst = 0;
  for (let i = 0; i < base.length; i++) {
    const at = (delta: number): number =>
      tf.tidy(() => {
        const v = Float32Array.from(base);
        v[i] += delta;
        return f(tf.tensor(v, x0.shape)).dataSync()[0];
      });
    numeric[i] = (at(h) - at(-h)) / (2 * h);
    const excess = Math.abs(analytic[i] - numeric[i]) - (atol + rtol * Math.abs(numeric[i]));
    worst = Math.max(worst, excess);
  }
  return { worst, analytic, numeric };
}
