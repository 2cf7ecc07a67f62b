/** Window/level: the intensity range [level - window/2, level + window/2] maps to the colour map. */
export interface WindowLevel {
  window: number;
  level: number;
}

/** The full data range. */
export function defaultWindowLevel(min: number, max: number): WindowLevel {
  const window = max > min ? max - min : 1;
  return { window, level: (min + max) / 2 };
}

/**
 * Mouse drag: right widens the window, down raises the level (the usual radiology feel). A full-canvas drag changes
 * either by the whole data range.
 */
export function dragWindowLevel(
  start: WindowLevel,
  dxFraction: number,
  dyFraction: number,
  range: readonly [number, number],
): WindowLevel {
  const span = range[1] > range[0] ? range[1] - range[0] : 1;
  const window = Math.max(span * 1e-3, start.window + dxFraction * span);
  const level = start.level + dyFraction * span;
  return { window, level };
}
