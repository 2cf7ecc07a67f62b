/**
 * Worker thread that loads the training cases and makes batches ahead of the training loop, so the backend never
 * waits for I/O, patch cutting or augmentation. Batches travel back as transferred ArrayBuffers (no copies).
 */
import { parentPort } from 'node:worker_threads';
import type { DomainStatistics, NormalizationHint } from '../../dataset/types.ts';
import { createNormalizer, type NormalizationConfigInput } from '../transforms/normalize.ts';
import { BatchMaker, type BatchMakerOptions } from './batches.ts';
import { loadCase, type LoadedCase } from './cases.ts';
import type { TrainingCaseRef } from './project.ts';
import type { PatchDraw } from './sampler.ts';

export type WorkerRequest =
  | {
      type: 'init';
      refs: TrainingCaseRef[];
      classCount: number;
      normalization: NormalizationConfigInput;
      statistics: DomainStatistics[];
      hints: Record<string, NormalizationHint>;
      options: BatchMakerOptions;
      samplerState?: ReturnType<BatchMaker['sampler']['getState']>;
    }
  | { type: 'make'; epoch: number; step: number }
  | { type: 'report'; draws: PatchDraw[]; losses: number[] }
  | { type: 'state' };

export type WorkerReply =
  | { type: 'ready'; cases: number }
  | { type: 'batch'; epoch: number; step: number; imageShape: number[]; image: Float32Array; label: Uint8Array; draws: PatchDraw[] }
  | { type: 'state'; state: ReturnType<BatchMaker['sampler']['getState']> }
  | { type: 'error'; message: string };

const port = parentPort;
if (port) {
  let maker: BatchMaker | null = null;
  port.on('message', (message: WorkerRequest) => {
    void (async () => {
      try {
        if (message.type === 'init') {
          const normalizer = createNormalizer(message.normalization, message.statistics, message.hints);
          const cases: LoadedCase[] = [];
          for (const ref of message.refs) cases.push(await loadCase(ref, normalizer, message.classCount));
          maker = new BatchMaker(cases, message.options);
          if (message.samplerState) maker.sampler.setState(message.samplerState);
          port.postMessage({ type: 'ready', cases: cases.length } satisfies WorkerReply);
        } else if (message.type === 'make') {
          if (!maker) throw new Error('batch worker: make before init');
          const b = maker.make(message.epoch, message.step);
          port.postMessage({ type: 'batch', ...b } satisfies WorkerReply, [b.image.buffer as ArrayBuffer, b.label.buffer as ArrayBuffer]);
        } else if (message.type === 'report') {
          message.draws.forEach((d, i) => maker?.sampler.report(d, message.losses[i]));
        } else if (message.type === 'state') {
          if (maker) port.postMessage({ type: 'state', state: maker.sampler.getState() } satisfies WorkerReply);
        }
      } catch (error) {
        port.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) } satisfies WorkerReply);
      }
    })();
  });
}
