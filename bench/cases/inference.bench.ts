// Inference: sliding-window overhead over raw ONNX Runtime on the same windows, windows/s per execution provider,
// ORT vs tfjs (cpu) on the same small 3D U-Net, and the out-of-core path's peak memory against its budget.
// SEGSTATION_BENCH_SIZE sets the out-of-core volume side (default 128; 512 for the 512^3 check).
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '../../main/io/formats.ts';
import { runNetwork, type WeightStore } from '../../models/forward.ts';
import { buildUNet } from '../../models/unet.ts';
import { createMemberEvaluator } from '../../main/inference/members.ts';
import { ONNX_CARD_FORMAT, type ModelCard } from '../../main/inference/modelCard.ts';
import { exportOnnx } from '../../main/inference/onnx/export.ts';
import { predictStores } from '../../main/inference/outOfCore.ts';
import { createSession, windowPredictor, type SegmentationSession } from '../../main/inference/session.ts';
import { arraySource, ArraySink } from '../../main/inference/slidingWindow/memory.ts';
import { stitchWindows } from '../../main/inference/slidingWindow/stitcher.ts';
import { planWindows } from '../../main/inference/slidingWindow/windows.ts';
import { createOmeZarrStore } from '../../main/io/omezarr/writer.ts';
import { mulberry32 } from '../../main/util/random.ts';
import type { Vec3 } from '../../main/volume/volume.ts';
import { emit, median, peakRssMb } from '../lib/result.ts';

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'segstation-bench-inference-'));
const sessions: SegmentationSession[] = [];
try {
  await tf.setBackend('cpu');
  // A small 3D U-Net (2 levels, 8 filters, instance norm), random weights, exported to ONNX.
  const spec = buildUNet({ kind: '3d', levels: 2, filters: 8, norm: 'instance' }, { imageChannels: 1, classes: 2, name: 'bench-unet' });
  const rng = mulberry32(1);
  const weights = new Map(spec.weights.map((w) => [w.name, Float32Array.from({ length: w.shape.reduce((a, b) => a * b, 1) }, () => (rng() - 0.5) * 0.4)]));
  const model = path.join(dir, 'unet.onnx');
  await exportOnnx(spec, weights).save(model);
  const roi: Vec3 = [32, 32, 32];
  const card: ModelCard = {
    format: ONNX_CARD_FORMAT, name: 'bench-unet', description: '', inputChannels: 1, classNames: ['background', 'phase'], spacing: null,
    patchSize: roi, kind: '3d', sliceAxis: 'z', sliceContext: 0, normalization: { kind: 'none' }, output: 'logits',
    layout: 'channels-first', mcDropout: false, sizeDivisor: 2,
  };
  const cpu = await createSession(model, { card });
  sessions.push(cpu);

  // --- sliding-window overhead -------------------------------------------------------------------------------
  const shape: Vec3 = [96, 96, 64];
  const voxels = shape[0] * shape[1] * shape[2];
  const image = Float32Array.from({ length: voxels }, (_, i) => Math.sin(i / 97) + (rng() - 0.5) * 0.2);
  const batchSize = 2;
  const overlap = 0.5;
  const plan = planWindows(shape, roi, overlap);
  const evaluate = createMemberEvaluator({ predictors: [windowPredictor(cpu)], classes: 2 });
  const pipeline = async () => {
    const sink = new ArraySink(shape, 2);
    await stitchWindows(arraySource(image, shape, 1), evaluate, sink, { roi, overlap, blend: 'gaussian', batchSize, features: 2 });
  };
  // Raw: the same batches (same shapes, same count), inputs prepared beforehand, run back to back.
  const windowVoxels = roi[0] * roi[1] * roi[2];
  const batches: Float32Array[] = [];
  for (const zs of plan.starts[2]) {
    const band: [number, number][] = [];
    for (const ys of plan.starts[1]) for (const xs of plan.starts[0]) band.push([ys, xs]);
    for (let i = 0; i < band.length; i += batchSize) {
      const chunk = band.slice(i, i + batchSize);
      const input = new Float32Array(chunk.length * windowVoxels);
      chunk.forEach(([ys, xs], b) => {
        for (let z = 0; z < roi[2]; z++)
          for (let y = 0; y < roi[1]; y++) {
            const src = ((zs + z) * shape[1] + ys + y) * shape[0] + xs;
            input.set(image.subarray(src, src + roi[0]), b * windowVoxels + (z * roi[1] + y) * roi[0]);
          }
      });
      batches.push(input);
    }
  }
  const raw = async () => {
    for (const input of batches) await cpu.run(input, [input.length / windowVoxels, 1, roi[2], roi[1], roi[0]]);
  };
  await pipeline();
  await raw();
  const pipeTimes: number[] = [];
  const rawTimes: number[] = [];
  const pipeCpu: number[] = [];
  const rawCpu: number[] = [];
  const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
  for (let i = 0; i < 3; i++) {
    let t = performance.now();
    let c = process.cpuUsage();
    await raw();
    rawCpu.push(cpuMs(process.cpuUsage(c)));
    rawTimes.push(performance.now() - t);
    t = performance.now();
    c = process.cpuUsage();
    await pipeline();
    pipeCpu.push(cpuMs(process.cpuUsage(c)));
    pipeTimes.push(performance.now() - t);
  }
  const pipeMs = median(pipeTimes);
  const rawMs = median(rawTimes);
  // CPU time (all threads, ORT's included) is what the pipeline adds whatever else runs on the machine.
  const cpuOverhead = (median(pipeCpu) - median(rawCpu)) / median(rawCpu);
  emit({
    name: 'sliding-window overhead in CPU time (same windows, all threads)',
    value: cpuOverhead * 100,
    unit: '%',
    reference: { name: 'raw ORT session.run CPU time', value: median(rawCpu) },
    ratio: median(pipeCpu) / median(rawCpu),
    better: 'lower',
    target: '< 15%',
    pass: cpuOverhead < 0.15,
    note: `load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores during the run`,
  });
  const overhead = (pipeMs - rawMs) / rawMs;
  emit({
    name: `sliding-window overhead (96x96x64, roi 32^3, overlap 0.5, gaussian, ${plan.count} windows)`,
    value: overhead * 100,
    unit: '%',
    reference: { name: 'raw ORT session.run on the same batches', value: rawMs },
    ratio: pipeMs / rawMs,
    better: 'lower',
    target: '< 15%',
    pass: overhead < 0.15,
    note: `pipeline ${pipeMs.toFixed(0)} ms vs raw ${rawMs.toFixed(0)} ms; median of 3`,
  });

  // --- windows/s per provider --------------------------------------------------------------------------------
  const cpuWps = (plan.count * 1000) / pipeMs;
  emit({ name: 'windows/s, provider cpu (roi 32^3, batch 2)', value: cpuWps, unit: 'windows/s', better: 'higher', note: cpu.providerMessage });
  for (const provider of ['cuda', 'webgpu']) {
    const s = await createSession(model, { card, providers: [provider] });
    sessions.push(s);
    if (s.provider !== provider) {
      emit({ name: `windows/s, provider ${provider}`, value: NaN, unit: 'windows/s', better: 'higher', note: `unavailable here: ${s.providerMessage}` });
      continue;
    }
    const ev = createMemberEvaluator({ predictors: [windowPredictor(s)], classes: 2 });
    const run = () => stitchWindows(arraySource(image, shape, 1), ev, new ArraySink(shape, 2), { roi, overlap, blend: 'gaussian', batchSize, features: 2 });
    await run();
    const t = performance.now();
    await run();
    const ms = performance.now() - t;
    emit({
      name: `windows/s, provider ${provider} (roi 32^3, batch 2)`,
      value: (plan.count * 1000) / ms,
      unit: 'windows/s',
      reference: { name: 'provider cpu, same run', value: cpuWps },
      ratio: (plan.count * 1000) / ms / cpuWps,
      better: 'higher',
    });
  }

  // --- ORT vs tfjs cpu on the same network and windows -------------------------------------------------------
  const store: WeightStore = new Map([...weights].map(([name, data]) => [name, tf.variable(tf.tensor(data, spec.weights.find((w) => w.name === name)!.shape))]));
  const tfjsBatches = batches.slice(0, 6);
  const tfjsRun = () => {
    for (const input of tfjsBatches) {
      const n = input.length / windowVoxels;
      tf.tidy(() => runNetwork(spec, store, tf.tensor(input, [n, roi[2], roi[1], roi[0], 1]), { training: false })[spec.outputs[0].name].dataSync());
    }
  };
  const ortRun = async () => {
    for (const input of tfjsBatches) await cpu.run(input, [input.length / windowVoxels, 1, roi[2], roi[1], roi[0]]);
  };
  tfjsRun();
  await ortRun();
  let t = performance.now();
  tfjsRun();
  const tfjsMs = performance.now() - t;
  t = performance.now();
  await ortRun();
  const ortMs = performance.now() - t;
  const wins = tfjsBatches.reduce((n, b) => n + b.length / windowVoxels, 0);
  emit({
    name: 'ORT cpu vs tfjs cpu, same 3D U-Net, roi 32^3',
    value: (wins * 1000) / ortMs,
    unit: 'windows/s',
    reference: { name: 'tfjs-core cpu backend (runNetwork)', value: (wins * 1000) / tfjsMs },
    ratio: tfjsMs / ortMs,
    better: 'higher',
    note: `${wins} windows`,
  });
  for (const v of store.values()) v.dispose();

  // --- out of core: peak RSS against the budget --------------------------------------------------------------
  const side = Number(process.env.SEGSTATION_BENCH_SIZE ?? 128);
  const big: Vec3 = [side, side, side];
  const input = path.join(dir, 'big.ome.zarr');
  const builder = await createOmeZarrStore(input, { shape: big, spacing: [1, 1, 1], origin: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], dtype: 'uint8', components: 1 }, { chunkShape: [64, 64, 64], levels: 1 });
  for (let z = 0; z < side; z += builder.slabDepth) {
    const depth = Math.min(builder.slabDepth, side - z);
    const slab = new Uint8Array(side * side * depth);
    for (let i = 0; i < slab.length; i++) slab[i] = (i * 2654435761 + z) >>> 24;
    await builder.writeSlab(z, slab);
  }
  await builder.finalize();
  const budgetMb = 768;
  const rssBefore = peakRssMb();
  const t0 = performance.now();
  const result = await predictStores([input], [cpu], path.join(dir, 'out'), { roi: [64, 64, 64], overlap: 0.25, batchSize: 1, memoryBudgetBytes: budgetMb * 1024 * 1024 });
  const seconds = (performance.now() - t0) / 1000;
  const peak = peakRssMb();
  emit({
    name: `out-of-core ${side}^3 uint8 -> OME-Zarr (roi 64^3, overlap 0.25), peak RSS`,
    value: peak,
    unit: 'MB',
    reference: { name: 'budget + 512 MB', value: budgetMb + 512 },
    ratio: peak / (budgetMb + 512),
    better: 'lower',
    target: '< budget + 512 MB',
    pass: peak < budgetMb + 512,
    note: `${result.windows} windows in ${seconds.toFixed(1)} s (${(result.windows / seconds).toFixed(2)} windows/s), slab ${result.slabDepth}, planned ${(result.plannedBytes / 2 ** 20).toFixed(0)} MB, RSS before ${rssBefore.toFixed(0)} MB`,
  });
} finally {
  for (const s of sessions) await s.release();
  await fs.rm(dir, { recursive: true, force: true });
}
