/**
 * Curves of training runs, keyed by metric name, x = step over the run. Live 'training.progress' events add points
 * (step events under 'step:<name>', epoch events under the catalogue's names: loss, loss_<term>, lr, voxels_per_s,
 * memory_mb, val_dice_<class>, val_dice_mean); `run.get`'s metric history refills the epoch curves after a reload or
 * a reconnect. Pure: no Vue.
 */
import type { MetricSeries, PayloadOf } from '../../../../ipc/contract.ts';
import type { ChartPoint } from '../../components/charts/downsample.ts';

export type RunCurves = Record<string, ChartPoint[]>;
type Progress = PayloadOf<'training.progress'>;

/** Adds a point keeping x order; a point at an x already there replaces it (an event seen twice adds nothing). */
export function addPoint(series: ChartPoint[], point: ChartPoint): void {
  const last = series.at(-1);
  if (!last || point.x > last.x) {
    series.push(point);
    return;
  }
  let i = series.length - 1;
  while (i >= 0 && series[i].x > point.x) i--;
  if (i >= 0 && series[i].x === point.x) series[i] = point;
  else series.splice(i + 1, 0, point);
}

function put(curves: RunCurves, name: string, x: number, y: number | null | undefined): void {
  if (y === null || y === undefined || !Number.isFinite(y)) return;
  addPoint((curves[name] ??= []), { x, y });
}

/** The points a progress event adds to its run's curves (start, checkpoint, pause and end events add none). */
export function applyProgress(curves: RunCurves, event: Progress): void {
  if (event.type === 'step') {
    const x = event.step;
    put(curves, 'step:loss', x, event.loss);
    for (const [term, v] of Object.entries(event.terms)) put(curves, `step:loss_${term}`, x, v);
    put(curves, 'step:lr', x, event.lr);
    put(curves, 'step:voxels_per_s', x, event.voxelsPerSecond);
    put(curves, 'step:memory_mb', x, event.memoryBytes / 2 ** 20);
    put(curves, 'step:eta_s', x, event.etaSeconds);
  } else if (event.type === 'epoch') {
    for (const [name, v] of Object.entries(event.metrics)) put(curves, name, event.step, v);
  }
}

/** Merges a run's stored metric history (run.get) into its curves: live points are kept, stored ones fill gaps. */
export function applyHistory(curves: RunCurves, metrics: readonly MetricSeries[]): void {
  for (const m of metrics) for (const p of m.points) put(curves, m.name, p.step, p.value);
}

/** Class names that have a validation Dice curve ('val_dice_<class>', without the mean). */
export function diceClasses(curves: RunCurves): string[] {
  return Object.keys(curves)
    .filter((k) => k.startsWith('val_dice_') && k !== 'val_dice_mean')
    .map((k) => k.slice('val_dice_'.length))
    .sort();
}

/** Loss term names seen in a run's curves (from 'step:loss_<term>' or 'loss_<term>'). */
export function lossTerms(curves: RunCurves): string[] {
  const terms = new Set<string>();
  for (const k of Object.keys(curves)) {
    const m = /^(?:step:)?loss_(.+)$/.exec(k);
    if (m) terms.add(m[1]);
  }
  return [...terms].sort();
}
