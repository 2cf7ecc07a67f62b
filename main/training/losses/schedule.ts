import { z } from 'zod';

/** A term's weight: a constant, a linear ramp between two epochs, or piecewise-constant steps. */
export const WeightScheduleSchema = z.union([
  z.number().nonnegative(),
  z.strictObject({
    schedule: z.literal('linear'),
    from: z.number().nonnegative(),
    to: z.number().nonnegative(),
    startEpoch: z.int().nonnegative(),
    endEpoch: z.int().nonnegative(),
  }).refine((s) => s.endEpoch >= s.startEpoch, { message: 'endEpoch must be >= startEpoch' }),
  z.strictObject({
    schedule: z.literal('steps'),
    /** [epoch, weight] pairs: the weight from that epoch on; before the first, the first weight. */
    steps: z.array(z.tuple([z.int().nonnegative(), z.number().nonnegative()])).min(1),
  }),
]);
export type WeightSchedule = z.infer<typeof WeightScheduleSchema>;

/** The weight a schedule gives at an epoch (0-based). */
export function weightAt(schedule: WeightSchedule, epoch: number): number {
  if (typeof schedule === 'number') return schedule;
  if (schedule.schedule === 'linear') {
    if (epoch <= schedule.startEpoch) return schedule.from;
    if (epoch >= schedule.endEpoch) return schedule.to;
    const t = (epoch - schedule.startEpoch) / (schedule.endEpoch - schedule.startEpoch);
    return schedule.from + t * (schedule.to - schedule.from);
  }
  const steps = [...schedule.steps].sort((a, b) => a[0] - b[0]);
  let weight = steps[0][1];
  for (const [from, w] of steps) if (epoch >= from) weight = w;
  return weight;
}
