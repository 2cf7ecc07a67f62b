import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../../main/io/formats.ts';
import { readVolume, writeVolume } from '../../../main/io/registry.ts';
import { openOmeZarr } from '../../../main/io/omezarr/lazy.ts';
import { predictStores, planMemory } from '../../../main/inference/outOfCore.ts';
import { OnnxGraphBuilder } from '../../../main/inference/onnx/graph.ts';
import { resolvePrediction } from '../../../main/inference/options.ts';
import { predictVolume } from '../../../main/inference/predict.ts';
import { resampleLinear, resampleNearest } from '../../../main/inference/resample.ts';
import { createSession, type SegmentationSession } from '../../../main/inference/session.ts';
import { mulberry32 } from '../../../main/util/random.ts';
import { createVolume, type Vec3 } from '../../../main/volume/volume.ts';
import { ambiguousDropoutGraph, cardFor, convGraph, maxAbsDiff, softmaxGraph, softmaxInterleaved, tempDir, writeModel } from './helpers.ts';

let dir: string;
const open: SegmentationSession[] = [];
async function session(name: string, graph: Parameters<typeof writeModel>[2], card: Parameters<typeof writeModel>[3]) {
  const s = await createSession(await writeModel(dir, name, graph, card));
  open.push(s);
  return s;
}
beforeAll(async () => {
  dir = await tempDir();
});
afterAll(async () => {
  for (const s of open) await s.release();
  await fs.rm(dir, { recursive: true, force: true });
});

function randomScores(shape: Vec3, channels: number, seed: number): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: shape[0] * shape[1] * shape[2] * channels }, () => (rng() - 0.5) * 6);
}

describe('predictVolume', () => {
  it('identity model: probabilities equal the softmax, label its argmax, with flips TTA too', async () => {
    const s = await session('id3', softmaxGraph(3), cardFor(3, { patchSize: [6, 5, 4] }));
    const shape: Vec3 = [11, 9, 7];
    const scores = randomScores(shape, 3, 1);
    const volume = createVolume({ shape, data: scores, components: 3, spacing: [0.5, 0.7, 2] });
    const expected = softmaxInterleaved(scores, 3);
    for (const tta of [false, true]) {
      const result = await predictVolume(volume, [s], { tta, overlap: 0.5, blend: 'gaussian' });
      expect(result.members).toBe(tta ? 8 : 1);
      expect(maxAbsDiff(result.volumes.probabilities.data as Float32Array, expected)).toBeLessThan(2e-6);
      const label = result.volumes.label.data;
      for (let v = 0; v < label.length; v++) {
        const p = expected.subarray(v * 3, v * 3 + 3);
        expect(label[v]).toBe(p.indexOf(Math.max(...p)));
      }
      expect(result.volumes.label.spacing).toEqual([0.5, 0.7, 2]);
      expect(result.volumes.label.labels?.map((l) => l.name)).toEqual(['background', 'class1', 'class2']);
    }
  });

  it.each(['x', 'y', 'z'] as const)('a 2D model applied slice-wise along %s equals the softmax', async (axis) => {
    const patch: Vec3 = [4, 4, 4];
    patch[{ x: 0, y: 1, z: 2 }[axis]] = 1;
    const s = await session(`id2d${axis}`, softmaxGraph(2, 4), cardFor(2, { kind: '2d', sliceAxis: axis, patchSize: patch }));
    const shape: Vec3 = [7, 6, 5];
    const scores = randomScores(shape, 2, 2);
    const result = await predictVolume(createVolume({ shape, data: scores, components: 2 }), [s], { overlap: 0.25 });
    expect(maxAbsDiff(result.volumes.probabilities.data as Float32Array, softmaxInterleaved(scores, 2))).toBeLessThan(2e-6);
  });

  it('a 2D model moved to another slice axis keeps its in-plane patch sizes', async () => {
    const s = await session('id2dmove', softmaxGraph(2, 4), cardFor(2, { kind: '2d', sliceAxis: 'z', patchSize: [4, 3, 1] }));
    const resolved = resolvePrediction([s], { sliceAxis: 'x' });
    expect(resolved.roi).toEqual([1, 4, 3]);
    expect(resolved.card.sliceAxis).toBe('x');
    const shape: Vec3 = [5, 7, 6];
    const scores = randomScores(shape, 2, 9);
    const result = await predictVolume(createVolume({ shape, data: scores, components: 2 }), [s], { sliceAxis: 'x', overlap: 0.5 });
    expect(maxAbsDiff(result.volumes.probabilities.data as Float32Array, softmaxInterleaved(scores, 2))).toBeLessThan(2e-6);
    expect(() => resolvePrediction([s], { roi: [4, 3, 2] })).toThrow(/--roi: a 2d model takes windows one slice deep \(roi z = 1\)/);
  });

  it('a 2.5D model sees 2k + 1 neighbouring slices as channels (slice-major, edge-clamped), in memory and out of core', async () => {
    // 1x1 conv over 3 stacked slices: logit1 = slice z+1, logit0 = slice z-1
    const g = new OnnxGraphBuilder('ctx');
    const x = g.input('image', ['N', 3, 'H', 'W']);
    g.output(g.conv(x, { data: Float32Array.from([1, 0, 0, 0, 0, 1]), dims: [2, 3, 1, 1] }), 'logits', ['N', 2, 'H', 'W']);
    const s = await session('ctx', g, cardFor(2, { inputChannels: 1, kind: '2.5d', sliceContext: 1, patchSize: [4, 4, 1], output: 'logits' }));
    const shape: Vec3 = [6, 5, 4];
    const data = Float32Array.from({ length: 120 }, (_, i) => Math.floor(i / 30) - 1.5); // value = z - 1.5
    const volume = createVolume({ shape, data });
    const result = await predictVolume(volume, [s], { overlap: 0 });
    const p = result.volumes.probabilities.data as Float32Array;
    for (let z = 0; z < 4; z++) {
      const below = Math.max(0, z - 1) - 1.5;
      const above = Math.min(3, z + 1) - 1.5;
      const expected = 1 / (1 + Math.exp(below - above));
      expect(p[(z * 30 + 7) * 2 + 1]).toBeCloseTo(expected, 5);
    }
    const input = path.join(dir, 'ctx.ome.zarr');
    await writeVolume(volume, input, { chunkShape: [4, 4, 2] });
    const streamed = await predictStores([input], [s], path.join(dir, 'ctx-out'), { overlap: 0, memoryBudgetBytes: 5 * 1024 * 1024 });
    expect(maxAbsDiff((await readVolume(streamed.stores.probabilities!)).data as Float32Array, p)).toBe(0);
  });

  it('resamples to the model spacing and back (identity model on a smooth field)', async () => {
    const s = await session('idsp', softmaxGraph(2), cardFor(2, { spacing: [2, 2, 2], patchSize: [8, 8, 8] }));
    const shape: Vec3 = [16, 12, 10];
    const data = new Float32Array(shape[0] * shape[1] * shape[2] * 2);
    for (let z = 0, v = 0; z < shape[2]; z++)
      for (let y = 0; y < shape[1]; y++)
        for (let x = 0; x < shape[0]; x++, v++) data[v * 2 + 1] = (x - 8) * 0.2 + (y - 6) * 0.1; // linear: survives trilinear
    const result = await predictVolume(createVolume({ shape, data, components: 2, spacing: [1, 1, 1] }), [s]);
    expect(result.modelGrid).toEqual({ shape: [8, 6, 5], spacing: [2, 2, 2], resampled: true });
    // Interior voxels on the model grid's even lattice come back exactly; the rest within linear-interpolation error.
    const p = result.volumes.probabilities.data as Float32Array;
    const ref = softmaxInterleaved(data, 2);
    expect(p[(((4 * 12 + 4) * 16 + 6) * 2) + 1]).toBeCloseTo(ref[(((4 * 12 + 4) * 16 + 6) * 2) + 1], 5);
    expect(maxAbsDiff(p, ref)).toBeLessThan(0.05);
  });

  it('MC-dropout: entropy and mutual information are higher where the intensity is ambiguous', async () => {
    const s = await session('mc', ambiguousDropoutGraph(), cardFor(1, { inputChannels: 1, classNames: ['background', 'phase'], output: 'logits', mcDropout: true }));
    const shape: Vec3 = [16, 16, 8];
    const data = new Float32Array(16 * 16 * 8);
    const region = (x: number, y: number) => (x >= 4 && x < 12 && y >= 4 && y < 12 ? 'ambiguous' : x < 8 ? 'background' : 'phase');
    for (let z = 0, v = 0; z < 8; z++)
      for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++, v++) data[v] = { ambiguous: 0.5, background: 0, phase: 1 }[region(x, y)];
    const result = await predictVolume(createVolume({ shape, data }), [s], { uncertainty: 'mc', mcPasses: 12, roi: [8, 8, 8] });
    const entropy = result.volumes.entropy!.data as Float32Array;
    const mi = result.volumes.mutualInformation!.data as Float32Array;
    const variance = result.volumes.variance!.data as Float32Array;
    const mean = (arr: Float32Array, which: string, stride = 1) => {
      let sum = 0;
      let n = 0;
      for (let z = 0, v = 0; z < 8; z++)
        for (let y = 0; y < 16; y++)
          for (let x = 0; x < 16; x++, v++)
            if (region(x, y) === which) {
              sum += arr[v * stride + (stride - 1)];
              n++;
            }
      return sum / n;
    };
    for (const other of ['background', 'phase']) {
      expect(mean(entropy, 'ambiguous')).toBeGreaterThan(4 * mean(entropy, other));
      expect(mean(mi, 'ambiguous')).toBeGreaterThan(4 * mean(mi, other));
      expect(mean(variance, 'ambiguous', 2)).toBeGreaterThan(4 * mean(variance, other, 2));
    }
    expect(mean(entropy, 'ambiguous')).toBeGreaterThan(0.3);
    expect(result.uncertaintyScore).toBeGreaterThan(0);
    expect(result.uncertaintyScore).toBeLessThanOrEqual(1);
    const label = result.volumes.label.data;
    expect(label[(4 * 16 + 1) * 16 + 1]).toBe(0);
    expect(label[(4 * 16 + 14) * 16 + 14]).toBe(1);
  });

  it('ensemble: disagreeing members give variance, agreeing ones none', async () => {
    const a = await session('ensA', softmaxGraph(2), cardFor(2));
    const b = await session('ensB', softmaxGraph(2), cardFor(2));
    const c = await session('ensC', convGraph(2, 2), cardFor(2, { output: 'logits' }));
    const shape: Vec3 = [9, 9, 9];
    const volume = createVolume({ shape, data: randomScores(shape, 2, 3), components: 2 });
    const same = await predictVolume(volume, [a, b], { uncertainty: 'ensemble' });
    expect(Math.max(...(same.volumes.variance!.data as Float32Array))).toBeLessThan(1e-6);
    expect(Math.max(...(same.volumes.mutualInformation!.data as Float32Array))).toBeLessThan(1e-5);
    const differ = await predictVolume(volume, [a, c], { uncertainty: 'ensemble' });
    expect(Math.max(...(differ.volumes.variance!.data as Float32Array))).toBeGreaterThan(0.01);
    await expect(predictVolume(volume, [a], { uncertainty: 'ensemble' })).rejects.toThrow(/two or more models/);
    await expect(predictVolume(volume, [a], { uncertainty: 'mc' })).rejects.toThrow(/active dropout/);
  });
});

describe('out of core', () => {
  it('plans the slab depth from the budget and refuses a budget too small', () => {
    const big = planMemory([512, 512, 512], 1, 2, 2, [64, 64, 64], 0.5, 1024 ** 3, 1);
    expect(big.slabDepth).toBe(64);
    expect(big.bytes).toBeLessThanOrEqual(1024 ** 3);
    const small = planMemory([512, 512, 512], 1, 2, 2, [64, 64, 64], 0.5, 600 * 1024 ** 2, 1);
    expect(small.slabDepth).toBeLessThan(64);
    expect(small.bytes).toBeLessThanOrEqual(600 * 1024 ** 2);
    expect(() => planMemory([512, 512, 512], 1, 2, 2, [64, 64, 64], 0.5, 50 * 1024 ** 2)).toThrow(/--memory-budget: is 50\.0 MB; .* need at least [\d.]+ MB/);
  });

  it.each([
    ['gaussian', 0.5, false, [37, 29, 23], [16, 12, 10]],
    ['constant', 0.25, true, [37, 29, 23], [16, 12, 10]],
    ['gaussian', 0.5, false, [11, 29, 7], [16, 12, 10]], // smaller than the ROI along x and z
  ] as const)('equals the in-memory path exactly (%s blend, overlap %f, uncertainty %s, shape %j)', async (blend, overlap, tta, shapeIn, roi) => {
    const s = await session(`conv${blend}${shapeIn[0]}`, convGraph(1, 3), cardFor(3, { inputChannels: 1, output: 'logits', normalization: { kind: 'zscore' } }));
    const shape = [...shapeIn] as Vec3;
    const rng = mulberry32(5);
    const data = Uint8Array.from({ length: shape[0] * shape[1] * shape[2] }, () => Math.floor(rng() * 255));
    const volume = createVolume({ shape, data, spacing: [0.8, 0.8, 1.5] });
    const options = { roi: [...roi] as Vec3, overlap, blend, batchSize: 3, ...(tta ? { uncertainty: 'tta' as const } : {}) };
    const memory = await predictVolume(volume, [s], options);
    const input = path.join(dir, `in-${blend}-${shape[0]}.ome.zarr`);
    await writeVolume(volume, input, { chunkShape: [16, 16, 8] });
    const outDir = path.join(dir, `out-${blend}-${shape[0]}`);
    const result = await predictStores([input], [s], outDir, { ...options, memoryBudgetBytes: (tta ? 2.1 : 1.5) * 1024 * 1024 });
    // Slabs thinner than the volume for the larger shapes: the rolling accumulator is what is tested.
    if (shape[2] > 16) expect(result.slabDepth).toBeLessThan(shape[2] / 4);
    expect(result.plannedBytes).toBeLessThanOrEqual((tta ? 2.1 : 1.5) * 1024 * 1024);
    const label = await readVolume(result.stores.label!);
    expect(Buffer.compare(Buffer.from(label.data.buffer), Buffer.from(memory.volumes.label.data.buffer))).toBe(0);
    // A cropped region read lazily matches the same region of the in-memory probabilities bit for bit.
    const probs = await openOmeZarr(result.stores.probabilities!);
    const start: Vec3 = [2, 7, 1];
    const size: Vec3 = [Math.min(20, shape[0] - 2), 15, Math.min(17, shape[2] - 1)];
    const region = (await probs.readRegion(start, size)) as Float32Array;
    const full = memory.volumes.probabilities.data as Float32Array;
    let diff = 0;
    for (let z = 0, i = 0; z < size[2]; z++)
      for (let y = 0; y < size[1]; y++)
        for (let x = 0; x < size[0]; x++)
          for (let k = 0; k < 3; k++, i++) {
            const v = (((z + start[2]) * shape[1] + y + start[1]) * shape[0] + x + start[0]) * 3 + k;
            if (region[i] !== full[v]) diff++;
          }
    expect(diff).toBe(0);
    if (tta) {
      const entropy = await readVolume(result.stores.entropy!);
      expect(maxAbsDiff(entropy.data as Float32Array, memory.volumes.entropy!.data as Float32Array)).toBe(0);
      expect(result.uncertaintyScore).toBe(memory.uncertaintyScore);
    }
  });
});

describe('resampling', () => {
  it('trilinear keeps linear fields and the edge; nearest keeps labels', () => {
    const from: Vec3 = [4, 3, 2];
    const data = Float32Array.from({ length: 24 }, (_, i) => i % 4);
    const up = resampleLinear(data, from, 1, [7, 3, 2], [0.5, 1, 1]);
    expect([...up.subarray(0, 7)]).toEqual([0, 0.5, 1, 1.5, 2, 2.5, 3]);
    const labels = Uint8Array.from({ length: 24 }, (_, i) => i % 4);
    const near = resampleNearest(labels, from, 1, [2, 3, 2], [2, 1, 1]);
    expect([...near.subarray(0, 2)]).toEqual([0, 2]);
  });
});
