import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../../../models/card.ts';
import type { TrainingEvent } from '../../../../main/training/runs/events.ts';
import { getRun, getRunMetrics, listRuns } from '../../../../main/training/runs/records.ts';
import { train } from '../../../../main/training/runs/trainer.ts';
import { isInputError } from '../../../../main/util/errors.ts';
import { makeTinyProject } from '../../../fixtures/training/tiny-project.ts';

const tiny = {
  seed: 3,
  backend: 'cpu',
  network: { kind: '2.5d', levels: 2, filters: 4 },
  patchSize: [32, 32],
  batchSize: 4,
  epochs: 3,
  stepsPerEpoch: 5,
  optimizer: { type: 'adam', lr: 0.01 },
  augmentation: { affine: { pRotation: 0, pScale: 0 } },
};

let project: string;
beforeAll(async () => {
  project = await makeTinyProject({ cases: 3, shape: [32, 32, 6] });
});

describe('train (in process)', () => {
  it('a tiny run lowers its loss, validates, checkpoints and records everything', async () => {
    const events: TrainingEvent[] = [];
    const result = await train({ project, config: tiny, prefetch: false, onEvent: (e) => events.push(e) });
    expect(result.status).toBe('completed');
    const losses = events.flatMap((e) => (e.type === 'epoch' ? [e.metrics.loss] : []));
    expect(losses).toHaveLength(3);
    expect(losses[2]).toBeLessThan(0.8 * losses[0]);
    const steps = events.filter((e) => e.type === 'step');
    expect(steps).toHaveLength(15);
    expect(steps[0]).toMatchObject({ epoch: 0, step: 1, stepsPerEpoch: 5 });
    expect(Object.keys((steps[0] as Extract<TrainingEvent, { type: 'step' }>).terms).sort()).toEqual(['ce', 'dice']);
    const epoch = events.find((e) => e.type === 'epoch') as Extract<TrainingEvent, { type: 'epoch' }>;
    expect(Object.keys(epoch.valDice ?? {})).toHaveLength(3);

    // Catalogue: the run and its metric history.
    const run = await getRun(project, result.runId);
    expect(run).toMatchObject({ status: 'completed', fold: 0, seed: 3, backend: 'cpu' });
    expect(run.configHash).toMatch(/^[0-9a-f]{64}$/);
    const metrics = await getRunMetrics(project, result.runId);
    expect(metrics.filter((m) => m.name === 'loss').map((m) => m.step)).toEqual([5, 10, 15]);
    expect(metrics.some((m) => m.name === 'val_dice_mean')).toBe(true);

    // Checkpoints: both with a valid model card.
    const { card } = await loadModel(path.join(result.folder, 'checkpoints', 'best'));
    expect(card.classes).toHaveLength(3);
    expect(card.patchSize).toEqual([32, 32, 1]);
    expect(card.run?.id).toBe(result.runId);
    expect(existsSync(path.join(result.folder, 'checkpoints', 'last', 'optimizer.bin'))).toBe(true);
    const lines = readFileSync(path.join(result.folder, 'events.jsonl'), 'utf8').trim().split('\n');
    expect(JSON.parse(lines[lines.length - 1]).type).toBe('end');
  });

  it('is deterministic: the same seed gives the same losses, with or without the prefetch worker', async () => {
    const config = { ...tiny, epochs: 1, stepsPerEpoch: 3 };
    const run = async (prefetch: boolean): Promise<number[]> => {
      const losses: number[] = [];
      await train({ project, config, prefetch, onEvent: (e) => e.type === 'step' && losses.push(e.loss) });
      return losses;
    };
    const inline = await run(false);
    expect(await run(true)).toEqual(inline);
  });

  it('cancels, then resumes from the last checkpoint with its history intact', async () => {
    const control = { paused: false, cancelled: false };
    const config = { ...tiny, epochs: 3, stepsPerEpoch: 3 };
    const first = await train({
      project,
      config,
      prefetch: false,
      control,
      onEvent: (e) => {
        if (e.type === 'step' && e.step === 5) control.cancelled = true; // mid epoch 2
      },
    });
    expect(first.status).toBe('cancelled');
    expect((await getRun(project, first.runId)).status).toBe('cancelled');
    const before = await getRunMetrics(project, first.runId);
    expect([...new Set(before.map((m) => m.step))]).toEqual([3]);
    const events: TrainingEvent[] = [];
    const resumed = await train({ project, resume: first.runId, prefetch: false, onEvent: (e) => events.push(e) });
    expect(resumed.status).toBe('completed');
    expect(events[0]).toMatchObject({ type: 'start', resumedFrom: { epoch: 1, step: 3 } });
    expect(events.find((e) => e.type === 'step')).toMatchObject({ epoch: 1, step: 4 });
    const after = await getRunMetrics(project, first.runId);
    expect([...new Set(after.map((m) => m.step))]).toEqual([3, 6, 9]);
    expect(after.filter((m) => m.step === 3)).toEqual(before);
  });

  it('pauses between steps and goes on when resumed', async () => {
    let wake: () => void = () => undefined;
    const control = { paused: false, cancelled: false, changed: () => new Promise<void>((r) => (wake = r)) };
    const kinds: string[] = [];
    await train({
      project,
      config: { ...tiny, epochs: 1, stepsPerEpoch: 3 },
      prefetch: false,
      control,
      onEvent: (e) => {
        kinds.push(e.type);
        if (e.type === 'step' && e.step === 1) control.paused = true;
        if (e.type === 'paused') setTimeout(() => {
          control.paused = false;
          wake();
        }, 50);
      },
    });
    expect(kinds.filter((k) => k === 'step' || k === 'paused' || k === 'resumed')).toEqual(['step', 'paused', 'resumed', 'step', 'step']);
  });

  it('trains a 3D network with batch norm and deep supervision (conv3dTranspose gradients, moving statistics)', async () => {
    const losses: number[] = [];
    const result = await train({
      project,
      config: {
        ...tiny,
        network: { kind: '3d', levels: 3, filters: 2, norm: 'batch', deepSupervision: true },
        patchSize: [16, 16, 4],
        batchSize: 2,
        epochs: 1,
        stepsPerEpoch: 3,
        sampler: { hardMining: { enabled: true } },
      },
      prefetch: false,
      onEvent: (e) => e.type === 'step' && losses.push(e.loss),
    });
    expect(losses.every(Number.isFinite)).toBe(true);
    const { card, tensors } = await loadModel(path.join(result.folder, 'checkpoints', 'last'));
    expect(card.network.outputs.map((o) => o.name)).toEqual(['segmentation', 'segmentation_ds1']);
    const mean = tensors.find((t) => t.name === 'enc0/a/norm/moving_mean');
    expect(mean && Array.from(mean.values).some((v) => v !== 0)).toBe(true); // updated from 0 by training
  });

  it('stops early when the validation Dice stops improving', async () => {
    // A learning rate too small to change the predictions: the Dice never improves after the first epoch.
    const result = await train({
      project,
      config: { ...tiny, epochs: 6, stepsPerEpoch: 1, optimizer: { type: 'sgd', lr: 1e-12, momentum: 0 }, earlyStopping: { patience: 2 } },
      prefetch: false,
    });
    expect(result.status).toBe('stopped-early');
    expect(result.epoch).toBe(3);
    expect(result.bestEpoch).toBe(0);
  });

  it('refuses a project without labels and a bad config before any work starts', async () => {
    const unlabelled = await makeTinyProject({ cases: 2, shape: [16, 16, 4], unlabelled: true });
    const error = await train({ project: unlabelled, config: tiny }).catch((e: unknown) => e);
    expect(isInputError(error)).toBe(true);
    expect(String(error)).toMatch(/none of the 2 cases has a label map/);
    expect(readdirSync(path.join(unlabelled, 'runs'))).toEqual([]);
    const runsBefore = (await listRuns(project)).length;
    await expect(train({ project, config: { ...tiny, epochs: 0 } })).rejects.toThrow(/config: epochs: must be >=1/);
    await expect(train({ project, config: tiny, fold: 5 })).rejects.toThrow(/fold: must be in 0..1/);
    expect((await listRuns(project)).length).toBe(runsBefore);
  });
});
