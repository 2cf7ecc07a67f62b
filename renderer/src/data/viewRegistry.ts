/** The mounted views, by name, so the test hook can read their pixels. */
import type { CapturedPixels } from '../composables/useVtkView.ts';

/** The viewer's four views, plus views of the workspaces (e.g. 'results-pred', 'boundaries-3d'), registered by name. */
export type ViewName = 'axial' | 'coronal' | 'sagittal' | '3d' | (string & {});

export interface RegisteredView {
  capture(): CapturedPixels;
  /** Slice index on screen now (slice views), -1 before the first slice arrived. */
  shownIndex?: () => number;
}

export const views = new Map<ViewName, RegisteredView>();
