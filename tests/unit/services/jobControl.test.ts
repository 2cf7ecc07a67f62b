// JobManager pause / resume / cancel of pausable kinds, job.state events, and runner events checked against the contract.
import { afterEach, describe, expect, it } from 'vitest';
import { JobManager, jobKinds, registerJobKind, type JobEvent } from '../../../main/services/jobs.ts';
import { CountParams } from './fixtures/countJob.ts';
import { PausableParams } from './fixtures/pausableJob.ts';

registerJobKind('test.pausable', PausableParams, { module: new URL('./fixtures/pausableJob.ts', import.meta.url), pausable: true, description: 'pausable counter' });
registerJobKind('test.count', CountParams, { module: new URL('./fixtures/countJob.ts', import.meta.url) });

let manager: JobManager | null = null;
afterEach(() => manager?.dispose());

function setup() {
  const events: JobEvent[] = [];
  manager = new JobManager((e) => events.push(e));
  const steps = (jobId: string) => events.filter((e) => e.event === 'training.progress' && e.payload.jobId === jobId).length;
  const until = async (test: () => boolean) => {
    const deadline = Date.now() + 20_000;
    while (!test()) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { events, manager, steps, until };
}

describe('pausable jobs', () => {
  it('reports which kinds can pause', () => {
    const kinds = jobKinds();
    expect(kinds.find((k) => k.kind === 'test.pausable')?.pausable).toBe(true);
    expect(kinds.find((k) => k.kind === 'test.count')?.pausable).toBe(false);
  });

  it('pauses between steps, resumes, and completes; job.state follows every change', async () => {
    const { events, manager, steps, until } = setup();
    const job = manager.start('test.pausable', { steps: 30, delayMs: 30 });
    await until(() => steps(job.jobId) >= 2);
    expect(manager.pause(job.jobId).status).toBe('paused');
    expect(manager.pause(job.jobId).status).toBe('paused'); // idempotent
    await new Promise((r) => setTimeout(r, 150)); // a step in flight may still land
    const held = steps(job.jobId);
    await new Promise((r) => setTimeout(r, 400));
    expect(steps(job.jobId)).toBe(held);
    expect(manager.get(job.jobId).status).toBe('paused');
    expect(manager.resume(job.jobId).status).toBe('running');
    await until(() => manager.get(job.jobId).status === 'completed');
    expect(steps(job.jobId)).toBe(30);
    const states = events.flatMap((e) => (e.event === 'job.state' && e.payload.jobId === job.jobId ? [e.payload.status] : []));
    expect(states).toEqual(['running', 'paused', 'running']);
    // The malformed event was dropped; the valid ones carry the job id and set the job's run id.
    const first = events.find((e) => e.event === 'training.progress');
    expect(first?.payload).toMatchObject({ jobId: job.jobId, type: 'step', step: 1 });
    expect(manager.get(job.jobId).runId).toBe('fixture');
    expect(() => manager.resume(job.jobId)).toThrow(/only a paused job can be resumed/);
    expect(() => manager.pause(job.jobId)).toThrow(/only a running job can be paused/);
  });

  it('cancels a paused job', async () => {
    const { events, manager, steps, until } = setup();
    const job = manager.start('test.pausable', { steps: 100, delayMs: 30 });
    await until(() => steps(job.jobId) >= 1);
    manager.pause(job.jobId);
    await new Promise((r) => setTimeout(r, 100));
    manager.cancel(job.jobId);
    await until(() => events.some((e) => e.event === 'job.finished' && e.payload.jobId === job.jobId));
    expect(manager.get(job.jobId)).toMatchObject({ status: 'cancelled' });
    expect(steps(job.jobId)).toBeLessThan(100);
  });

  it('refuses to pause a kind that cannot', async () => {
    const { manager, until } = setup();
    const job = manager.start('test.count', { steps: 3, delayMs: 10 });
    expect(() => manager.pause(job.jobId)).toThrow(/cannot pause/);
    await until(() => manager.get(job.jobId).status === 'completed');
  });
});
