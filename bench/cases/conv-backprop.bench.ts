// Convolution backward passes on tfjs cpu: (1) Conv2DBackpropFilter, tfjs' own kernel against the kernel
// registerCpuKernelFixes puts in its place (the WebAssembly SIMD convolution, see conv-kernels.bench.ts), on a 2D U-Net level; (2) conv3d forward + backward time per
// voxel on a 3D U-Net level, on cpu and on any accelerated backend selectBackend finds in this run.
import * as tf from '@tensorflow/tfjs-core';
import { originalConv2DBackpropFilter, registerCpuKernelFixes, selectBackend } from '../../main/training/backend/index.ts';
import { emit, timeMs } from '../lib/result.ts';

const report = await selectBackend('cpu');
registerCpuKernelFixes();
process.stderr.write(`[conv-backprop] ${report.reason}\n`);

// (1) A 2D U-Net level with 32 filters, 3x3, stride 1, 'same', and its stride-2 down conv to 64 (one 48^2 sample:
// tfjs' own kernel takes tens of seconds on a shared 2-core machine, so one timed run of it).
const layers: { name: string; x: [number, number, number, number]; f: [number, number, number, number]; strides: number }[] = [
  { name: '3x3 s1 32->32 on 1x48^2', x: [1, 48, 48, 32], f: [3, 3, 32, 32], strides: 1 },
  { name: '3x3 s2 32->64 on 1x48^2', x: [1, 48, 48, 32], f: [3, 3, 32, 64], strides: 2 },
];
for (const layer of layers) {
  const x = tf.randomNormal(layer.x) as tf.Tensor4D;
  const filterShape = layer.f;
  const y = tf.conv2d(x, tf.randomNormal(filterShape) as tf.Tensor4D, layer.strides, 'same');
  const dy = tf.randomNormal(y.shape) as tf.Tensor4D;
  const s: [number, number] = [layer.strides, layer.strides];
  const attrs = { strides: s, pad: 'same', dataFormat: 'NHWC', filterShape } as unknown as tf.NamedAttrMap;
  const routed = await timeMs(() => tf.tidy(() => (tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs) as tf.Tensor).dataSync()), 3);
  const original = await timeMs(() => tf.tidy(() => originalConv2DBackpropFilter(x, dy, filterShape, s, 'same').dataSync()), 1, 0);
  const gflop = (2 * dy.size * filterShape[0] * filterShape[1] * filterShape[2]) / 1e9;
  emit({
    name: `Conv2DBackpropFilter ${layer.name} (cpu, Segstation kernel)`,
    value: routed,
    unit: 'ms',
    reference: { name: "tfjs' own cpu Conv2DBackpropFilter", value: original },
    ratio: original / routed,
    better: 'lower',
    target: 'faster than the original',
    pass: routed < original,
    note: `${(gflop / (routed / 1000)).toPrecision(2)} GFLOP/s routed vs ${(gflop / (original / 1000)).toPrecision(2)} GFLOP/s original`,
  });
  tf.dispose([x, y, dy]);
}

// (2) A 3D U-Net's first level: 1 x 24^3 x 16 -> 16 channels, 3x3x3 'same'; forward + gradients of input and filter.
async function conv3dStep(backend: string): Promise<number> {
  await tf.setBackend(backend);
  const x = tf.randomNormal([1, 24, 24, 24, 16]) as tf.Tensor5D;
  const w = tf.randomNormal([3, 3, 3, 16, 16], 0, 0.1) as tf.Tensor5D;
  const step = (): void =>
    tf.tidy(() => {
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, 1, 'same'))))([x, w]);
      grads.forEach((g) => g.dataSync());
    });
  const ms = await timeMs(step, 3);
  tf.dispose([x, w]);
  return ms;
}

const voxels = 24 ** 3;
const cpuMs = await conv3dStep('cpu');
emit({
  name: 'conv3d 3x3x3 16->16 forward+backward on 24^3 (cpu)',
  value: (cpuMs * 1000) / voxels,
  unit: 'us/voxel',
  better: 'lower',
  note: `${cpuMs.toFixed(0)} ms per step; ${((3 * 2 * voxels * 27 * 16 * 16) / 1e9 / (cpuMs / 1000)).toFixed(2)} GFLOP/s`,
});

const accelerated = await selectBackend('auto');
process.stderr.write(`[conv-backprop] auto: ${accelerated.reason}\n`);
if (accelerated.name !== 'cpu') {
  const ms = await conv3dStep(accelerated.name);
  emit({
    name: `conv3d 3x3x3 16->16 forward+backward on 24^3 (${accelerated.name})`,
    value: (ms * 1000) / voxels,
    unit: 'us/voxel',
    reference: { name: 'same on cpu', value: (cpuMs * 1000) / voxels },
    ratio: cpuMs / ms,
    better: 'lower',
  });
}
