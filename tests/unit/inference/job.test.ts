import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../../main/io/formats.ts';
import { writeVolume } from '../../../main/io/registry.ts';
import { startPredictionJob } from '../../../main/inference/job.ts';
import { JobManager, jobKinds } from '../../../main/services/jobs.ts';
import '../../../main/services/jobKinds/index.ts';
import type { PredictEvent } from '../../../main/inference/run.ts';
import { createVolume } from '../../../main/volume/volume.ts';
import { cardFor, convGraph, tempDir, writeModel } from './helpers.ts';

let dir: string;
let model: string;
let input: string;
beforeAll(async () => {
  dir = await tempDir('segstation-job-');
  model = await writeModel(dir, 'conv', convGraph(1, 2), cardFor(2, { inputChannels: 1, output: 'logits', patchSize: [4, 4, 4] }));
  input = path.join(dir, 'in.ome.zarr');
  const data = Uint8Array.from({ length: 24 * 24 * 24 }, (_, i) => (i * 37) % 251);
  await writeVolume(createVolume({ shape: [24, 24, 24], data }), input);
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('prediction jobs in a worker thread', () => {
  it('reports provider, progress with windows/s and ETA, and per-case telemetry', async () => {
    const events: PredictEvent[] = [];
    const job = startPredictionJob({ models: [model], input, output: path.join(dir, 'out'), overlap: 0 }, (e) => events.push(e));
    const summary = await job.done;
    expect(events[0]).toEqual({ type: 'log', message: 'execution provider: cpu' });
    const progress = events.filter((e) => e.type === 'progress');
    expect(progress.at(-1)).toMatchObject({ done: 216, total: 216 });
    expect(progress.every((p) => p.type === 'progress' && p.windowsPerSecond > 0 && p.etaMs >= 0)).toBe(true);
    expect(summary.cases).toHaveLength(1);
    expect(summary.cases[0]).toMatchObject({ caseId: 'in', windows: 216, mode: 'out-of-core' });
    expect(summary.cases[0].peakRssMb).toBeGreaterThan(10);
    expect(summary.cases[0].ms).toBeGreaterThan(0);
  });

  it('cancels between batches and leaves no output behind', async () => {
    const out = path.join(dir, 'cancelled');
    let cancelled = false;
    const job = startPredictionJob({ models: [model], input, output: out, overlap: 0.75, batchSize: 1 }, (e) => {
      if (e.type === 'progress' && !cancelled) {
        cancelled = true;
        job.cancel();
      }
    });
    await expect(job.done).rejects.toThrow(/cancelled/);
    const left = await fs.readdir(out).catch(() => []);
    expect(left).toEqual([]);
  });

  it('turns a bad request into an InputError before starting', async () => {
    await expect(startPredictionJob({ models: [model], input, output: 'x', overlap: 1 }).done).rejects.toThrow(/--overlap/);
  });
});

describe("the engine's 'predict' job kind", () => {
  it('is registered and runs in a job process with progress', async () => {
    expect(jobKinds().map((k) => k.kind)).toContain('predict');
    const events: { event: string; payload: Record<string, unknown> }[] = [];
    let finish: (p: Record<string, unknown>) => void = () => undefined;
    const finished = new Promise<Record<string, unknown>>((resolve) => (finish = resolve));
    const manager = new JobManager((e) => {
      events.push(e as never);
      if (e.event === 'job.finished') finish(e.payload as Record<string, unknown>);
    });
    try {
      manager.start('predict', { models: [model], input, output: path.join(dir, 'job-out'), overlap: 0 });
      const end = await finished;
      expect(end).toMatchObject({ status: 'completed' });
      expect((end.result as { cases: { windows: number }[] }).cases[0].windows).toBe(216);
      const progress = events.filter((e) => e.event === 'job.progress');
      expect(progress.length).toBeGreaterThan(0);
      expect(String(progress.at(-1)!.payload.message)).toMatch(/windows\/s/);
      expect(() => manager.start('predict', { models: [model], output: 'x' })).toThrow(/exactly one of input or project/);
    } finally {
      manager.dispose();
    }
  });
});
