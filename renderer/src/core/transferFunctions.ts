/**
 * Volume rendering presets. CT uses Hounsfield units (absolute); MR and tomography are relative to the data range,
 * since their intensities have no fixed scale. The opacity curve the user edits is kept in relative units (x in 0..1
 * of [min, max]) so it survives a change of volume.
 */
export type PresetName = 'CT' | 'MR' | 'tomography';
export const PRESET_NAMES: readonly PresetName[] = ['CT', 'MR', 'tomography'];

export interface OpacityPoint {
  /** Relative position in the data range, 0..1. */
  x: number;
  /** Opacity 0..1. */
  y: number;
}

interface PresetDef {
  units: 'absolute' | 'relative';
  colors: [number, number, number, number][];
  opacity: [number, number][];
}

const PRESETS: Record<PresetName, PresetDef> = {
  // After ParaView's "CT-Bone".
  CT: {
    units: 'absolute',
    colors: [
      [-3024, 0, 0, 0],
      [-16, 0.73, 0.25, 0.3],
      [641, 0.91, 0.82, 0.55],
      [3071, 1, 1, 1],
    ],
    opacity: [
      [-3024, 0],
      [-16, 0],
      [641, 0.72],
      [3071, 0.71],
    ],
  },
  MR: {
    units: 'relative',
    colors: [
      [0, 0, 0, 0],
      [0.25, 0.55, 0.25, 0.15],
      [0.5, 0.88, 0.6, 0.29],
      [1, 1, 0.94, 0.95],
    ],
    opacity: [
      [0, 0],
      [0.15, 0],
      [0.4, 0.15],
      [1, 0.6],
    ],
  },
  // Multi-phase materials: pores dark and clear, phases in blue to amber.
  tomography: {
    units: 'relative',
    colors: [
      [0, 0.1, 0.1, 0.3],
      [0.5, 0.3, 0.6, 0.9],
      [1, 1, 0.8, 0.4],
    ],
    opacity: [
      [0, 0],
      [0.3, 0],
      [0.6, 0.3],
      [1, 0.8],
    ],
  },
};

function toRelative(value: number, units: PresetDef['units'], range: readonly [number, number]): number {
  if (units === 'relative') return value;
  const span = range[1] > range[0] ? range[1] - range[0] : 1;
  return (value - range[0]) / span;
}

/** Colour nodes in data units for the range [min, max]. */
export function presetColorNodes(name: PresetName, range: readonly [number, number]): { value: number; rgb: [number, number, number] }[] {
  const def = PRESETS[name];
  const span = range[1] > range[0] ? range[1] - range[0] : 1;
  return def.colors.map(([v, r, g, b]) => ({
    value: def.units === 'absolute' ? v : range[0] + v * span,
    rgb: [r, g, b],
  }));
}

/** The preset's opacity curve in relative units, clipped to 0..1 (points outside the range are interpolated in). */
export function presetOpacityPoints(name: PresetName, range: readonly [number, number]): OpacityPoint[] {
  const def = PRESETS[name];
  const raw = def.opacity.map(([v, y]) => ({ x: toRelative(v, def.units, range), y }));
  const inside = raw.filter((p) => p.x > 0 && p.x < 1);
  return [{ x: 0, y: interpolateOpacity(raw, 0) }, ...inside, { x: 1, y: interpolateOpacity(raw, 1) }];
}

/** Piecewise-linear opacity at relative x (constant beyond the end points). */
export function interpolateOpacity(points: readonly OpacityPoint[], x: number): number {
  if (points.length === 0) return 0;
  const sorted = [...points].sort((a, b) => a.x - b.x);
  if (x <= sorted[0].x) return sorted[0].y;
  for (let i = 1; i < sorted.length; i++) {
    if (x <= sorted[i].x) {
      const a = sorted[i - 1];
      const b = sorted[i];
      return b.x > a.x ? a.y + ((x - a.x) / (b.x - a.x)) * (b.y - a.y) : b.y;
    }
  }
  return sorted[sorted.length - 1].y;
}

/** A sensible first preset: CT for data that looks like Hounsfield units, MR otherwise. */
export function defaultPreset(min: number, max: number): PresetName {
  return min <= -500 && max >= 300 ? 'CT' : 'MR';
}

/**
 * Moves one point of the curve, keeping the end points pinned at x = 0 and x = 1 and the order of the points.
 * Returns a new array.
 */
export function moveOpacityPoint(points: readonly OpacityPoint[], index: number, x: number, y: number): OpacityPoint[] {
  const out = points.map((p) => ({ ...p }));
  const clampedY = Math.min(1, Math.max(0, y));
  if (index === 0 || index === out.length - 1) {
    out[index].y = clampedY;
    return out;
  }
  const lo = out[index - 1].x + 1e-4;
  const hi = out[index + 1].x - 1e-4;
  out[index] = { x: Math.min(hi, Math.max(lo, x)), y: clampedY };
  return out;
}

/** Inserts a point at x (kept sorted) and returns the new array and the new point's index. */
export function insertOpacityPoint(points: readonly OpacityPoint[], x: number, y: number): { points: OpacityPoint[]; index: number } {
  const out = points.map((p) => ({ ...p }));
  const cx = Math.min(1, Math.max(0, x));
  let index = out.findIndex((p) => p.x > cx);
  if (index <= 0) index = out.length - 1;
  out.splice(index, 0, { x: cx, y: Math.min(1, Math.max(0, y)) });
  return { points: out, index };
}

/** Removes an interior point; the end points stay. */
export function removeOpacityPoint(points: readonly OpacityPoint[], index: number): OpacityPoint[] {
  if (index <= 0 || index >= points.length - 1) return points.map((p) => ({ ...p }));
  return points.filter((_, i) => i !== index).map((p) => ({ ...p }));
}
