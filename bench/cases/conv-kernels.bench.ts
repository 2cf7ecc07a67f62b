/**
 * GFLOP/s of the cpu convolution kernels (main/training/backend: im2col + WebAssembly SIMD SGEMM, one thread) against
 * tfjs-backend-cpu's own kernels and against PyTorch (or numpy for the plain GEMM) on CPU in the same run.
 *   GEMM 4096x256 * 256x256 (our kernel through a 1x1 convolution; tfjs: matMul; Python: torch.mm / numpy.matmul).
 *   conv3d 3x3x3 16->16 on 2x32^3 and conv2d 3x3 32->32 on 4x64^2: forward, input gradient, filter gradient.
 * Ours and PyTorch: median of 3 runs after a warm-up; tfjs' own kernels: one run (seconds each).
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { registerCpuKernelFixes, runReplacedKernel, selectBackend, type FastConvKernelName } from '../../main/training/backend/index.ts';
import { originalConv2DBackpropFilter } from '../../main/training/backend/cpu-kernel-fixes.ts';
import { emit, median } from '../lib/result.ts';

await selectBackend('cpu');
registerCpuKernelFixes();

function timeMs(run: () => void, repeats: number): number {
  run();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    run();
    times.push(performance.now() - t0);
  }
  return median(times);
}

function onceMs(run: () => void): number {
  const t0 = performance.now();
  run();
  return performance.now() - t0;
}

const PY = String.raw`
import json, sys, time
cases = json.loads(sys.argv[1]); threads = int(sys.argv[2])
out = {}
def med(f):
    f(); ts = []
    for _ in range(3):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return sorted(ts)[1] * 1000
try:
    import torch
    torch.set_num_threads(threads)
    F = torch.nn.functional
    G = torch.nn.grad
    out["engine"] = "PyTorch " + torch.__version__
    for c in cases:
        if c["kind"] == "gemm":
            a = torch.randn(c["m"], c["k"]); b = torch.randn(c["k"], c["n"])
            out[c["name"] + "/forward"] = med(lambda: torch.mm(a, b))
            continue
        d = c["dims"]; conv = F.conv3d if d == 3 else F.conv2d
        gi = G.conv3d_input if d == 3 else G.conv2d_input; gw = G.conv3d_weight if d == 3 else G.conv2d_weight
        x = torch.randn([c["x"][0], c["x"][-1]] + c["x"][1:-1]); w = torch.randn([c["f"][-1], c["f"][-2]] + c["f"][:-2])
        y = conv(x, w, padding=c["pad"]); dy = torch.randn(y.shape)
        out[c["name"] + "/forward"] = med(lambda: conv(x, w, padding=c["pad"]))
        out[c["name"] + "/input gradient"] = med(lambda: gi(x.shape, w, dy, padding=c["pad"]))
        out[c["name"] + "/filter gradient"] = med(lambda: gw(x, w.shape, dy, padding=c["pad"]))
except ImportError:
    import numpy as np
    out["engine"] = "numpy " + np.__version__
    for c in cases:
        if c["kind"] == "gemm":
            a = np.random.rand(c["m"], c["k"]).astype(np.float32); b = np.random.rand(c["k"], c["n"]).astype(np.float32)
            out[c["name"] + "/forward"] = med(lambda: a @ b)
print(json.dumps(out))
`;

interface ConvCase {
  kind: 'conv';
  name: string;
  dims: 2 | 3;
  x: number[];
  f: number[];
  pad: number;
}
interface GemmCase {
  kind: 'gemm';
  name: string;
  m: number;
  k: number;
  n: number;
}
const CASES: (ConvCase | GemmCase)[] = [
  { kind: 'gemm', name: 'GEMM 4096x256 * 256x256', m: 4096, k: 256, n: 256 },
  { kind: 'conv', name: 'conv3d 3x3x3 16->16 on 2x32^3', dims: 3, x: [2, 32, 32, 32, 16], f: [3, 3, 3, 16, 16], pad: 1 },
  { kind: 'conv', name: 'conv2d 3x3 32->32 on 4x64^2', dims: 2, x: [4, 64, 64, 32], f: [3, 3, 32, 32], pad: 1 },
];

const PYTHON = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0);
let python: Record<string, number | string> = {};
if (PYTHON) {
  const r = spawnSync(PYTHON, ['-c', PY, JSON.stringify(CASES), String(os.availableParallelism())], { encoding: 'utf8' });
  if (r.status === 0) python = JSON.parse(r.stdout.trim().split('\n').pop() as string) as Record<string, number | string>;
  else process.stderr.write(`conv-kernels.bench: Python reference failed: ${r.stderr.trim().split('\n').pop()}\n`);
}
const engine = typeof python.engine === 'string' ? python.engine : null;

function report(name: string, gflop: number, oursMs: number, tfjsMs: number | null, pyMs: number | undefined): void {
  const ours = gflop / (oursMs / 1000);
  if (tfjsMs !== null) {
    const tfjs = gflop / (tfjsMs / 1000);
    emit({
      name: `${name} (wasm SIMD, 1 thread)`,
      value: ours,
      unit: 'GFLOP/s',
      reference: { name: "tfjs-backend-cpu's own kernel", value: tfjs },
      ratio: ours / tfjs,
      better: 'higher',
      note: `${oursMs.toFixed(1)} ms vs ${tfjsMs.toFixed(0)} ms`,
    });
  }
  if (pyMs !== undefined && engine !== null) {
    const py = gflop / (pyMs / 1000);
    emit({
      name: `${name} (wasm SIMD, 1 thread) vs ${engine.split(' ')[0]}`,
      value: ours,
      unit: 'GFLOP/s',
      reference: { name: `${engine} on CPU, ${os.availableParallelism()} threads`, value: py },
      ratio: ours / py,
      better: 'higher',
      note: `${oursMs.toFixed(1)} ms vs ${pyMs.toFixed(1)} ms`,
    });
  }
}

// The tidy callbacks return nothing: tidy would walk a returned typed array element by element looking for tensors.
const run = (name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>) => (): void => {
  tf.tidy(() => {
    (tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor).dataSync();
  });
};
const replaced = (name: FastConvKernelName, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>) => (): void => {
  tf.tidy(() => {
    runReplacedKernel(name, inputs, attrs).dataSync();
  });
};

for (const c of CASES) {
  if (c.kind === 'gemm') {
    const a = tf.randomNormal([c.m, c.k]);
    const b = tf.randomNormal([c.k, c.n]);
    const x = tf.reshape(a, [1, 1, 1, c.m, c.k]);
    const w = tf.reshape(b, [1, 1, 1, c.k, c.n]);
    const gflop = (2 * c.m * c.k * c.n) / 1e9;
    const ours = timeMs(run('Conv3D', { x, filter: w }, { strides: 1, pad: 'valid', dilations: 1 }), 3);
    const tfjs = onceMs(() =>
      tf.tidy(() => {
        tf.matMul(a, b).dataSync();
      }),
    );
    report(c.name, gflop, ours, tfjs, python[`${c.name}/forward`] as number | undefined);
    tf.dispose([a, b, x, w]);
    continue;
  }
  const x = tf.randomNormal(c.x);
  const f = tf.randomNormal(c.f, 0, 0.1);
  const pad = 'same';
  const three = c.dims === 3;
  const y = three ? tf.conv3d(x as tf.Tensor5D, f as tf.Tensor5D, 1, pad) : tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, pad);
  const dy = tf.randomNormal(y.shape);
  const gflop = (2 * y.size * c.f.slice(0, -1).reduce((p, q) => p * q, 1)) / 1e9;
  const fwd: FastConvKernelName = three ? 'Conv3D' : 'Conv2D';
  const bin: FastConvKernelName = three ? 'Conv3DBackpropInputV2' : 'Conv2DBackpropInput';
  const bfi: FastConvKernelName = three ? 'Conv3DBackpropFilterV2' : 'Conv2DBackpropFilter';
  const base = three ? { strides: 1, pad, dilations: 1 } : { strides: 1, pad, dilations: 1, dataFormat: 'NHWC' };
  const parts: [string, FastConvKernelName, Record<string, tf.Tensor>, Record<string, unknown>][] = [
    ['forward', fwd, { x, filter: f }, base],
    ['input gradient', bin, { dy, filter: f }, { ...base, inputShape: c.x }],
    ['filter gradient', bfi, { x, dy }, { ...base, filterShape: c.f }],
  ];
  for (const [part, kernel, inputs, attrs] of parts) {
    const ours = timeMs(run(kernel, inputs, attrs), 3);
    // tfjs' own 2D filter gradient sits under the earlier 3D-kernel route; time the original itself.
    const tfjs =
      kernel === 'Conv2DBackpropFilter'
        ? onceMs(() =>
            tf.tidy(() => {
              originalConv2DBackpropFilter(x as tf.Tensor4D, dy as tf.Tensor4D, c.f as [number, number, number, number], [1, 1], pad).dataSync();
            }),
          )
        : onceMs(replaced(kernel, inputs, attrs));
    report(`${c.name} ${part}`, gflop, ours, tfjs, python[`${c.name}/${part}`] as number | undefined);
  }
  tf.dispose([x, f, y, dy]);
}
