// The leaky ReLU gradient in one pass on cpu. tfjs' gradient is where(x > 0, dy, dy * alpha): three passes and
// three full-size arrays (bool mask, product, selection) per activation, ~15% of a U-Net step once convolutions and
// normalisation are fast. The gradient registry is global, so the replacement keeps tfjs' formula on other backends.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';

export const LEAKY_RELU_GRAD_KERNEL = 'SegstationLeakyReluGrad';
export const FAST_LEAKY_RELU_GRADIENT = 'leaky ReLU gradient in one pass';

/** dx = dy where x > 0, else alpha * dy (tfjs' convention at x = 0: the alpha side). */
export function leakyReluGradValues(dy: Float32Array, x: Float32Array, alpha: number): Float32Array {
  const dx = new Float32Array(dy.length);
  // The factor by sign, looked up: branch-free, as half the activations are negative and a branch would mispredict on
  // every other element.
  const factor = Float64Array.of(alpha, 1);
  for (let i = 0; i < dy.length; i++) dx[i] = dy[i] * factor[+(x[i] > 0)];
  return dx;
}

const gradKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
  const cpu = backend as MathBackendCPU;
  const values = leakyReluGradValues(cpu.data.get(dy.dataId).values as Float32Array, cpu.data.get(x.dataId).values as Float32Array, (attrs as { alpha: number }).alpha);
  return cpu.makeTensorInfo(dy.shape, 'float32', values);
};

let replaced: tf.GradConfig | undefined;

const gradient: tf.GradConfig = {
  kernelName: 'LeakyRelu',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    const { alpha } = attrs as unknown as { alpha: number };
    const single = dy as tf.Tensor;
    if (tf.getBackend() === 'cpu' && single.dtype === 'float32' && x.dtype === 'float32' && single.size === x.size) {
      return { x: () => tf.engine().runKernel(LEAKY_RELU_GRAD_KERNEL, { dy: single, x }, { alpha }) as tf.Tensor };
    }
    if (replaced) return replaced.gradFunc(dy, saved, attrs);
    return { x: () => tf.where(tf.greater(x, 0), single, tf.mul(single, alpha)) };
  },
};

/**
 * Registers the one-pass gradient kernel on cpu and the LeakyRelu gradient that uses it (idempotent). Call after
 * ensureGradients(): loading tfjs' gradient bundle afterwards would put its own gradient back (correct, just slower).
 */
export function registerFastLeakyReluGradient(): string {
  if (tf.getKernel(LEAKY_RELU_GRAD_KERNEL, 'cpu') === undefined) tf.registerKernel({ kernelName: LEAKY_RELU_GRAD_KERNEL, backendName: 'cpu', kernelFunc: gradKernel });
  const current = tf.getGradient('LeakyRelu');
  if (current?.gradFunc !== gradient.gradFunc) {
    replaced = current;
    tf.registerGradient(gradient);
  }
  return FAST_LEAKY_RELU_GRADIENT;
}

export function fastLeakyReluGradientActive(): boolean {
  return tf.getGradient('LeakyRelu')?.gradFunc === gradient.gradFunc;
}
