/**
 * Batch sources for the training loop. `InlineBatchSource` makes batches on the calling thread (tests, debugging);
 * `WorkerBatchSource` runs a batch worker (batch-worker.ts) and keeps `depth` batches requested ahead, so the next
 * batch is usually ready when a step ends.
 */
import type { Worker } from 'node:worker_threads';
import { tsWorker } from '../runs/tsx.ts';
import type { Batch, BatchMaker } from './batches.ts';
import type { WorkerReply, WorkerRequest } from './batch-worker.ts';
import type { PatchDraw } from './sampler.ts';

export interface BatchSource {
  /** The batch of (epoch, step); steps are requested in order. */
  get(epoch: number, step: number): Promise<Batch>;
  /** Losses of a batch's patches, for hard-example mining. */
  report(draws: PatchDraw[], losses: number[]): void;
  samplerState(): Promise<ReturnType<BatchMaker['sampler']['getState']>>;
  close(): Promise<void>;
}

export class InlineBatchSource implements BatchSource {
  constructor(private readonly maker: BatchMaker) {}
  async get(epoch: number, step: number): Promise<Batch> {
    return this.maker.make(epoch, step);
  }
  report(draws: PatchDraw[], losses: number[]): void {
    draws.forEach((d, i) => this.maker.sampler.report(d, losses[i]));
  }
  async samplerState(): Promise<ReturnType<BatchMaker['sampler']['getState']>> {
    return this.maker.sampler.getState();
  }
  async close(): Promise<void> {}
}

type Pending = { resolve: (b: Batch) => void; reject: (e: Error) => void; promise: Promise<Batch> };

export class WorkerBatchSource implements BatchSource {
  private readonly worker: Worker;
  private readonly pending = new Map<string, Pending>();
  private stateWaiter: ((s: ReturnType<BatchMaker['sampler']['getState']>) => void) | null = null;
  private failure: Error | null = null;

  private constructor(
    private readonly stepsPerEpoch: number,
    private readonly depth: number,
  ) {
    this.worker = tsWorker(new URL('./batch-worker.ts', import.meta.url));
    this.worker.on('error', (error) => this.fail(error));
  }

  /** Starts the worker and waits until it has loaded its cases. */
  static async start(init: Extract<WorkerRequest, { type: 'init' }>, stepsPerEpoch: number, depth = 2): Promise<WorkerBatchSource> {
    const source = new WorkerBatchSource(stepsPerEpoch, depth);
    await new Promise<void>((resolve, reject) => {
      source.worker.on('message', (reply: WorkerReply) => {
        if (reply.type === 'ready') resolve();
        else if (reply.type === 'error') {
          reject(new Error(reply.message));
          source.fail(new Error(reply.message));
        } else source.onReply(reply);
      });
      source.worker.once('error', reject);
      source.worker.postMessage(init satisfies WorkerRequest);
    });
    return source;
  }

  private fail(error: Error): void {
    this.failure = error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  private onReply(reply: WorkerReply): void {
    if (reply.type === 'batch') {
      const key = `${reply.epoch}:${reply.step}`;
      this.pending.get(key)?.resolve({ epoch: reply.epoch, step: reply.step, imageShape: reply.imageShape, image: reply.image, label: reply.label, draws: reply.draws });
    } else if (reply.type === 'state') {
      this.stateWaiter?.(reply.state);
      this.stateWaiter = null;
    }
  }

  private request(epoch: number, step: number): Pending {
    const key = `${epoch}:${step}`;
    let p = this.pending.get(key);
    if (!p) {
      let resolve!: (b: Batch) => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<Batch>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      p = { resolve, reject, promise };
      this.pending.set(key, p);
      this.worker.postMessage({ type: 'make', epoch, step } satisfies WorkerRequest);
    }
    return p;
  }

  async get(epoch: number, step: number): Promise<Batch> {
    if (this.failure) throw this.failure;
    const p = this.request(epoch, step);
    // Keep `depth` batches in flight beyond this one.
    let e = epoch;
    let s = step;
    for (let i = 0; i < this.depth; i++) {
      s++;
      if (s >= this.stepsPerEpoch) {
        s = 0;
        e++;
      }
      this.request(e, s);
    }
    const batch = await p.promise;
    this.pending.delete(`${epoch}:${step}`);
    return batch;
  }

  report(draws: PatchDraw[], losses: number[]): void {
    this.worker.postMessage({ type: 'report', draws, losses } satisfies WorkerRequest);
  }

  samplerState(): Promise<ReturnType<BatchMaker['sampler']['getState']>> {
    return new Promise((resolve) => {
      this.stateWaiter = resolve;
      this.worker.postMessage({ type: 'state' } satisfies WorkerRequest);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
