/**
 * The shape of `window.__segstation` (see testHook.ts). DOM-free, so Node-side tests can import it.
 */
/** The viewer's views, or a workspace view registered under its own name (see renderer/src/data/viewRegistry.ts). */
export type HookViewName = 'axial' | 'coronal' | 'sagittal' | '3d' | (string & {});
export type HookSliceViewName = 'axial' | 'coronal' | 'sagittal';

export interface HookState {
  imageId: string | null;
  labelId: string | null;
  crosshair: number[];
  /** Index axis shown by each slice view. */
  axes: Record<HookSliceViewName, number> | null;
  /** Slice index on screen per slice view (-1 before the first slice). */
  shownSlice: Partial<Record<HookSliceViewName, number>>;
  /** Pyramid level in the 3D view, -1 before its first frame. */
  shownLevel: number | null;
  /** Milliseconds from showing the image to its first 3D frame. */
  firstFrameMs: number | null;
  /** performance.now() of the first 3D frame, and of the frame at the finest level within the 3D voxel budget. */
  firstFrameAt: number | null;
  refinedFrameAt: number | null;
  error: string | null;
}

export interface SegstationTestHook {
  /** Resolves when no fetch or extraction is in flight and two frames have been drawn since. */
  whenIdle(): Promise<void>;
  /** The view's current frame: RGBA (top row first) as base64. */
  capture(view: HookViewName): { width: number; height: number; rgbaBase64: string };
  state(): HookState;
  /** The label table as shown: value, name, colour (0..255) and visibility. */
  labelClasses(): { value: number; name: string; color: [number, number, number]; visible: boolean }[];
  openFiles(imagePath: string, labelPath?: string): Promise<void>;
  setLabelVisible(value: number, visible: boolean): void;
  setLabelOpacity(opacity: number): void;
  setSlice(view: HookSliceViewName, index: number): void;
}

/** Where the hook lives (window in the page). */
export interface HookHost {
  __segstation?: SegstationTestHook;
}
