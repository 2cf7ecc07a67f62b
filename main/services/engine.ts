/**
 * The engine behind both transports: one handler per contract method, request validation and error mapping, engine
 * events, and the data-plane reads. The web server and the Electron IPC binding are thin adapters around `dispatch`,
 * `slice` and `level`.
 */
import type { VolumeBlock } from '../../ipc/api.ts';
import {
  METHODS,
  checkRequest,
  type Axis,
  type EngineEvent,
  type EventName,
  type MethodName,
  type ParamsOf,
  type PayloadOf,
  type ResponseMessage,
  type ResultOf,
} from '../../ipc/contract.ts';
import { appVersion } from '../dataset/project.ts';
import '../io/formats.ts';
import { toEngineError } from './errors.ts';
import './jobKinds/index.ts';
import { JobManager, jobKinds, type JobManagerOptions } from './jobs.ts';
import { ProjectService } from './projects.ts';
import { RecentProjects } from './recentProjects.ts';
import { VolumeService, type VolumeServiceOptions } from './volumes.ts';

export interface EngineOptions {
  transport: 'web' | 'electron' | 'direct';
  /** File of the recent-projects list (default: per-user config folder). */
  recentFile?: string;
  volumes?: VolumeServiceOptions;
  jobs?: JobManagerOptions;
}

type Handlers = { [M in MethodName]: (params: ParamsOf<M>) => Promise<ResultOf<M>> };

export class Engine {
  readonly volumes: VolumeService;
  readonly projects: ProjectService;
  readonly jobs: JobManager;
  readonly #listeners = new Set<(event: EngineEvent) => void>();
  readonly #handlers: Handlers;

  constructor(options: EngineOptions) {
    this.volumes = new VolumeService(options.volumes);
    this.projects = new ProjectService(this.volumes, new RecentProjects(options.recentFile));
    this.jobs = new JobManager((e) => this.emit(e.event, e.payload), options.jobs);
    this.#handlers = {
      'engine.info': async () => ({
        name: 'segstation',
        version: appVersion(),
        transport: options.transport,
        project: this.projects.current,
        jobKinds: jobKinds(),
      }),
      'project.open': async ({ dir }) => {
        const project = await this.projects.open(dir);
        this.emit('project.opened', project);
        return project;
      },
      'project.list': async () => ({ projects: await this.projects.recent() }),
      'case.list': async ({ projectDir }) => ({ cases: await this.projects.cases(projectDir) }),
      'volume.open': async ({ path, role, imageId }) => {
        const meta = await this.volumes.openFile(path, role, imageId);
        this.emit('volume.opened', meta);
        return meta;
      },
      'volume.meta': ({ volumeId }) => this.volumes.meta(volumeId),
      'volume.list': async () => ({ volumes: await this.volumes.list() }),
      'volume.close': async ({ volumeId }) => {
        const closed = this.volumes.close(volumeId);
        if (closed) this.emit('volume.closed', { volumeId });
        return { closed };
      },
      'job.start': async ({ kind, params }) => this.jobs.start(kind, params),
      'job.cancel': async ({ jobId }) => this.jobs.cancel(jobId),
      'job.get': async ({ jobId }) => this.jobs.get(jobId),
      'job.list': async () => ({ jobs: this.jobs.list() }),
    };
  }

  /** Calls a method with params already validated (typed callers: the Electron menu, tests). */
  async call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    const handler = this.#handlers[method] as (p: ParamsOf<M>) => Promise<ResultOf<M>>;
    const result = await handler(params);
    // The engine checks its own answers too: a result off the contract is a bug to report, not to send.
    return METHODS[method].result.parse(result) as ResultOf<M>;
  }

  /** Validates a raw request message and answers it; never throws. */
  async dispatch(raw: unknown): Promise<ResponseMessage> {
    const checked = checkRequest(raw);
    if (!checked.ok) return { id: checked.id, error: checked.error };
    try {
      return { id: checked.id, result: await this.call(checked.method, checked.params as never) };
    } catch (error) {
      return { id: checked.id, error: toEngineError(error) };
    }
  }

  slice(volumeId: string, axis: Axis, index: number): Promise<VolumeBlock> {
    return this.volumes.slice(volumeId, axis, index);
  }

  level(volumeId: string, level: number): Promise<VolumeBlock> {
    return this.volumes.level(volumeId, level);
  }

  region(volumeId: string, level: number, start: [number, number, number], size: [number, number, number]): Promise<VolumeBlock> {
    return this.volumes.region(volumeId, level, start, size);
  }

  onEvent(listener: (event: EngineEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit<E extends EventName>(event: E, payload: PayloadOf<E>): void {
    const message = { event, payload } as EngineEvent;
    for (const listener of this.#listeners) {
      try {
        listener(message);
      } catch {
        // A failing listener (a closed socket) must not stop the others.
      }
    }
  }

  dispose(): void {
    this.jobs.dispose();
    this.#listeners.clear();
  }
}
