/**
 * Label maps: the class table (value, name, colour) and the per-slice RGBA overlay drawn over the image.
 */
import { DEFAULT_PALETTE } from '../../../ipc/palette.ts';

export type RGB = [number, number, number];
export interface LabelClass {
  value: number;
  name: string;
  /** sRGB 0..255 */
  color: RGB;
}

/** Well separated colours (ITK-SNAP's first entries), used when a label map has no class table: the engine's own. */
export const DEFAULT_LABEL_COLORS: readonly RGB[] = DEFAULT_PALETTE;

/**
 * The class table to show: the volume's own entries where present, default colours for every other value in
 * [1, max] (0 is background). Values beyond `maxDense` without an entry are left out.
 */
export function labelClasses(
  entries: readonly LabelClass[] | undefined,
  max: number,
  maxDense = 1024,
): LabelClass[] {
  const byValue = new Map<number, LabelClass>();
  for (const e of entries ?? []) if (e.value !== 0) byValue.set(e.value, { ...e, color: [...e.color] as RGB });
  const top = Math.min(Math.floor(max), maxDense);
  for (let v = 1; v <= top; v++) {
    if (!byValue.has(v)) {
      byValue.set(v, { value: v, name: `label ${v}`, color: [...DEFAULT_LABEL_COLORS[(v - 1) % DEFAULT_LABEL_COLORS.length]] as RGB });
    }
  }
  return [...byValue.values()].sort((a, b) => a.value - b.value);
}

export interface OverlayStyle {
  /** Fill opacity 0..1. */
  opacity: number;
  /** Draw only each region's border (at full opacity) and leave the inside clear. */
  outline: boolean;
}

/**
 * RGBA lookup (4 bytes per value) for values 0..maxValue; background, hidden and unknown values are transparent.
 * Alpha is 255 here; the fill opacity is applied per pixel by labelSliceToRgba.
 */
export function buildLabelLut(classes: readonly LabelClass[], hidden: ReadonlySet<number>, maxValue: number): Uint8Array {
  const lut = new Uint8Array((Math.max(0, Math.floor(maxValue)) + 1) * 4);
  for (const c of classes) {
    if (c.value <= 0 || c.value > maxValue || hidden.has(c.value)) continue;
    lut.set([c.color[0], c.color[1], c.color[2], 255], c.value * 4);
  }
  return lut;
}

type LabelArray = ArrayLike<number>;

/**
 * Colours one label slice (width x height, x fastest). In outline mode a pixel is drawn when one of its 4 neighbours
 * inside the slice holds another value.
 */
export function labelSliceToRgba(
  values: LabelArray,
  width: number,
  height: number,
  lut: Uint8Array,
  style: OverlayStyle,
  out: Uint8Array = new Uint8Array(width * height * 4),
): Uint8Array {
  const fillAlpha = Math.round(Math.min(1, Math.max(0, style.opacity)) * 255);
  const maxValue = lut.length / 4 - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const v = values[i];
      const o = i * 4;
      if (v <= 0 || v > maxValue || lut[v * 4 + 3] === 0) {
        out[o] = out[o + 1] = out[o + 2] = out[o + 3] = 0;
        continue;
      }
      let alpha = fillAlpha;
      if (style.outline) {
        const border =
          (x > 0 && values[i - 1] !== v) ||
          (x < width - 1 && values[i + 1] !== v) ||
          (y > 0 && values[i - width] !== v) ||
          (y < height - 1 && values[i + width] !== v);
        alpha = border ? 255 : 0;
      }
      out[o] = lut[v * 4];
      out[o + 1] = lut[v * 4 + 1];
      out[o + 2] = lut[v * 4 + 2];
      out[o + 3] = alpha;
    }
  }
  return out;
}

/** Values present in a label array (sorted), used to skip surface extraction for empty labels. */
export function presentValues(values: LabelArray): number[] {
  const seen = new Set<number>();
  for (let i = 0; i < values.length; i++) seen.add(values[i]);
  return [...seen].sort((a, b) => a - b);
}
