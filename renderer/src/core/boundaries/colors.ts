/**
 * Colours of the boundaries view: one distinct colour per phase pair, and the boundary-error colour scale (viridis from
 * 0 to the chosen maximum distance, saturated above it; magenta where the truth has no interface of that pair).
 */
import { sampleColormap } from '../colormaps.ts';

export type RGB = [number, number, number];

/** Tableau 10 (well apart, colour-blind tolerable), then a few more; cycled beyond. */
export const PAIR_COLORS: readonly RGB[] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [188, 189, 34],
  [23, 190, 207],
  [127, 127, 127],
];

/** Colour of the pair at `rank` in the legend's order. */
export function pairColor(rank: number): RGB {
  return [...PAIR_COLORS[rank % PAIR_COLORS.length]] as RGB;
}

/** Colour for "the truth has no interface of this pair": off the viridis scale. */
export const NO_TRUTH_COLOR: RGB = [255, 0, 255];

/** sRGB 0..255 of a distance on the error scale [0, max]. */
export function errorColor(distance: number, max: number): RGB {
  if (!Number.isFinite(distance)) return [...NO_TRUTH_COLOR] as RGB;
  const t = max > 0 ? distance / max : distance > 0 ? 1 : 0;
  return sampleColormap('viridis', t).map((c) => Math.round(c * 255)) as RGB;
}

/** Per-vertex RGB (uint8) of errors on the scale [0, max]. */
export function errorColors(errors: Float32Array, max: number, out = new Uint8Array(errors.length * 3)): Uint8Array {
  // A 256-entry table: the scale is continuous but the eye cannot tell more steps apart.
  const table = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) table.set(errorColor((i / 255) * max, max), i * 3);
  for (let i = 0; i < errors.length; i++) {
    const e = errors[i];
    if (!Number.isFinite(e)) {
      out.set(NO_TRUTH_COLOR, i * 3);
      continue;
    }
    const k = max > 0 ? Math.min(255, Math.max(0, Math.round((e / max) * 255))) : e > 0 ? 255 : 0;
    out[i * 3] = table[k * 3];
    out[i * 3 + 1] = table[k * 3 + 1];
    out[i * 3 + 2] = table[k * 3 + 2];
  }
  return out;
}

/** A length in millimetres (the world unit) as text in µm below 1 mm, else mm. */
export function formatLength(mm: number, digits = 3): string {
  if (!Number.isFinite(mm)) return '∞';
  if (Math.abs(mm) < 1) return `${Number((mm * 1000).toPrecision(digits))} µm`;
  return `${Number(mm.toPrecision(digits))} mm`;
}

/** An area in mm² as text, in µm² below 1 mm². */
export function formatArea(mm2: number, digits = 3): string {
  if (Math.abs(mm2) < 1) return `${Number((mm2 * 1e6).toPrecision(digits))} µm²`;
  return `${Number(mm2.toPrecision(digits))} mm²`;
}
