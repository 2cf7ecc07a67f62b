/**
 * Default label colours, shared by the engine (class table of a new project) and the renderer (label maps without a
 * class table), so that a value gets the same colour everywhere. Browser-safe.
 */
export type Color = [number, number, number];

/** Colour of value 0 (background). */
export const BACKGROUND_COLOR: Color = [0, 0, 0];

/** Default colours for values 1, 2, ... (cycled): ITK-SNAP's first label colours, well apart from each other. */
export const DEFAULT_PALETTE: readonly Color[] = [
  [255, 0, 0],
  [0, 255, 0],
  [0, 0, 255],
  [255, 255, 0],
  [0, 255, 255],
  [255, 0, 255],
  [255, 239, 213],
  [0, 0, 205],
  [205, 133, 63],
  [210, 180, 140],
  [102, 205, 170],
  [0, 0, 128],
  [0, 139, 139],
  [46, 139, 87],
  [255, 228, 225],
  [106, 90, 205],
  [221, 160, 221],
  [233, 150, 122],
  [165, 42, 42],
  [255, 250, 250],
];
