import { describe, expect, it } from 'vitest';
import { cosineWarmupLr, createSchedule, polyLr, ScheduleConfigSchema } from '../../../../main/training/optim/index.ts';

describe('poly (nnU-Net)', () => {
  it.each([
    [0, 0.01],
    [500, 0.01 * 0.5 ** 0.9],
    [999, 0.01 * 0.001 ** 0.9],
    [1000, 0],
  ])('epoch %d of 1000 -> %f', (epoch, lr) => {
    expect(polyLr(0.01, epoch, 1000)).toBeCloseTo(lr, 12);
    expect(createSchedule({ type: 'poly', maxEpochs: 1000 }, 0.01).lrAt(123456, epoch)).toBeCloseTo(lr, 12);
  });
});

describe('cosine with linear warm-up', () => {
  const schedule = createSchedule({ type: 'cosine', totalSteps: 110, warmupSteps: 10, minLr: 0.1 }, 1.1);
  it.each([
    [0, 0.11],
    [4, 0.55],
    [9, 1.1],
    [10, 1.1],
    [60, 0.6],
    [110, 0.1],
    [500, 0.1],
  ])('step %d -> %f', (step, lr) => {
    expect(schedule.lrAt(step, 0)).toBeCloseTo(lr, 12);
  });
  it('without warm-up starts at lr0', () => {
    expect(cosineWarmupLr(2, 0, 100)).toBe(2);
  });
});

describe('ReduceLROnPlateau', () => {
  it('divides the rate after `patience` epochs without relative improvement, then waits `cooldown`', () => {
    const s = createSchedule({ type: 'plateau', mode: 'max', factor: 0.5, patience: 1, threshold: 0.01, cooldown: 1 }, 1);
    const lrs: number[] = [];
    // 0.5 best; 0.504 is < 1% better (bad); 0.5 bad -> reduce; cooldown epoch; then two bad -> reduce.
    for (const metric of [0.5, 0.504, 0.5, 0.5, 0.5, 0.5, 0.6]) {
      s.observe(metric);
      lrs.push(s.lrAt(0, 0));
    }
    expect(lrs).toEqual([1, 1, 0.5, 0.5, 0.5, 0.25, 0.25]);
  });

  it('min mode, minLr floor and state round trip', () => {
    const s = createSchedule({ type: 'plateau', mode: 'min', factor: 0.1, patience: 0, minLr: 0.05 }, 1);
    s.observe(1);
    s.observe(2);
    expect(s.lrAt(0, 0)).toBeCloseTo(0.1, 12);
    const copy = createSchedule({ type: 'plateau', mode: 'min', factor: 0.1, patience: 0, minLr: 0.05 }, 1);
    copy.setState(s.getState());
    copy.observe(3);
    expect(copy.lrAt(0, 0)).toBe(0.05);
    s.observe(Number.NaN);
    expect(s.lrAt(0, 0)).toBeCloseTo(0.1, 12);
  });
});

describe('config', () => {
  it('rejects bad schedules', () => {
    expect(ScheduleConfigSchema.safeParse({ type: 'cosine', totalSteps: 10, warmupSteps: 10 }).success).toBe(false);
    expect(ScheduleConfigSchema.safeParse({ type: 'poly' }).success).toBe(false);
    expect(ScheduleConfigSchema.safeParse({ type: 'plateau', factor: 1 }).success).toBe(false);
    expect(ScheduleConfigSchema.safeParse({ type: 'constant', lr: 1 }).success).toBe(false);
    expect(createSchedule({ type: 'constant' }, 0.3).lrAt(10, 10)).toBe(0.3);
  });
});
