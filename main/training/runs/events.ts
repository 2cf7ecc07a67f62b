/** Progress events of a training run (what the CLI prints, the app shows, and events.jsonl records). */
import type { BackendReport } from '../backend/index.ts';

export type TrainingEvent =
  | {
      type: 'start';
      runId: string;
      folder: string;
      fold: number;
      backend: BackendReport;
      batchSize: number;
      memoryBudget: { freeBytes: number; budgetBytes: number; perSampleBytes: number; auto: boolean };
      parameters: number;
      trainCases: string[];
      valCases: string[];
      resumedFrom: { epoch: number; step: number } | null;
      epochs: number;
      stepsPerEpoch: number;
    }
  | {
      type: 'step';
      runId: string;
      epoch: number;
      /** Steps done over the whole run. */
      step: number;
      stepInEpoch: number;
      stepsPerEpoch: number;
      loss: number;
      /** Every loss term, unweighted. */
      terms: Record<string, number>;
      lr: number;
      gradNorm: number;
      voxelsPerSecond: number;
      etaSeconds: number;
      memoryBytes: number;
    }
  | {
      type: 'epoch';
      runId: string;
      epoch: number;
      step: number;
      /** Epoch means of the loss terms, lr, voxels/s, memory, validation Dice per class. */
      metrics: Record<string, number>;
      valDice: Record<string, number> | null;
      valDiceMean: number | null;
      best: boolean;
      seconds: number;
    }
  /** Sample pictures of the validation just done, written into the run folder's samples/ (see samples.ts). */
  | { type: 'samples'; runId: string; epoch: number; step: number; files: string[]; cases: string[] }
  | { type: 'checkpoint'; runId: string; kind: 'last' | 'best'; epoch: number; step: number; folder: string }
  | { type: 'paused' | 'resumed'; runId: string; epoch: number; step: number }
  | {
      type: 'end';
      runId: string;
      status: 'completed' | 'cancelled' | 'stopped-early' | 'time-limit';
      epoch: number;
      step: number;
      bestDice: number | null;
      bestEpoch: number | null;
      seconds: number;
      steps: number;
    }
  | { type: 'error'; runId: string; message: string };
