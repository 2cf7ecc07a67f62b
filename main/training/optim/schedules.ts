// Learning-rate schedules. lrAt(step, epoch) is asked before each optimiser step (step counts from 0 over the whole
// run, epoch from 0); ReduceLROnPlateau also observes the validation metric once per epoch.
import { z } from 'zod';

export const ScheduleConfigSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('constant') }),
  /** nnU-Net: lr0 * (1 - epoch / maxEpochs)^exponent. */
  z.strictObject({ type: z.literal('poly'), maxEpochs: z.int().positive(), exponent: z.number().positive().default(0.9) }),
  /** Linear warm-up over warmupSteps, then a half cosine from lr0 down to minLr at totalSteps. */
  z.strictObject({
    type: z.literal('cosine'),
    totalSteps: z.int().positive(),
    warmupSteps: z.int().nonnegative().default(0),
    minLr: z.number().nonnegative().default(0),
  }).refine((c) => c.warmupSteps < c.totalSteps, { message: 'warmupSteps must be below totalSteps' }),
  /** PyTorch's ReduceLROnPlateau with a relative threshold. */
  z.strictObject({
    type: z.literal('plateau'),
    mode: z.enum(['min', 'max']).default('max'),
    factor: z.number().gt(0).lt(1).default(0.1),
    patience: z.int().nonnegative().default(10),
    threshold: z.number().nonnegative().default(1e-4),
    cooldown: z.int().nonnegative().default(0),
    minLr: z.number().nonnegative().default(0),
  }),
]);
export type ScheduleConfig = z.input<typeof ScheduleConfigSchema>;

export interface ScheduleState {
  lr: number;
  best: number | null;
  badEpochs: number;
  cooldownLeft: number;
}

export interface LrSchedule {
  lrAt(step: number, epoch: number): number;
  /** Validation metric at the end of an epoch (used by plateau; ignored by the others). */
  observe(metric: number): void;
  getState(): ScheduleState;
  setState(state: ScheduleState): void;
}

/** nnU-Net's polynomial decay. */
export function polyLr(lr0: number, epoch: number, maxEpochs: number, exponent = 0.9): number {
  return lr0 * Math.max(0, 1 - epoch / maxEpochs) ** exponent;
}

/** Linear warm-up to lr0 (step 0 gives lr0 / warmupSteps), then a half cosine to minLr at totalSteps. */
export function cosineWarmupLr(lr0: number, step: number, totalSteps: number, warmupSteps = 0, minLr = 0): number {
  if (step < warmupSteps) return (lr0 * (step + 1)) / warmupSteps;
  const progress = Math.min(1, (step - warmupSteps) / (totalSteps - warmupSteps));
  return minLr + 0.5 * (lr0 - minLr) * (1 + Math.cos(Math.PI * progress));
}

class StatelessSchedule implements LrSchedule {
  constructor(private readonly rule: (step: number, epoch: number) => number) {}
  lrAt(step: number, epoch: number): number {
    return this.rule(step, epoch);
  }
  observe(): void {}
  getState(): ScheduleState {
    return { lr: Number.NaN, best: null, badEpochs: 0, cooldownLeft: 0 };
  }
  setState(): void {}
}

type PlateauConfig = Extract<z.output<typeof ScheduleConfigSchema>, { type: 'plateau' }>;

export class ReduceLrOnPlateau implements LrSchedule {
  private state: ScheduleState;

  constructor(
    lr0: number,
    private readonly config: PlateauConfig,
  ) {
    this.state = { lr: lr0, best: null, badEpochs: 0, cooldownLeft: 0 };
  }

  lrAt(): number {
    return this.state.lr;
  }

  private improves(metric: number, best: number): boolean {
    const { mode, threshold } = this.config;
    return mode === 'min' ? metric < best * (1 - Math.sign(best) * threshold) : metric > best * (1 + Math.sign(best) * threshold);
  }

  observe(metric: number): void {
    if (!Number.isFinite(metric)) return;
    const s = this.state;
    if (s.best === null || this.improves(metric, s.best)) {
      s.best = metric;
      s.badEpochs = 0;
    } else {
      s.badEpochs++;
    }
    if (s.cooldownLeft > 0) {
      s.cooldownLeft--;
      s.badEpochs = 0;
    }
    if (s.badEpochs > this.config.patience) {
      s.lr = Math.max(this.config.minLr, s.lr * this.config.factor);
      s.cooldownLeft = this.config.cooldown;
      s.badEpochs = 0;
    }
  }

  getState(): ScheduleState {
    return { ...this.state };
  }

  setState(state: ScheduleState): void {
    this.state = { ...state };
  }
}

/** Builds a schedule around the optimiser's base learning rate (validated; a ZodError lists what is wrong). */
export function createSchedule(config: ScheduleConfig, lr0: number): LrSchedule {
  const parsed = ScheduleConfigSchema.parse(config);
  switch (parsed.type) {
    case 'constant':
      return new StatelessSchedule(() => lr0);
    case 'poly':
      return new StatelessSchedule((_step, epoch) => polyLr(lr0, epoch, parsed.maxEpochs, parsed.exponent));
    case 'cosine':
      return new StatelessSchedule((step) => cosineWarmupLr(lr0, step, parsed.totalSteps, parsed.warmupSteps, parsed.minLr));
    case 'plateau':
      return new ReduceLrOnPlateau(lr0, parsed);
  }
}
