/** Which workspace fills the main area: the viewer, or one step of the project workflow. */
import { defineStore } from 'pinia';

export const WORKSPACES = [
  { id: 'viewer', title: 'Viewer' },
  { id: 'project', title: 'Project' },
  { id: 'training', title: 'Training' },
  { id: 'results', title: 'Results' },
  { id: 'boundaries', title: 'Phase boundaries' },
  { id: 'report', title: 'Metrics & report' },
] as const;

export type WorkspaceId = (typeof WORKSPACES)[number]['id'];

export const useWorkspaceStore = defineStore('workspace', {
  state: () => ({ active: 'viewer' as WorkspaceId }),
  actions: {
    show(id: WorkspaceId): void {
      this.active = id;
    },
  },
});
