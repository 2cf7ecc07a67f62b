// The training store against a fake engine: live events fill a run's curves, a replayed job.state (what the web
// client sends after a reconnect) refills them from run.get without doubling, the config is checked after a pause
// in typing and Start is refused while it has problems.
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { EngineApi } from '../../../../ipc/api.ts';
import type { EngineEvent, MethodName, ProjectSummary } from '../../../../ipc/contract.ts';

import { setEngine } from '../../../../renderer/src/data/engine.ts';
import { useProjectStore } from '../../../../renderer/src/stores/project.ts';
import { useTrainingStore, VALIDATE_DEBOUNCE_MS } from '../../../../renderer/src/stores/training.ts';

let listeners: ((e: EngineEvent) => void)[];
let calls: { method: MethodName; params: unknown }[];
const replies: Partial<Record<MethodName, (params: never) => unknown>> = {};

const fake: EngineApi = {
  request: (async (method: MethodName, params: unknown) => {
    calls.push({ method, params });
    const reply = replies[method];
    if (!reply) throw new Error(`unexpected ${method}`);
    return reply(params as never);
  }) as EngineApi['request'],
  onEvent(listener) {
    listeners.push(listener);
    return () => (listeners = listeners.filter((l) => l !== listener));
  },
  fetchSlice: () => Promise.reject(new Error('no slices')),
  fetchLevel: () => Promise.reject(new Error('no levels')),
};
const send = (e: EngineEvent) => listeners.forEach((l) => l(e));

beforeEach(() => {
  listeners = [];
  calls = [];
  setEngine(fake);
  setActivePinia(createPinia());
  useProjectStore().project = { dir: '/p', name: 'p', created: '', schemaVersion: 2, appVersion: '0', caseCount: 1, classes: [] } satisfies ProjectSummary;
  replies['run.list'] = () => ({ runs: [] });
  replies['run.get'] = () => ({
    run: { id: 'r1', fold: 0, status: 'running', backend: 'cpu', seed: 1, configHash: 'h', datasetHash: 'd', folder: 'runs/r1', created: '', updated: '', message: '' },
    config: { epochs: 3 },
    metrics: [{ name: 'loss', points: [{ epoch: 0, step: 4, value: 0.9 }, { epoch: 1, step: 8, value: 0.7 }] }],
  });
});

const step = (n: number) => ({
  type: 'step' as const, jobId: 'j1', runId: 'r1', epoch: 0, step: n, totalSteps: 12, stepInEpoch: n, stepsPerEpoch: 4,
  loss: 1 / n, terms: { ce: 0.5 }, lr: 0.01, gradNorm: 1, voxelsPerSecond: 10, etaSeconds: 5, memoryBytes: 1,
});

describe('training store', () => {
  it('keeps live curves per run and refills them after a reconnect without doubling', async () => {
    const training = useTrainingStore();
    const off = training.listen();
    send({ event: 'training.progress', payload: step(1) });
    send({ event: 'training.progress', payload: { type: 'epoch', jobId: 'j1', runId: 'r1', epoch: 0, step: 4, metrics: { loss: 0.9 }, valDice: null, valDiceMean: null, best: false, seconds: 1 } });
    send({ event: 'training.progress', payload: { type: 'samples', jobId: 'j1', runId: 'r1', epoch: 0, step: 4, files: ['val-c.png'], cases: ['c'] } });
    expect(training.curves.r1['step:loss']).toEqual([{ x: 1, y: 1 }]);
    expect(training.live.r1.samples).toEqual({ files: ['val-c.png'], cases: ['c'], epoch: 0, step: 4 });
    // The web client replays a job.state per live job after reconnecting.
    send({ event: 'job.state', payload: { jobId: 'j1', kind: 'train', status: 'running', done: 8, total: 12, message: '', started: '', runId: 'r1' } });
    await vi.waitFor(() => expect(training.curves.r1.loss).toHaveLength(2));
    expect(training.curves.r1.loss).toEqual([{ x: 4, y: 0.9 }, { x: 8, y: 0.7 }]);
    expect(training.configs.r1).toEqual({ epochs: 3 });
    expect(calls.filter((c) => c.method === 'run.get')).toEqual([{ method: 'run.get', params: { projectDir: '/p', runId: 'r1' } }]);
    off();
  });

  it('checks the config after a pause in typing and refuses Start while it has problems', async () => {
    vi.useFakeTimers();
    try {
      replies['training.validateConfig'] = (p: { config: { optimizer?: { lr?: number } } }) => {
        const lr = p.config.optimizer?.lr ?? 1;
        return lr > 0 ? { ok: true, config: p.config, issues: [] } : { ok: false, config: null, issues: [{ field: 'optimizer.lr', problem: `must be > 0, got ${lr}` }] };
      };
      const training = useTrainingStore();
      training.form = { kind: 'object', path: '', key: '', required: true, fields: [] };
      training.setConfig({ optimizer: { type: 'adam', lr: -1 } });
      training.setConfig({ optimizer: { type: 'adam', lr: -2 } });
      expect(training.validating).toBe(true);
      expect(training.canStart).toBe(false);
      await vi.advanceTimersByTimeAsync(VALIDATE_DEBOUNCE_MS + 10);
      // One check for the two quick edits, of the last value.
      expect(calls.filter((c) => c.method === 'training.validateConfig')).toHaveLength(1);
      expect(training.issues).toEqual([{ field: 'optimizer.lr', problem: 'must be > 0, got -2' }]);
      await training.start();
      expect(training.error).toBe('config.optimizer.lr: must be > 0, got -2');
      expect(calls.some((c) => c.method === 'job.start')).toBe(false);

      training.setConfig({ optimizer: { type: 'adam', lr: 0.01 } });
      await vi.advanceTimersByTimeAsync(VALIDATE_DEBOUNCE_MS + 10);
      expect(training.issues).toEqual([]);
      expect(training.canStart).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
