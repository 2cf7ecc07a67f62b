// The 'train' job kind through the engine: a real tiny run in a job process with live telemetry, pause and resume in
// memory, cancel, and a resumed run from the last checkpoint; the catalogue read back with run.list / run.get.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PayloadOf } from '../../../ipc/contract.ts';
import { Engine } from '../../../main/services/engine.ts';
import { makeTinyProject } from '../../fixtures/training/tiny-project.ts';
import { EventLog } from './helpers/events.ts';

type Training = PayloadOf<'training.progress'>;
type Step = Extract<Training, { type: 'step' }>;
type Epoch = Extract<Training, { type: 'epoch' }>;

/** resources/configs/tiny-2.5d.yaml, shorter. */
const tiny = {
  seed: 1,
  backend: 'cpu',
  network: { kind: '2.5d', axis: 'z', context: 1, levels: 2, filters: 4 },
  patchSize: [32, 32],
  batchSize: 2,
  epochs: 2,
  stepsPerEpoch: 4,
  optimizer: { type: 'adam', lr: 0.01 },
  augmentation: { affine: { pRotation: 0, pScale: 0 } },
};

let project: string;
let engine: Engine;
let log: EventLog;

beforeAll(async () => {
  project = await makeTinyProject({ cases: 3, shape: [32, 32, 4] });
  engine = new Engine({ transport: 'direct', recentFile: path.join(path.dirname(project), 'recent.json') });
  log = new EventLog(engine);
});

afterAll(() => {
  log?.close();
  engine?.dispose();
  if (project) rmSync(path.dirname(project), { recursive: true, force: true });
});

describe('train job', () => {
  it('refuses a bad config before starting, naming the field', async () => {
    const reply = await engine.dispatch({ id: 1, method: 'job.start', params: { kind: 'train', params: { projectDir: project, config: { ...tiny, epochs: 0 } } } });
    expect(reply).toMatchObject({ error: { code: 'input_error', field: 'params.config.epochs' } });
    const both = await engine.dispatch({ id: 2, method: 'job.start', params: { kind: 'train', params: { projectDir: project, config: tiny, resume: 'r' } } });
    expect(both).toMatchObject({ error: { code: 'input_error', field: 'params.config' } });
    expect(engine.jobs.list().filter((j) => j.kind === 'train')).toHaveLength(0);
  });

  it('streams telemetry, pauses in memory, resumes and completes; run.get returns config and curves', async () => {
    const job = await engine.call('job.start', { kind: 'train', params: { projectDir: project, config: tiny, runId: 'ui-run', stepEventsPerSecond: 1000 } });
    const first = (await log.wait('training.progress', job.jobId, (p) => p.type === 'step')) as Step;
    expect(first).toMatchObject({ runId: 'ui-run', epoch: 0, totalSteps: 8, stepsPerEpoch: 4 });
    expect(Object.keys(first.terms).sort()).toEqual(['ce', 'dice']);
    expect(first.loss).toBeGreaterThan(0);
    expect(first.voxelsPerSecond).toBeGreaterThan(0);
    expect(first.memoryBytes).toBeGreaterThan(0);

    const paused = await engine.call('job.pause', { jobId: job.jobId });
    expect(paused).toMatchObject({ status: 'paused', runId: 'ui-run' });
    expect(log.of('job.state', job.jobId).at(-1)?.status).toBe('paused');
    const atPause = (await log.wait('training.progress', job.jobId, (p) => p.type === 'paused')) as Extract<Training, { type: 'paused' | 'resumed' }>;
    const stepsAtPause = log.of('training.progress', job.jobId).filter((p) => p.type === 'step').length;
    await new Promise((r) => setTimeout(r, 1500));
    // No step while paused: the run holds between two steps.
    expect(log.of('training.progress', job.jobId).filter((p) => p.type === 'step')).toHaveLength(stepsAtPause);
    expect((await engine.call('run.get', { projectDir: project, runId: 'ui-run' })).run.status).toBe('paused');

    expect((await engine.call('job.resume', { jobId: job.jobId })).status).toBe('running');
    const end = await log.finished(job.jobId);
    expect(end).toMatchObject({ status: 'completed', result: { runId: 'ui-run', status: 'completed', epoch: 2, step: 8 } });

    const telemetry = log.of('training.progress', job.jobId);
    const steps = telemetry.filter((p): p is Step => p.type === 'step');
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(telemetry.find((p) => p.type === 'resumed')).toMatchObject({ step: atPause.step });
    const epochs = telemetry.filter((p): p is Epoch => p.type === 'epoch');
    expect(epochs.map((e) => e.epoch)).toEqual([0, 1]);
    expect(Object.keys(epochs[1].valDice ?? {})).toHaveLength(3);
    expect(telemetry.at(-1)).toMatchObject({ type: 'end', status: 'completed', step: 8 });
    // job.progress counts steps over the run.
    expect(log.of('job.progress', job.jobId).at(-1)).toMatchObject({ done: 8, total: 8 });

    const runs = await engine.call('run.list', { projectDir: project });
    expect(runs.runs.find((r) => r.id === 'ui-run')).toMatchObject({ status: 'completed', fold: 0, backend: 'cpu', seed: 1 });
    const detail = await engine.call('run.get', { projectDir: project, runId: 'ui-run' });
    expect(detail.config).toMatchObject({ epochs: 2, stepsPerEpoch: 4, patchSize: [32, 32] });
    const loss = detail.metrics.find((m) => m.name === 'loss');
    expect(loss?.points.map((p) => [p.epoch, p.step])).toEqual([[0, 4], [1, 8]]);
    // The curve holds what the epoch events carried.
    expect(loss?.points.map((p) => p.value)).toEqual(epochs.map((e) => e.metrics.loss));
    expect(detail.metrics.map((m) => m.name)).toEqual(expect.arrayContaining(['lr', 'val_dice_mean', 'loss_ce', 'loss_dice']));
  }, 120_000);

  it('cancels a paused run and resumes it from its last checkpoint in a new job', async () => {
    const job = await engine.call('job.start', { kind: 'train', params: { projectDir: project, config: { ...tiny, epochs: 3 }, runId: 'ui-resume' } });
    await log.wait('training.progress', job.jobId, (p) => p.type === 'checkpoint' && p.kind === 'last');
    // Pause first so that the run cannot finish before the cancel lands, then cancel the paused run.
    await engine.call('job.pause', { jobId: job.jobId });
    await log.wait('training.progress', job.jobId, (p) => p.type === 'paused');
    await engine.call('job.cancel', { jobId: job.jobId });
    expect((await log.finished(job.jobId)).status).toBe('cancelled');
    const cancelled = await engine.call('run.get', { projectDir: project, runId: 'ui-resume' });
    expect(cancelled.run.status).toBe('cancelled');
    const doneEpochs = cancelled.metrics.find((m) => m.name === 'loss')?.points.length ?? 0;
    expect(doneEpochs).toBeGreaterThanOrEqual(1);

    const again = await engine.call('job.start', { kind: 'train', params: { projectDir: project, resume: 'ui-resume' } });
    const start = await log.wait('training.progress', again.jobId, (p) => p.type === 'start');
    expect(start).toMatchObject({ runId: 'ui-resume', resumedFrom: { epoch: doneEpochs, step: doneEpochs * 4 } });
    expect((await log.finished(again.jobId)).status).toBe('completed');
    const finished = await engine.call('run.get', { projectDir: project, runId: 'ui-resume' });
    expect(finished.run.status).toBe('completed');
    expect(finished.metrics.find((m) => m.name === 'loss')?.points.map((p) => p.epoch)).toEqual([0, 1, 2]);
  }, 120_000);

  it('pause and resume are refused for kinds that cannot pause', async () => {
    const job = await engine.call('job.start', { kind: 'statistics', params: { projectDir: project } });
    await expect(engine.call('job.pause', { jobId: job.jobId })).rejects.toThrow(/cannot pause/);
    await log.finished(job.jobId);
    await expect(engine.call('job.resume', { jobId: job.jobId })).rejects.toThrow(/cannot resume/);
    expect((await engine.call('job.list', {})).jobs.find((j) => j.jobId === job.jobId)?.status).toBe('completed');
  });
});
