/**
 * Training throughput (voxels/s) and peak memory per available backend for the two reference networks:
 *   3D U-Net, batch 2 x 64^3 x 1 channel (4 levels, 8 filters, instance norm);
 *   2.5D U-Net, batch 4 x 128^2 x 3 slices (4 levels, 16 filters, instance norm).
 * Each (backend, network) pair runs in its own process (peak RSS is per process): one warm-up step, then the median
 * of 5 timed steps of forward + backward + Adam. The reference is the same architecture and batch in PyTorch on CPU
 * (threads = this machine's cores), measured in the same run when `python3 -c 'import torch'` works.
 * cpu runs tfjs-backend-cpu with the kernels of main/training/backend (WebAssembly SIMD convolutions, strided
 * elementwise kernels); TRAINING_BENCH_BASELINE=1 adds a row for tfjs' own cpu kernels (slow: minutes per 3D step).
 * On a shared machine wall time depends on the load: each row's note also gives CPU seconds per step (all threads)
 * and the ratio of those, which the load hardly changes.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createWeights, runNetwork, trainableVariables } from '../../models/forward.ts';
import { buildUNet, type UNetConfigInput } from '../../models/unet.ts';
import { ensureGradients, selectBackend, type BackendName } from '../../main/training/backend/index.ts';
import { createOptimizer } from '../../main/training/optim/index.ts';
import { crossEntropyLoss } from '../../main/training/losses/cross-entropy.ts';
import { defaultKernelThreads, kernelVariant } from '../../main/training/backend/wasm-pool.ts';
import { tsxExecArgv } from '../../main/training/runs/tsx.ts';
import { emit, median } from '../lib/result.ts';

interface Case {
  name: string;
  network: UNetConfigInput;
  /** Input tensor shape, channels-last. */
  shape: number[];
}
const CASES: Case[] = [
  { name: '3D U-Net 2x64^3', network: { kind: '3d', levels: 4, filters: 8, norm: 'instance' }, shape: [2, 64, 64, 64, 1] },
  { name: '2.5D U-Net 4x128^2x3', network: { kind: '2.5d', context: 1, levels: 4, filters: 16, norm: 'instance' }, shape: [4, 128, 128, 3] },
];
const CLASSES = 3;
/** Timed steps after the warm-up, for both sides (the median is reported). */
const TIMED_STEPS = 5;

interface Measurement {
  ok: boolean;
  why?: string;
  stepMs?: number;
  /** CPU time (user + system, all threads) per step. */
  cpuMs?: number;
  voxelsPerSecond?: number;
  peakMb?: number;
}

/** One (backend, case) pair, in this process. */
async function measure(backend: BackendName, c: Case): Promise<Measurement> {
  try {
    const report = await selectBackend(backend, { strict: true });
    if (report.name !== backend) return { ok: false, why: report.reason };
  } catch (error) {
    return { ok: false, why: error instanceof Error ? error.message : String(error) };
  }
  tf.env().set('PROD', true);
  await ensureGradients();
  const spec = buildUNet(c.network, { imageChannels: 1, classes: CLASSES });
  const store = createWeights(spec, 1);
  const vars = trainableVariables(spec, store);
  const byName = Object.fromEntries(vars.map((v) => [v.name, v]));
  const optimizer = createOptimizer({ type: 'adam', lr: 1e-3 });
  const x = tf.randomNormal(c.shape, 0, 1, 'float32', 1);
  const y = tf.cast(tf.oneHot(tf.randomUniform(c.shape.slice(0, -1), 0, CLASSES, 'int32', 2), CLASSES), 'float32');
  const step = async (): Promise<number> => {
    const t0 = performance.now();
    const { value, grads } = tf.variableGrads(() => {
      const logits = runNetwork(spec, store, x, { training: true }).segmentation;
      // The training loop's cross-entropy (PyTorch's F.cross_entropy on the reference side).
      return crossEntropyLoss(logits, y);
    }, vars);
    optimizer.applyGradients(grads, byName);
    await value.data();
    await vars[0].data();
    tf.dispose([value, ...Object.values(grads)]);
    return performance.now() - t0;
  };
  await step();
  const cpu0 = process.cpuUsage();
  const times: number[] = [];
  for (let i = 0; i < TIMED_STEPS; i++) times.push(await step());
  const stepMs = median(times);
  const cpu = process.cpuUsage(cpu0);
  const voxels = c.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  return { ok: true, stepMs, cpuMs: (cpu.user + cpu.system) / 1000 / TIMED_STEPS, voxelsPerSecond: voxels / (stepMs / 1000), peakMb: process.resourceUsage().maxRSS / 1024 };
}

const TORCH = String.raw`
import json, sys, time, torch, torch.nn as nn, resource
torch.manual_seed(0)
torch.set_num_threads(int(sys.argv[4]))
dims, levels, filters = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
shape = json.loads(sys.argv[5])
Conv = nn.Conv3d if dims == 3 else nn.Conv2d
Up = nn.ConvTranspose3d if dims == 3 else nn.ConvTranspose2d
Pool = nn.MaxPool3d if dims == 3 else nn.MaxPool2d
Norm = nn.InstanceNorm3d if dims == 3 else nn.InstanceNorm2d
def block(i, o):
    return nn.Sequential(Conv(i, o, 3, padding=1, bias=False), Norm(o, affine=True), nn.LeakyReLU(0.01),
                         Conv(o, o, 3, padding=1, bias=False), Norm(o, affine=True), nn.LeakyReLU(0.01))
class UNet(nn.Module):
    def __init__(s, cin, classes):
        super().__init__()
        f = [filters * 2 ** l for l in range(levels)]
        s.enc = nn.ModuleList([block(cin if l == 0 else f[l - 1], f[l]) for l in range(levels)])
        s.up = nn.ModuleList([Up(f[l + 1], f[l], 2, 2) for l in range(levels - 1)])
        s.dec = nn.ModuleList([block(2 * f[l], f[l]) for l in range(levels - 1)])
        s.head = Conv(f[0], classes, 1)
        s.pool = Pool(2)
    def forward(s, x):
        skips = []
        for l, e in enumerate(s.enc):
            x = e(x if l == 0 else s.pool(x))
            skips.append(x)
        for l in reversed(range(len(s.dec))):
            x = s.dec[l](torch.cat([s.up[l](x), skips[l]], 1))
        return s.head(x)
cin = shape[-1]
x = torch.randn([shape[0], cin] + shape[1:-1])
y = torch.randint(0, 3, [shape[0]] + shape[1:-1])
net = UNet(cin, 3)
opt = torch.optim.Adam(net.parameters(), 1e-3)
def step():
    t = time.perf_counter()
    opt.zero_grad(); loss = nn.functional.cross_entropy(net(x), y); loss.backward(); opt.step()
    return (time.perf_counter() - t) * 1000
step()
c = time.process_time()
n = int(sys.argv[6])
times = sorted([step() for _ in range(n)])
cpu = (time.process_time() - c) * 1000 / n
print(json.dumps({"stepMs": times[n // 2], "cpuMs": cpu, "peakMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
`;

// Debian's python3-torch lives with /usr/bin/python3; a python3 earlier on PATH (pyenv, venv) may lack it.
const PYTHON = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) ?? 'python3';

function torchAvailable(): boolean {
  return spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

function torchMeasure(c: Case): { stepMs: number; cpuMs: number; peakMb: number } {
  const dims = c.network.kind === '3d' ? 3 : 2;
  const out = execFileSync(PYTHON, ['-c', TORCH, String(dims), String(c.network.levels), String(c.network.filters), String(os.availableParallelism()), JSON.stringify(c.shape), String(TIMED_STEPS)], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop() as string) as { stepMs: number; cpuMs: number; peakMb: number };
}

const [mode, backendArg, caseArg] = process.argv.slice(2);
if (mode === '--measure') {
  const result = await measure(backendArg as BackendName, CASES[Number(caseArg)]);
  process.stdout.write(`@@measure ${JSON.stringify(result)}\n`);
} else {
  const torch = torchAvailable();
  for (const [i, c] of CASES.entries()) {
    const reference = torch ? torchMeasure(c) : null;
    const runs: { backend: BackendName; label: string; env?: NodeJS.ProcessEnv }[] = [
      { backend: 'cpu', label: 'cpu' },
      ...(process.env.TRAINING_BENCH_BASELINE === '1' ? [{ backend: 'cpu' as const, label: "cpu, tfjs' own kernels", env: { SEGSTATION_CPU_KERNELS: 'tfjs' } }] : []),
      { backend: 'webgpu', label: 'webgpu' },
      { backend: 'tensorflow', label: 'tensorflow' },
    ];
    for (const { backend, label, env } of runs) {
      const child = spawnSync(process.execPath, [...tsxExecArgv(), fileURLToPath(import.meta.url), '--measure', backend, String(i)], {
        encoding: 'utf8',
        timeout: 30 * 60_000,
        env: { ...process.env, ...env },
      });
      const line = (child.stdout ?? '').split('\n').find((l) => l.startsWith('@@measure '));
      const m: Measurement = line ? (JSON.parse(line.slice('@@measure '.length)) as Measurement) : { ok: false, why: `measurement failed: ${(child.stderr ?? '').trim().split('\n').pop()}` };
      if (!m.ok) {
        process.stderr.write(`training.bench: ${backend} skipped for ${c.name}: ${m.why}\n`);
        continue;
      }
      const voxels = c.shape.slice(0, -1).reduce((a, b) => a * b, 1);
      const torchVps = reference ? voxels / (reference.stepMs / 1000) : null;
      emit({
        name: `train ${c.name} (${label})`,
        value: m.voxelsPerSecond as number,
        unit: 'voxels/s',
        ...(torchVps ? { reference: { name: 'PyTorch CPU, same architecture and batch', value: torchVps }, ratio: (m.voxelsPerSecond as number) / torchVps } : {}),
        better: 'higher',
        target: 'within 3x of PyTorch on CPU',
        ...(torchVps ? { pass: (m.voxelsPerSecond as number) / torchVps >= 1 / 3 } : {}),
        note:
          `step ${(m.stepMs as number).toFixed(0)} ms (${((m.cpuMs as number) / 1000).toFixed(2)} CPU s), peak RSS ${(m.peakMb as number).toFixed(0)} MB` +
          (reference
            ? `; PyTorch step ${reference.stepMs.toFixed(0)} ms (${(reference.cpuMs / 1000).toFixed(2)} CPU s), peak ${reference.peakMb.toFixed(0)} MB; CPU-time ratio ${(reference.cpuMs / (m.cpuMs as number)).toPrecision(2)}x`
            : '; python3-torch is not installed, so no PyTorch reference this run') +
          (label === 'cpu' ? `; WebAssembly kernels: ${kernelVariant()}, ${defaultKernelThreads()} threads` : '') +
          `; median of ${TIMED_STEPS} steps after 1 warm-up`,
      });
    }
  }
}
