/**
 * Background jobs: each job runs in its own child process (a Node process running `jobWorker.ts` through tsx), so a
 * long computation never blocks the engine's event loop and cancelling can always stop it (a cooperative abort
 * first, then a kill after a grace period).
 *
 * ## Adding a job kind (training, inference, ...)
 *
 *     // main/training/job.ts
 *     export const TrainParams = z.strictObject({ projectDir: z.string(), epochs: z.number().int().min(1) });
 *     export async function runTraining(params: z.infer<typeof TrainParams>, job: JobContext): Promise<unknown> {
 *       for (let epoch = 0; epoch < params.epochs; epoch++) {
 *         job.signal.throwIfAborted();            // cancel -> AbortError; the job ends as 'cancelled'
 *         ...
 *         job.progress(epoch + 1, params.epochs, `epoch ${epoch + 1}`);
 *       }
 *       return { runId };                          // JSON-serialisable; becomes JobInfo.result
 *     }
 *
 *     // registered once at start-up, e.g. from main/services/jobKinds/index.ts:
 *     registerJobKind('train', TrainParams, { module: new URL('../../training/job.ts', import.meta.url), export: 'runTraining',
 *       description: 'train a model on a project' });
 *
 * The runner is named by module and export (not passed as a function) because it runs in the child process. Params are
 * validated in the engine with the schema (a bad field is an input_error naming `params.<field>`) and again in the child.
 *
 * Options of registerJobKind beyond that (see main/services/jobKinds/index.ts, kind 'train'):
 * - `pausable: true`: the runner waits while `job.control.paused` (await `job.control.changed()`), so job.pause and
 *   job.resume apply; the job's status is 'paused' meanwhile and a cancel still works;
 * - `cancelGraceMs`: more time before a cancelled job is killed, for runners that only check between long steps;
 * - `precheck`: async checks in the engine before the job is queued (e.g. a training config), as input errors.
 * A runner may also send contract events of its own with `job.emit('training.progress', payload)`: the engine adds
 * the jobId, drops a payload that does not match the contract, and records a `runId` it carries in the JobInfo.
 * Status changes other than the end are broadcast as 'job.state' events (the full JobInfo).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { z } from 'zod';
import { EVENTS, type JobInfo, type JobKindInfo, type PayloadOf } from '../../ipc/contract.ts';
import { InputError } from '../util/errors.ts';
import { NotFoundError } from './errors.ts';

/** What a runner gets besides its params. */
export interface JobContext {
  /** Reports progress; cheap to call often (the child forwards at most ~20 updates a second). */
  progress(done: number, total: number, message?: string): void;
  /** Aborted when the job is cancelled; check it between steps. */
  signal: AbortSignal;
  /** Pause requests (job.pause / job.resume) for kinds registered with `pausable: true`. */
  control: JobControl;
  /**
   * Sends a contract event of the job's own (e.g. 'training.progress'); the engine adds `jobId` and checks the payload
   * against the contract before broadcasting it. Not throttled: the runner keeps the rate sensible.
   */
  emit<E extends JobDetailEvent>(event: E, payload: JobEventPayload<E>): void;
}

/** A job event's payload without the jobId the engine adds (distributed over union payloads). */
export type JobEventPayload<E extends JobDetailEvent> = PayloadOf<E> extends infer P ? (P extends unknown ? Omit<P, 'jobId'> : never) : never;

/** Events a job may emit through JobContext.emit. */
export type JobDetailEvent = 'training.progress';

export interface JobControl {
  readonly paused: boolean;
  /** Resolves at the next pause, resume or cancel. */
  changed(): Promise<void>;
}

export type JobRunner<P> = (params: P, job: JobContext) => Promise<unknown>;

export interface JobRunnerRef {
  /** File URL (or absolute path) of the module exporting the runner. */
  module: URL | string;
  /** Export name (default 'run'). */
  export?: string;
  description?: string;
  /** The runner obeys JobContext.control, so job.pause / job.resume apply (default false). */
  pausable?: boolean;
  /** Time a cancelled job of this kind gets to stop by itself before it is killed (ms; default: the manager's). */
  cancelGraceMs?: number;
  /**
   * Checks in the engine that need more than the params schema (e.g. a training config), run by `startChecked`
   * before the job is queued; throw an InputError naming `params.<field>`.
   */
  precheck?: (params: never) => Promise<void>;
}

interface JobKind {
  kind: string;
  params: z.ZodType;
  module: string;
  exportName: string;
  description: string;
  pausable: boolean;
  cancelGraceMs: number | undefined;
  precheck: ((params: unknown) => Promise<void>) | undefined;
}

const KINDS = new Map<string, JobKind>();

/** Registers (or replaces) a job kind; see the module comment. */
export function registerJobKind<P>(kind: string, paramsSchema: z.ZodType<P>, runner: JobRunnerRef): void {
  const module = runner.module instanceof URL ? runner.module.href : runner.module.startsWith('file:') ? runner.module : new URL(`file://${runner.module}`).href;
  KINDS.set(kind, {
    kind,
    params: paramsSchema,
    module,
    exportName: runner.export ?? 'run',
    description: runner.description ?? kind,
    pausable: runner.pausable ?? false,
    cancelGraceMs: runner.cancelGraceMs,
    precheck: runner.precheck as ((params: unknown) => Promise<void>) | undefined,
  });
}

export function jobKinds(): JobKindInfo[] {
  return [...KINDS.values()].map((k) => ({ kind: k.kind, description: k.description, pausable: k.pausable })).sort((a, b) => a.kind.localeCompare(b.kind));
}

/** Messages between the engine and a job's child process. */
export type ToWorker = { type: 'run'; module: string; exportName: string; params: unknown } | { type: 'cancel' } | { type: 'pause' } | { type: 'resume' };
export type FromWorker =
  | { type: 'progress'; done: number; total: number; message: string }
  | { type: 'event'; event: JobDetailEvent; payload: unknown }
  | { type: 'result'; result: unknown }
  | { type: 'error'; message: string; cancelled: boolean };

export type JobEvent =
  | { event: 'job.progress'; payload: PayloadOf<'job.progress'> }
  | { event: 'job.finished'; payload: PayloadOf<'job.finished'> }
  | { event: 'job.state'; payload: PayloadOf<'job.state'> }
  | { event: 'training.progress'; payload: PayloadOf<'training.progress'> };

export interface JobManagerOptions {
  /** Jobs running at once; more wait as 'queued' (default 2). */
  maxConcurrent?: number;
  /** Time a cancelled job gets to stop by itself before it is killed (ms, default 2000). */
  cancelGraceMs?: number;
  /** Node options of the child (default: load tsx so the worker and runners can be TypeScript). */
  execArgv?: string[];
}

interface JobState {
  info: JobInfo;
  kind: JobKind;
  params: unknown;
  child: ChildProcess | null;
  startedMs: number;
  cancelRequested: boolean;
  killTimer: NodeJS.Timeout | null;
}

const WORKER_FILE = fileURLToPath(new URL('./jobWorker.ts', import.meta.url));

/** tsx's loader by absolute URL, so the child finds it whatever its working directory. */
function defaultExecArgv(): string[] {
  return ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href];
}

export class JobManager {
  readonly #jobs = new Map<string, JobState>();
  readonly #emit: (event: JobEvent) => void;
  readonly #maxConcurrent: number;
  readonly #grace: number;
  readonly #execArgv: string[];
  #counter = 0;

  constructor(emit: (event: JobEvent) => void, options: JobManagerOptions = {}) {
    this.#emit = emit;
    this.#maxConcurrent = options.maxConcurrent ?? 2;
    this.#grace = options.cancelGraceMs ?? 2000;
    this.#execArgv = options.execArgv ?? defaultExecArgv();
  }

  /** `start` after the kind's precheck (what the engine's job.start does). */
  async startChecked(kindName: string, rawParams: unknown): Promise<JobInfo> {
    const { kind, params } = this.#checkParams(kindName, rawParams);
    if (kind.precheck) await kind.precheck(params);
    return this.start(kindName, rawParams);
  }

  #checkParams(kindName: string, rawParams: unknown): { kind: JobKind; params: unknown } {
    const kind = KINDS.get(kindName);
    if (!kind) throw new NotFoundError('kind', `no job kind '${kindName}' (known: ${[...KINDS.keys()].join(', ') || 'none'})`);
    const parsed = kind.params.safeParse(rawParams);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InputError(['params', ...(issue?.path ?? []).map(String)].join('.'), issue?.message ?? 'invalid');
    }
    return { kind, params: parsed.data };
  }

  start(kindName: string, rawParams: unknown): JobInfo {
    const { kind, params } = this.#checkParams(kindName, rawParams);
    const jobId = `j${++this.#counter}-${randomBytes(3).toString('hex')}`;
    const state: JobState = {
      info: { jobId, kind: kind.kind, status: 'queued', done: 0, total: 0, message: 'queued', started: new Date().toISOString() },
      kind,
      params,
      child: null,
      startedMs: Date.now(),
      cancelRequested: false,
      killTimer: null,
    };
    this.#jobs.set(jobId, state);
    this.#pump();
    return { ...state.info };
  }

  get(jobId: string): JobInfo {
    const state = this.#jobs.get(jobId);
    if (!state) throw new NotFoundError('jobId', `no job with id '${jobId}'`);
    return { ...state.info };
  }

  list(): JobInfo[] {
    return [...this.#jobs.values()].map((s) => ({ ...s.info }));
  }

  /** Asks a job to stop; a queued job is cancelled at once. Returns its state (unchanged when it already ended). */
  cancel(jobId: string): JobInfo {
    const state = this.#jobs.get(jobId);
    if (!state) throw new NotFoundError('jobId', `no job with id '${jobId}'`);
    if (state.info.status === 'queued') {
      this.#finish(state, 'cancelled');
    } else if (state.info.status === 'running' && !state.cancelRequested) {
      state.cancelRequested = true;
      state.info.message = 'cancelling';
      const child = state.child;
      if (child?.connected) child.send({ type: 'cancel' } satisfies ToWorker);
      state.killTimer = setTimeout(() => child?.kill('SIGKILL'), state.kind.cancelGraceMs ?? this.#grace);
    } else if (state.info.status === 'paused' && !state.cancelRequested) {
      // A paused runner waits on its control, which a cancel wakes.
      state.info.status = 'running';
      return this.cancel(jobId);
    }
    return { ...state.info };
  }

  /** Pauses a running job of a pausable kind; the runner stops at its next step and keeps its state. */
  pause(jobId: string): JobInfo {
    const state = this.#controllable(jobId, 'pause');
    if (state.info.status === 'running' && !state.cancelRequested) {
      state.child?.send({ type: 'pause' } satisfies ToWorker);
      state.info.status = 'paused';
      state.info.message = 'paused';
      this.#emit({ event: 'job.state', payload: { ...state.info } });
    } else if (state.info.status !== 'paused') {
      throw new InputError('jobId', `job ${jobId} is ${state.info.status}; only a running job can be paused`);
    }
    return { ...state.info };
  }

  resume(jobId: string): JobInfo {
    const state = this.#controllable(jobId, 'resume');
    if (state.info.status === 'paused') {
      state.child?.send({ type: 'resume' } satisfies ToWorker);
      state.info.status = 'running';
      state.info.message = 'resumed';
      this.#emit({ event: 'job.state', payload: { ...state.info } });
    } else if (state.info.status !== 'running') {
      throw new InputError('jobId', `job ${jobId} is ${state.info.status}; only a paused job can be resumed`);
    }
    return { ...state.info };
  }

  #controllable(jobId: string, action: string): JobState {
    const state = this.#jobs.get(jobId);
    if (!state) throw new NotFoundError('jobId', `no job with id '${jobId}'`);
    if (!state.kind.pausable) throw new InputError('jobId', `jobs of kind '${state.kind.kind}' cannot ${action}`);
    return state;
  }

  /** Kills every running job (engine shutdown). */
  dispose(): void {
    for (const state of this.#jobs.values()) {
      if (state.info.status === 'queued' || state.info.status === 'running' || state.info.status === 'paused') {
        state.cancelRequested = true;
        state.child?.kill('SIGKILL');
        if (state.info.status === 'queued') this.#finish(state, 'cancelled');
      }
    }
  }

  #pump(): void {
    const running = [...this.#jobs.values()].filter((s) => s.info.status === 'running' || s.info.status === 'paused').length;
    let free = this.#maxConcurrent - running;
    for (const state of this.#jobs.values()) {
      if (free <= 0) break;
      if (state.info.status !== 'queued') continue;
      free--;
      this.#launch(state);
    }
  }

  #launch(state: JobState): void {
    state.info.status = 'running';
    state.info.message = 'starting';
    state.startedMs = Date.now();
    const child = fork(WORKER_FILE, [], {
      execArgv: this.#execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // Inside Electron, process.execPath is the Electron binary: make it behave as Node.
      env: { ...process.env, ...(process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {}) },
    });
    state.child = child;
    this.#emit({ event: 'job.state', payload: { ...state.info } });
    let outcome: FromWorker | null = null;
    child.on('message', (message: FromWorker) => {
      if (message.type === 'event') {
        this.#forward(state, message.event, message.payload);
      } else if (message.type === 'progress') {
        if (state.info.status !== 'running' && state.info.status !== 'paused') return;
        state.info.done = message.done;
        state.info.total = message.total;
        if (!state.cancelRequested && state.info.status === 'running') state.info.message = message.message;
        const fraction = message.total > 0 ? message.done / message.total : 0;
        const elapsed = (Date.now() - state.startedMs) / 1000;
        const eta = fraction > 0 && fraction < 1 ? (elapsed * (1 - fraction)) / fraction : undefined;
        this.#emit({
          event: 'job.progress',
          payload: { jobId: state.info.jobId, kind: state.info.kind, done: message.done, total: message.total, message: message.message, ...(eta !== undefined ? { etaSeconds: eta } : {}) },
        });
      } else {
        outcome = message;
      }
    });
    child.on('error', (error) => {
      outcome ??= { type: 'error', message: `job process failed: ${error.message}`, cancelled: false };
    });
    child.on('exit', (code, signal) => {
      if (state.killTimer) clearTimeout(state.killTimer);
      state.child = null;
      const result = outcome as FromWorker | null;
      if (result?.type === 'result' && !state.cancelRequested) this.#finish(state, 'completed', undefined, result.result);
      else if (state.cancelRequested) this.#finish(state, 'cancelled');
      else if (result?.type === 'error') this.#finish(state, 'failed', result.message);
      else this.#finish(state, 'failed', `job process exited (${signal ?? `code ${code}`}) without a result`);
    });
    child.send({ type: 'run', module: state.kind.module, exportName: state.kind.exportName, params: state.params } satisfies ToWorker);
  }

  /** A runner's own event: checked against the contract (a bad one is dropped, never sent), jobId added. */
  #forward(state: JobState, event: JobDetailEvent, payload: unknown): void {
    if (typeof payload !== 'object' || payload === null) return;
    const checked = EVENTS[event].safeParse({ ...payload, jobId: state.info.jobId });
    if (!checked.success) {
      if (process.env.SEGSTATION_DEBUG) console.error(`job ${state.info.jobId}: dropped a malformed ${event} event:`, checked.error.issues[0]);
      return;
    }
    if (typeof checked.data.runId === 'string') state.info.runId = checked.data.runId;
    this.#emit({ event, payload: checked.data } as JobEvent);
  }

  #finish(state: JobState, status: 'completed' | 'cancelled' | 'failed', error?: string, result?: unknown): void {
    state.info.status = status;
    state.info.finished = new Date().toISOString();
    state.info.message = status;
    if (status === 'completed') state.info.done = state.info.total;
    if (error !== undefined) state.info.error = error;
    if (result !== undefined) state.info.result = result;
    this.#emit({
      event: 'job.finished',
      payload: {
        jobId: state.info.jobId,
        kind: state.info.kind,
        status,
        ...(error !== undefined ? { error } : {}),
        ...(result !== undefined ? { result } : {}),
      },
    });
    this.#pump();
  }
}
