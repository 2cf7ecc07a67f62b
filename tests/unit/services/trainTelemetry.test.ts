// The train job kind's telemetry: trainer events to contract payloads (non-finite numbers to null) and the step throttle.
import { describe, expect, it } from 'vitest';
import { EVENTS } from '../../../ipc/contract.ts';
import { StepThrottle, trainingPayload } from '../../../main/services/jobKinds/train.ts';
import type { TrainingEvent } from '../../../main/training/runs/events.ts';

const step = (n: number): TrainingEvent => ({
  type: 'step',
  runId: 'r',
  epoch: 0,
  step: n,
  stepInEpoch: n,
  stepsPerEpoch: 10,
  loss: 1 / n,
  terms: { ce: 0.5, dice: Number.NaN },
  lr: 0.01,
  gradNorm: Number.NaN,
  voxelsPerSecond: Number.POSITIVE_INFINITY,
  etaSeconds: 3,
  memoryBytes: 1e8,
});

describe('trainingPayload', () => {
  it('maps a step with non-finite numbers to nulls that pass the contract', () => {
    const payload = trainingPayload(step(2), 20);
    expect(payload).toMatchObject({ type: 'step', step: 2, totalSteps: 20, loss: 0.5, terms: { ce: 0.5, dice: null }, gradNorm: null, voxelsPerSecond: null });
    expect(EVENTS['training.progress'].safeParse({ ...payload, jobId: 'j1' }).success).toBe(true);
    // Through JSON (as over the socket) it is the same.
    expect(JSON.parse(JSON.stringify(payload))).toEqual(payload);
  });

  it('maps an epoch and the end; an error event has no payload (it becomes the job failure)', () => {
    const epoch = trainingPayload({ type: 'epoch', runId: 'r', epoch: 1, step: 20, metrics: { loss: 0.3, val_dice_mean: Number.NaN }, valDice: { bg: 0.9, pore: Number.NaN }, valDiceMean: null, best: false, seconds: 2 }, 20);
    expect(epoch).toEqual({ type: 'epoch', runId: 'r', epoch: 1, step: 20, metrics: { loss: 0.3, val_dice_mean: null }, valDice: { bg: 0.9, pore: null }, valDiceMean: null, best: false, seconds: 2 });
    const end = trainingPayload({ type: 'end', runId: 'r', status: 'completed', epoch: 2, step: 20, bestDice: null, bestEpoch: null, seconds: 5, steps: 20 }, 20);
    expect(EVENTS['training.progress'].safeParse({ ...end, jobId: 'j1' }).success).toBe(true);
    expect(trainingPayload({ type: 'error', runId: 'r', message: 'boom' }, 20)).toBeNull();
  });
});

describe('StepThrottle', () => {
  it.each([
    // [steps per second, step times ms, steps sent]
    [10, [0, 50, 99, 100, 150, 250], [1, 4, 6]],
    [1000, [0, 1, 2, 3], [1, 2, 3, 4]],
    [2, [0, 100, 600], [1, 3]],
  ])('at %i/s with steps at %j sends steps %j', (rate, times, sent) => {
    const out: number[] = [];
    const throttle = new StepThrottle(rate, (p) => p.type === 'step' && out.push(p.step));
    times.forEach((t, i) => throttle.push(trainingPayload(step(i + 1), 10)!, t));
    expect(out).toEqual(sent);
  });

  it('sends a held-back step before the next event of another type, so the epoch end follows its last step', () => {
    const out: string[] = [];
    const throttle = new StepThrottle(10, (p) => out.push(p.type === 'step' ? `step ${p.step}` : p.type));
    throttle.push(trainingPayload(step(1), 10)!, 0);
    throttle.push(trainingPayload(step(2), 10)!, 10);
    throttle.push(trainingPayload(step(3), 10)!, 20);
    throttle.push(trainingPayload({ type: 'checkpoint', runId: 'r', kind: 'last', epoch: 1, step: 3, folder: '/x' }, 10)!, 30);
    throttle.flush();
    expect(out).toEqual(['step 1', 'step 3', 'checkpoint']);
  });
});
