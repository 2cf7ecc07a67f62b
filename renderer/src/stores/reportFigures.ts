/**
 * The viewer's views as figures for a report. The shell mounts the viewer only while its tab is shown, so its vtk
 * views are gone by the time the report workspace is open: the frames are captured the moment the user leaves the
 * viewer tab (a synchronous watcher runs before Vue unmounts the views), and again live whenever the views are
 * mounted. Pixels stay out of Vue's reactivity (markRaw): they are large and never edited.
 */
import { defineStore } from 'pinia';
import { markRaw, watch } from 'vue';
import type { CapturedPixels } from '../composables/useVtkView.ts';
import { views } from '../data/viewRegistry.ts';
import { useWorkspaceStore } from './workspace.ts';

/** The viewer's views a report takes, with the titles they get there. */
export const VIEWER_FIGURES = [
  { view: '3d', title: '3D view' },
  { view: 'axial', title: 'Axial slice' },
  { view: 'coronal', title: 'Coronal slice' },
  { view: 'sagittal', title: 'Sagittal slice' },
] as const;
export type ViewerFigureName = (typeof VIEWER_FIGURES)[number]['view'];

export interface CapturedFigure {
  view: ViewerFigureName;
  title: string;
  width: number;
  height: number;
  rgba: Uint8Array;
  /** Date.now() of the capture. */
  at: number;
}

/** A frame worth putting in a report: not empty and not a single flat colour (a view with nothing loaded). */
export function hasContent(p: CapturedPixels): boolean {
  if (p.width < 2 || p.height < 2) return false;
  const [r, g, b] = [p.rgba[0], p.rgba[1], p.rgba[2]];
  for (let i = 4; i < p.rgba.length; i += 4) {
    if (Math.abs(p.rgba[i] - r) > 4 || Math.abs(p.rgba[i + 1] - g) > 4 || Math.abs(p.rgba[i + 2] - b) > 4) return true;
  }
  return false;
}

export const useReportFiguresStore = defineStore('reportFigures', {
  state: () => ({
    /** Last frames captured from the viewer, by view (markRaw objects). */
    captured: {} as Partial<Record<ViewerFigureName, CapturedFigure>>,
    /** Whether the viewer's 3D view was ever registered while this page was open. */
    viewerSeen: false,
    watching: false,
  }),
  actions: {
    /** Reads every mounted viewer view now; returns how many were captured. */
    captureViewer(): number {
      let n = 0;
      for (const { view, title } of VIEWER_FIGURES) {
        const registered = views.get(view);
        if (!registered) continue;
        if (view === '3d') this.viewerSeen = true;
        let pixels: CapturedPixels;
        try {
          pixels = registered.capture();
        } catch {
          continue; // a view torn down mid-capture keeps its previous frame
        }
        if (!hasContent(pixels)) continue;
        this.captured[view] = markRaw({ view, title, width: pixels.width, height: pixels.height, rgba: pixels.rgba, at: Date.now() });
        n++;
      }
      return n;
    },
    /** The figures to export: live frames when the viewer is mounted, else the ones captured when it was left. */
    current(): CapturedFigure[] {
      this.captureViewer();
      return VIEWER_FIGURES.map(({ view }) => this.captured[view]).filter((f): f is CapturedFigure => f !== undefined);
    },
    /** Captures the viewer whenever the user leaves its tab; returns the stop function. Install once, in the shell. */
    watchViewer(): () => void {
      if (this.watching) return () => undefined;
      this.watching = true;
      const workspace = useWorkspaceStore();
      if (views.has('3d')) this.viewerSeen = true;
      // flush 'sync': runs inside workspace.show(), before the re-render that unmounts the viewer's views.
      const stop = watch(
        () => workspace.active,
        (next, previous) => {
          if (previous === 'viewer' && next !== 'viewer') this.captureViewer();
        },
        { flush: 'sync' },
      );
      return () => {
        stop();
        this.watching = false;
      };
    },
  },
});
