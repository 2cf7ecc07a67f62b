/** The open project and its cases, and the recent-projects list. */
import { defineStore } from 'pinia';
import type { CaseEntry, ProjectSummary, RecentProject } from '../../../ipc/contract.ts';
import { getEngine } from '../data/engine.ts';
import { track } from '../data/activity.ts';
import { errorText, useVolumesStore } from './volumes.ts';

export const useProjectStore = defineStore('project', {
  state: () => ({
    project: null as ProjectSummary | null,
    cases: [] as CaseEntry[],
    recent: [] as RecentProject[],
    selectedCaseId: null as string | null,
    error: null as string | null,
  }),
  actions: {
    async refreshRecent(): Promise<void> {
      try {
        this.recent = (await getEngine().request('project.list', {})).projects;
      } catch (error) {
        this.error = errorText(error);
      }
    },
    async openProject(dir: string): Promise<void> {
      this.error = null;
      try {
        await this.adopt(await track(getEngine().request('project.open', { dir })));
      } catch (error) {
        this.error = errorText(error);
      }
    },
    /** Creates a project in an empty or new folder and opens it (project workspace). Rejects with the engine's error. */
    async createProject(dir: string, name?: string): Promise<void> {
      this.error = null;
      const summary = await track(getEngine().request('project.create', name ? { dir, name } : { dir }));
      await this.adopt(summary);
      void this.refreshRecent();
    },
    /** Re-reads the open project's summary and cases (after an import or a class edit). */
    async refresh(): Promise<void> {
      if (!this.project) return;
      const dir = this.project.dir;
      const [summary, { cases }] = await Promise.all([
        track(getEngine().request('project.open', { dir })),
        track(getEngine().request('case.list', { projectDir: dir })),
      ]);
      if (this.project?.dir !== dir) return;
      this.project = summary;
      this.cases = cases;
    },
    /**
     * Shows a project the engine has open already (announced by an event or engine.info): lists its cases without
     * opening it again, which would announce it again.
     */
    async adopt(summary: ProjectSummary): Promise<void> {
      try {
        const { cases } = await track(getEngine().request('case.list', { projectDir: summary.dir }));
        if (this.project?.dir !== summary.dir) this.selectedCaseId = null;
        this.project = summary;
        this.cases = cases;
      } catch (error) {
        this.error = errorText(error);
      }
    },
    /** Shows a case's first image channel with its label map. */
    async openCase(entry: CaseEntry): Promise<void> {
      this.selectedCaseId = entry.id;
      const image = entry.imageIds[0];
      if (!image) {
        this.error = `case ${entry.id} has no image`;
        return;
      }
      await useVolumesStore().showIds(image, entry.labelId);
    },
  },
});
