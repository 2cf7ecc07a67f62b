import { afterEach, describe, expect, it } from 'vitest';
import { JobManager, jobKinds, registerJobKind, type JobEvent } from '../../../main/services/jobs.ts';
import '../../../main/services/jobKinds/index.ts';
import { InputError } from '../../../main/util/errors.ts';
import { NotFoundError } from '../../../main/services/errors.ts';
import { CountParams } from './fixtures/countJob.ts';

registerJobKind('test.count', CountParams, { module: new URL('./fixtures/countJob.ts', import.meta.url), description: 'counts' });

type Finished = Extract<JobEvent, { event: 'job.finished' }>;

function collect() {
  const events: JobEvent[] = [];
  const waiters: { jobId: string; resolve: (e: Finished) => void }[] = [];
  const emit = (e: JobEvent) => {
    events.push(e);
    if (e.event === 'job.finished') for (const w of waiters.filter((w) => w.jobId === e.payload.jobId)) w.resolve(e);
  };
  const finished = (jobId: string) =>
    new Promise<Finished>((resolve) => {
      const done = events.find((e): e is Finished => e.event === 'job.finished' && e.payload.jobId === jobId);
      if (done) resolve(done);
      else waiters.push({ jobId, resolve });
    });
  return { events, emit, finished };
}

let manager: JobManager | null = null;
afterEach(() => manager?.dispose());

describe('JobManager', () => {
  it('lists the built-in statistics kind and registered kinds', () => {
    expect(jobKinds().map((k) => k.kind)).toEqual(expect.arrayContaining(['statistics', 'test.count']));
  });

  it('runs a job in another process, streams progress in order and completes with the result', async () => {
    const { events, emit, finished } = collect();
    manager = new JobManager(emit);
    const info = manager.start('test.count', { steps: 4, delayMs: 60 });
    expect(info.status).toBe('running');
    const end = await finished(info.jobId);
    expect(end.payload).toMatchObject({ status: 'completed', result: { counted: 4 } });
    const result = (end.payload as { result: { pid: number } }).result;
    expect(result.pid).not.toBe(process.pid);
    const progress = events.filter((e) => e.event === 'job.progress').map((e) => (e.payload as { done: number }).done);
    expect(progress).toEqual([1, 2, 3, 4]);
    expect(manager.get(info.jobId)).toMatchObject({ status: 'completed', done: 4, total: 4 });
  });

  it('completes a job whose runner leaves a timer running', async () => {
    const { emit, finished } = collect();
    manager = new JobManager(emit);
    const info = manager.start('test.count', { steps: 1, delayMs: 1, leakTimer: true });
    expect((await finished(info.jobId)).payload.status).toBe('completed');
  });

  it('cancels a running job cooperatively', async () => {
    const { events, emit, finished } = collect();
    manager = new JobManager(emit);
    const info = manager.start('test.count', { steps: 200, delayMs: 50 });
    // Wait for the first progress so the child is really running.
    while (!events.some((e) => e.event === 'job.progress')) await new Promise((r) => setTimeout(r, 20));
    manager.cancel(info.jobId);
    const end = await finished(info.jobId);
    expect(end.payload.status).toBe('cancelled');
    expect(manager.get(info.jobId).done).toBeLessThan(200);
  });

  it('kills a job that ignores the cancel after the grace period', async () => {
    const { events, emit, finished } = collect();
    manager = new JobManager(emit, { cancelGraceMs: 200 });
    const info = manager.start('test.count', { steps: 1000, delayMs: 50, stubborn: true });
    while (!events.some((e) => e.event === 'job.progress')) await new Promise((r) => setTimeout(r, 20));
    manager.cancel(info.jobId);
    const end = await finished(info.jobId);
    expect(end.payload.status).toBe('cancelled');
  });

  it('reports a failing job with its error', async () => {
    const { emit, finished } = collect();
    manager = new JobManager(emit);
    const info = manager.start('test.count', { steps: 3, delayMs: 1, failAt: 1 });
    const end = await finished(info.jobId);
    expect(end.payload).toMatchObject({ status: 'failed', error: 'failed at step 1' });
  });

  it('queues beyond maxConcurrent and cancels a queued job at once', async () => {
    const { emit, finished } = collect();
    manager = new JobManager(emit, { maxConcurrent: 1 });
    const first = manager.start('test.count', { steps: 2, delayMs: 30 });
    const second = manager.start('test.count', { steps: 1, delayMs: 1 });
    const third = manager.start('test.count', { steps: 1, delayMs: 1 });
    expect(second.status).toBe('queued');
    expect(manager.cancel(third.jobId).status).toBe('cancelled');
    expect((await finished(second.jobId)).payload.status).toBe('completed');
    expect((await finished(first.jobId)).payload.status).toBe('completed');
  });

  it('rejects unknown kinds and bad params before starting anything', () => {
    manager = new JobManager(() => {});
    expect(() => manager!.start('nope', {})).toThrow(NotFoundError);
    try {
      manager.start('test.count', { steps: 'many', delayMs: 1 });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).subject).toBe('params.steps');
    }
    expect(manager.list()).toEqual([]);
    expect(() => manager!.cancel('j9-x')).toThrow(NotFoundError);
  });
});
