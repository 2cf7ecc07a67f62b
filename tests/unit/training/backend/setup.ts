// What the cpu-kernel tests share: the cpu backend with every replacement kernel registered, and seeded inputs.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll } from 'vitest';
import { ensureGradients, registerCpuKernelFixes } from '../../../../main/training/backend/index.ts';
import { mulberry32 } from '../../../../main/util/random.ts';

/** Registers, before the file's tests, the gradients and the cpu backend with the replacement kernels. */
export function useCpuKernels(): void {
  beforeAll(async () => {
    await ensureGradients();
    await tf.setBackend('cpu');
    registerCpuKernelFixes();
  });
}

/** n seeded values, uniform in [low, high). */
export function randomValues(n: number, seed: number, low = -1, high = 1): Float32Array {
  const rand = mulberry32(seed);
  return Float32Array.from({ length: n }, () => low + rand() * (high - low));
}

/** A float32 tensor of seeded values, uniform in [low, high). */
export function randomTensor(shape: number[], seed: number, low = -1, high = 1): tf.Tensor {
  return tf.tensor(randomValues(shape.reduce((a, b) => a * b, 1), seed, low, high), shape);
}
