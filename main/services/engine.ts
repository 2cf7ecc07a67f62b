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
import { validateCaseFiles } from './caseValidation.ts';
import { listDirectory } from './fileBrowser.ts';
import { removeSnapshot, writeSnapshot } from './snapshots.ts';
import { toEngineError } from './errors.ts';
import './jobKinds/index.ts';
import { JobManager, jobKinds, type JobManagerOptions } from './jobs.ts';
import { addDomainInfo, assignSplit, moveSplitCase, createProject, currentSplit, listDomainInfo, setClasses, storedStatistics } from './projectWorkflow.ts';
import { ProjectService } from './projects.ts';
import { RecentProjects } from './recentProjects.ts';
import { evaluationList, evaluationResult, predictionList, runDetail, runList } from './runQueries.ts';
import { checkTrainingConfig, trainingConfigSchema } from './jobKinds/trainCheck.ts';
import { listPresets } from './trainingPresets.ts';
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
      'volume.open': async ({ path, role, imageId, announce }) => {
        const meta = await this.volumes.openFile(path, role, imageId);
        if (announce !== false) this.emit('volume.opened', meta);
        return meta;
      },
      'volume.meta': ({ volumeId }) => this.volumes.meta(volumeId),
      'volume.list': async () => ({ volumes: await this.volumes.list() }),
      'volume.close': async ({ volumeId }) => {
        const closed = this.volumes.close(volumeId);
        if (closed) this.emit('volume.closed', { volumeId });
        return { closed };
      },
      'job.start': ({ kind, params }) => this.jobs.startChecked(kind, params),
      'job.cancel': async ({ jobId }) => this.jobs.cancel(jobId),
      'job.get': async ({ jobId }) => this.jobs.get(jobId),
      'job.list': async () => ({ jobs: this.jobs.list() }),
      'job.pause': async ({ jobId }) => this.jobs.pause(jobId),
      'job.resume': async ({ jobId }) => this.jobs.resume(jobId),
      'project.create': async ({ dir, name }) => {
        const created = await createProject(dir, name);
        const project = await this.projects.open(created);
        this.emit('project.opened', project);
        return project;
      },
      'case.validate': ({ image, label }) => validateCaseFiles(image, label),
      'case.import': async ({ projectDir, ...options }) => {
        const checked = await validateCaseFiles(options.image, options.label);
        if (!checked.ok) return { ...checked, job: null };
        // The import itself (every voxel read, stores written) runs as a job, off the event loop.
        const job = await this.jobs.startChecked('import', { projectDir, ...options, image: checked.files.filter((f) => f.role === 'image').map((f) => f.path) });
        return { ...checked, job };
      },
      'classes.set': async (params) => ({ classes: await setClasses(params) }),
      'domain.list': async ({ projectDir }) => ({ domains: await listDomainInfo(projectDir) }),
      'domain.add': async (params) => ({ domains: await addDomainInfo(params) }),
      'split.get': async ({ projectDir }) => ({ split: await currentSplit(projectDir) }),
      'split.assign': async (params) => ({ split: await assignSplit(params) }),
      'split.move': async (params) => ({ split: await moveSplitCase(params) }),
      'stats.get': async ({ projectDir }) => ({ statistics: await storedStatistics(projectDir) }),
      'run.list': async ({ projectDir }) => ({ runs: await runList(projectDir) }),
      'run.get': ({ projectDir, runId }) => runDetail(projectDir, runId),
      'training.configSchema': () => trainingConfigSchema(),
      'training.presets': async ({ name }) => ({ presets: await listPresets(name) }),
      'training.validateConfig': async ({ config }) => {
        const checked = await checkTrainingConfig(config);
        return { ok: checked.issues.length === 0, ...checked };
      },
      'prediction.list': async ({ projectDir, runId }) => ({ predictions: await predictionList(projectDir, runId) }),
      'evaluation.list': async ({ projectDir, runId }) => ({ evaluations: await evaluationList(projectDir, runId) }),
      'evaluation.get': ({ projectDir, runId, evaluationId }) => evaluationResult(projectDir, runId, evaluationId),
      'report.export': async ({ snapshotPng, slicePngs, ...params }) => {
        if (snapshotPng === undefined && slicePngs === undefined) return this.jobs.startChecked('report', params);
        // Inline figures (web mode) become temporary PNG files that live as long as the job.
        const files: string[] = [];
        try {
          const snapshot = snapshotPng === undefined ? undefined : await writeSnapshot(snapshotPng);
          if (snapshot) files.push(snapshot);
          const slices: { title: string; file: string }[] = [];
          for (const [i, figure] of (slicePngs ?? []).entries()) {
            const file = await writeSnapshot(figure.png, `params.slicePngs.${i}.png`);
            files.push(file);
            slices.push({ title: figure.title, file });
          }
          const job = await this.jobs.startChecked('report', { ...params, ...(snapshot ? { snapshot } : {}), ...(slicePngs ? { slices } : {}) });
          const off = this.onEvent((e) => {
            if (e.event === 'job.finished' && e.payload.jobId === job.jobId) {
              off();
              for (const file of files) void removeSnapshot(file);
            }
          });
          return job;
        } catch (error) {
          await Promise.all(files.map((file) => removeSnapshot(file)));
          throw error;
        }
      },
      // Project workspace (issue 7 point 1)
      'fs.list': ({ dir, hidden }) => listDirectory(dir, hidden !== undefined ? { hidden } : {}),
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
