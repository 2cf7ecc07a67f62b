/** Colour maps for slice views, as RGB nodes at relative positions 0..1 across the window. */
export type RGB = [number, number, number];
export interface ColorNode {
  x: number;
  rgb: RGB;
}

export const COLORMAPS = {
  grayscale: [
    { x: 0, rgb: [0, 0, 0] },
    { x: 1, rgb: [1, 1, 1] },
  ],
  inverted: [
    { x: 0, rgb: [1, 1, 1] },
    { x: 1, rgb: [0, 0, 0] },
  ],
  hot: [
    { x: 0, rgb: [0, 0, 0] },
    { x: 0.375, rgb: [1, 0, 0] },
    { x: 0.75, rgb: [1, 1, 0] },
    { x: 1, rgb: [1, 1, 1] },
  ],
  bone: [
    { x: 0, rgb: [0, 0, 0] },
    { x: 0.375, rgb: [0.32, 0.32, 0.45] },
    { x: 0.75, rgb: [0.65, 0.78, 0.78] },
    { x: 1, rgb: [1, 1, 1] },
  ],
  viridis: [
    { x: 0, rgb: [0.267, 0.005, 0.329] },
    { x: 0.25, rgb: [0.229, 0.322, 0.546] },
    { x: 0.5, rgb: [0.128, 0.567, 0.551] },
    { x: 0.75, rgb: [0.369, 0.789, 0.383] },
    { x: 1, rgb: [0.993, 0.906, 0.144] },
  ],
} as const satisfies Record<string, readonly ColorNode[]>;

export type ColormapName = keyof typeof COLORMAPS;
export const COLORMAP_NAMES = Object.keys(COLORMAPS) as ColormapName[];

/** The colour map's nodes placed in data units across [low, high]. */
export function colormapNodes(name: ColormapName, low: number, high: number): { value: number; rgb: RGB }[] {
  const span = high > low ? high - low : 1;
  return COLORMAPS[name].map((n) => ({ value: low + n.x * span, rgb: [...n.rgb] as RGB }));
}

/** Linear interpolation of a colour map at relative position t (clamped to 0..1). */
export function sampleColormap(name: ColormapName, t: number): RGB {
  const nodes: readonly ColorNode[] = COLORMAPS[name];
  const x = Math.min(1, Math.max(0, t));
  for (let i = 1; i < nodes.length; i++) {
    if (x <= nodes[i].x) {
      const a = nodes[i - 1];
      const b = nodes[i];
      const f = b.x > a.x ? (x - a.x) / (b.x - a.x) : 0;
      return [0, 1, 2].map((c) => a.rgb[c] + f * (b.rgb[c] - a.rgb[c])) as RGB;
    }
  }
  return [...nodes[nodes.length - 1].rgb] as RGB;
}
