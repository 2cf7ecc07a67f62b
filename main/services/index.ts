/** Engine services behind the typed contract (plain Node; used by the web server and the Electron main process). */
export { Engine, type EngineOptions } from './engine.ts';
export { VolumeService, type VolumeServiceOptions } from './volumes.ts';
export { ProjectService } from './projects.ts';
export { RecentProjects, defaultRecentFile } from './recentProjects.ts';
export { JobManager, registerJobKind, jobKinds, type JobContext, type JobRunner, type JobRunnerRef } from './jobs.ts';
export { NotFoundError, toEngineError } from './errors.ts';
