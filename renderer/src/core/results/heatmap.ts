/**
 * The uncertainty heat map drawn over a slice: values at or above a threshold coloured through a colour map over
 * [low, high] at a fixed opacity, the rest transparent; and straight-alpha compositing of one RGBA layer over another
 * (the heat map over the prediction's label colours, in one overlay texture).
 */
import { sampleColormap, type ColormapName } from '../colormaps.ts';

export interface HeatmapStyle {
  colormap: ColormapName;
  /** Data values mapped to the ends of the colour map. */
  low: number;
  high: number;
  /** Values below are not drawn (data units). */
  threshold: number;
  /** 0..1 */
  opacity: number;
}

export function heatmapRgba(values: ArrayLike<number>, style: HeatmapStyle, out: Uint8Array = new Uint8Array(values.length * 4)): Uint8Array {
  const alpha = Math.round(Math.min(1, Math.max(0, style.opacity)) * 255);
  const span = style.high > style.low ? style.high - style.low : 1;
  // 256-entry lookup: the colour map sampled once, not per pixel.
  const lut = new Uint8Array(256 * 3);
  for (let k = 0; k < 256; k++) {
    const rgb = sampleColormap(style.colormap, k / 255);
    for (let c = 0; c < 3; c++) lut[k * 3 + c] = Math.round(rgb[c] * 255);
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const o = i * 4;
    if (!(v >= style.threshold) || alpha === 0) {
      out[o] = out[o + 1] = out[o + 2] = out[o + 3] = 0;
      continue;
    }
    const k = Math.min(255, Math.max(0, Math.round(((v - style.low) / span) * 255)));
    out[o] = lut[k * 3];
    out[o + 1] = lut[k * 3 + 1];
    out[o + 2] = lut[k * 3 + 2];
    out[o + 3] = alpha;
  }
  return out;
}

/** `top` over `bottom` (straight alpha, 0..255), into `out` (may be `bottom`). */
export function compositeOver(top: Uint8Array, bottom: Uint8Array, out: Uint8Array = new Uint8Array(bottom.length)): Uint8Array {
  if (top.length !== bottom.length) throw new RangeError(`layers differ in size: ${top.length} and ${bottom.length} bytes`);
  for (let o = 0; o < top.length; o += 4) {
    const at = top[o + 3] / 255;
    const ab = bottom[o + 3] / 255;
    const a = at + ab * (1 - at);
    if (a === 0) {
      out[o] = out[o + 1] = out[o + 2] = out[o + 3] = 0;
      continue;
    }
    for (let c = 0; c < 3; c++) out[o + c] = Math.round((top[o + c] * at + bottom[o + c] * ab * (1 - at)) / a);
    out[o + 3] = Math.round(a * 255);
  }
  return out;
}
