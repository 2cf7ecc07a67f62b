/**
 * Viewer figures for report.export: captured views encoded as PNG, downscaled together until the request fits one
 * WebSocket message (the contract's MAX_FIGURES_BASE64, each figure at most MAX_SNAPSHOT_BASE64). The encoder is
 * passed in (a canvas in the browser), so the fitting is plain logic.
 */

export interface FigureSource {
  title: string;
  width: number;
  height: number;
}

/** Encodes `source` scaled by `scale` (0..1] and returns the PNG as base64 (no data: prefix). */
export type FigureEncoder<S extends FigureSource> = (source: S, scale: number) => Promise<string>;

export interface FittedFigure {
  title: string;
  png: string;
  scale: number;
}

export interface FitLimits {
  /** Base64 characters of all figures together. */
  total: number;
  /** Base64 characters of one figure. */
  each: number;
  /** Smallest scale tried before giving up (default 0.15). */
  minScale?: number;
}

/**
 * Encodes every figure at full size, then at smaller scales (all figures shrink together, by the square root of the
 * overshoot, since PNG size follows pixel count) until the total and every figure fit. Throws when even minScale does
 * not fit.
 */
export async function fitFigures<S extends FigureSource>(sources: readonly S[], encode: FigureEncoder<S>, limits: FitLimits): Promise<FittedFigure[]> {
  const minScale = limits.minScale ?? 0.15;
  let scale = 1;
  for (;;) {
    const pngs = await Promise.all(sources.map((s) => encode(s, scale)));
    const total = pngs.reduce((a, p) => a + p.length, 0);
    const largest = Math.max(0, ...pngs.map((p) => p.length));
    if (total <= limits.total && largest <= limits.each) return sources.map((s, i) => ({ title: s.title, png: pngs[i], scale }));
    if (scale <= minScale) throw new Error(`the captured figures do not fit in one request even at ${Math.round(scale * 100)}% (${total} base64 characters, ${limits.total} allowed)`);
    const overshoot = Math.max(total / limits.total, largest / limits.each);
    scale = Math.max(minScale, scale * Math.min(0.9, 0.95 / Math.sqrt(overshoot)));
  }
}

/** Output size of a scaled capture: at least 1 pixel each way. */
export function scaledSize(width: number, height: number, scale: number): [number, number] {
  return [Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale))];
}
