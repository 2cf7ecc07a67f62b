/** The mounted views, by name, so the test hook can read their pixels. */
import type { CapturedPixels } from '../composables/useVtkView.ts';

export type ViewName = 'axial' | 'coronal' | 'sagittal' | '3d';

export interface RegisteredView {
  capture(): CapturedPixels;
  /** Slice index on screen now (slice views), -1 before the first slice arrived. */
  shownIndex?: () => number;
}

export const views = new Map<ViewName, RegisteredView>();
