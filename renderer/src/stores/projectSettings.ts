/**
 * The open project's class table, domains, split and intensity statistics, as the project workspace edits them. Each
 * action re-reads what it changed from the engine's answer, so the page always shows what is stored.
 */
import { defineStore } from 'pinia';
import type { ClassInfo, Color, DomainInfo, DomainStatistics, SplitAssignment } from '../../../ipc/contract.ts';
import { getEngine } from '../data/engine.ts';
import { track } from '../data/activity.ts';
import { useJobsStore } from './jobs.ts';
import { useProjectStore } from './project.ts';
import { whenJobEnds } from './projectJobs.ts';
import { errorText } from './volumes.ts';

export interface ClassEdit {
  value: number;
  name: string;
  color: Color;
  description: string;
}

export type Normalization = DomainInfo['normalization'];

export const useProjectSettingsStore = defineStore('projectSettings', {
  state: () => ({
    /** The project these were read from. */
    dir: null as string | null,
    classes: [] as ClassInfo[],
    domains: [] as DomainInfo[],
    split: null as SplitAssignment | null,
    statistics: [] as DomainStatistics[],
    statsJobId: null as string | null,
    /** Defaults of the split editor (the create form sets them). */
    splitDefaults: { folds: 5, seed: 42 },
    saving: false,
    /** A short confirmation of the last change ('classes saved'). */
    notice: null as string | null,
    error: null as string | null,
  }),
  actions: {
    projectDir(): string {
      const dir = useProjectStore().project?.dir;
      if (!dir) throw new Error('no project is open: create or open one first');
      return dir;
    },
    async load(): Promise<void> {
      const project = useProjectStore().project;
      if (!project) return;
      const dir = project.dir;
      this.error = null;
      try {
        const engine = getEngine();
        const [domains, split, stats] = await Promise.all([
          track(engine.request('domain.list', { projectDir: dir })),
          track(engine.request('split.get', { projectDir: dir })),
          track(engine.request('stats.get', { projectDir: dir })),
        ]);
        if (useProjectStore().project?.dir !== dir) return;
        this.dir = dir;
        this.classes = project.classes.map((c) => ({ ...c, color: [...c.color] as Color }));
        this.domains = domains.domains;
        this.split = split.split;
        this.statistics = stats.statistics;
      } catch (error) {
        this.error = errorText(error);
      }
    },
    async run<T>(what: string, work: () => Promise<T>): Promise<T | undefined> {
      this.error = null;
      this.notice = null;
      this.saving = true;
      try {
        const result = await track(work());
        this.notice = what;
        return result;
      } catch (error) {
        this.error = errorText(error);
        return undefined;
      } finally {
        this.saving = false;
      }
    },
    async saveClasses(edits: readonly ClassEdit[]): Promise<void> {
      await this.run('classes saved', async () => {
        const projectDir = this.projectDir();
        const { classes } = await getEngine().request('classes.set', {
          projectDir,
          classes: edits.map((c) => ({ value: c.value, name: c.name.trim(), color: c.color, description: c.description })),
        });
        this.classes = classes;
        await useProjectStore().refresh();
      });
    },
    async addDomain(name: string, normalization: Normalization, description: string): Promise<void> {
      await this.run(`domain ${name.trim()} added`, async () => {
        const projectDir = this.projectDir();
        this.domains = (await getEngine().request('domain.add', { projectDir, name, normalization, ...(description ? { description } : {}) })).domains;
      });
    },
    async assignSplit(folds: number, seed: number, testFraction: number | undefined): Promise<void> {
      await this.run(`split into ${folds} folds`, async () => {
        const projectDir = this.projectDir();
        this.split = (await getEngine().request('split.assign', { projectDir, folds, seed, ...(testFraction !== undefined ? { testFraction } : {}) })).split;
        await useProjectStore().refresh();
      });
    },
    /** Hand edit: one case to another validation fold, or to the test set. */
    async moveCase(caseId: string, fold: number | 'test'): Promise<void> {
      await this.run(`${caseId} moved to ${fold === 'test' ? 'the test set' : `fold ${fold}`}`, async () => {
        this.split = (await getEngine().request('split.move', { projectDir: this.projectDir(), caseId, fold })).split;
        await useProjectStore().refresh();
      });
    },
    /** Runs the 'statistics' job and shows the stored statistics when it ends. */
    async computeStatistics(): Promise<void> {
      this.error = null;
      this.notice = null;
      let projectDir: string;
      try {
        projectDir = this.projectDir();
        const job = await useJobsStore().start('statistics', { projectDir });
        this.statsJobId = job.jobId;
        const ended = await whenJobEnds(job.jobId);
        if (ended.status === 'failed') {
          this.error = `statistics failed: ${ended.error ?? 'unknown error'}`;
          return;
        }
        if (ended.status === 'cancelled') {
          this.notice = 'statistics cancelled';
          return;
        }
        this.statistics = (await getEngine().request('stats.get', { projectDir })).statistics;
        this.domains = (await getEngine().request('domain.list', { projectDir })).domains;
      } catch (error) {
        this.error = errorText(error);
      }
    },
  },
});
