/**
 * Tables of an evaluation (the rows and summary of `evaluation.get`) for the metrics panel: which metrics the rows
 * carry, the cohort summary of one metric per class, a case x class table of one metric, its sorting and the colour of
 * each cell. Pure functions; the panel renders what they return.
 */
import type { EvaluationResult, MetricValue } from '../../../../ipc/contract.ts';

export type EvaluationRow = EvaluationResult['rows'][number];
export type SummaryRow = EvaluationResult['summary'][number];

/** Metrics in the order the panel offers them; metrics not listed follow alphabetically. */
const PREFERRED_ORDER = ['dice', 'iou', 'hd95', 'assd', 'surface_dice', 'boundary_iou', 'precision', 'recall', 'specificity', 'volume_similarity', 'hausdorff'];

/** Metrics where a smaller value is better (distances, calibration errors); every other metric: larger is better. */
const LOWER_IS_BETTER = new Set(['hd95', 'assd', 'hausdorff', 'ece', 'brier', 'slice_change_ratio', 'slice_change_pred', 'slice_change_truth']);

/** A metric value as a number: JSON carries NaN and the infinities as strings. */
export function metricNumber(value: MetricValue): number {
  if (typeof value === 'number') return value;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  return NaN;
}

export function lowerIsBetter(metric: string): boolean {
  return LOWER_IS_BETTER.has(metric);
}

/** Every metric the rows carry, preferred ones first. */
export function metricNames(rows: readonly { metric: string }[]): string[] {
  const names = [...new Set(rows.map((r) => r.metric))];
  const rank = (m: string) => {
    const i = PREFERRED_ORDER.indexOf(m);
    return i < 0 ? PREFERRED_ORDER.length : i;
  };
  return names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** A number for a table cell: 4 significant digits, 'NaN', '∞' / '−∞'. */
export function formatMetric(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  if (Number.isInteger(value)) return String(value);
  return String(+value.toPrecision(4));
}

export interface ClassSummary {
  class: number;
  className: string;
  n: number;
  nan: number;
  infinite: number;
  mean: number;
  median: number;
  std: number;
  ciLow: number;
  ciHigh: number;
}

/** The cohort summary of one metric, one row per class (class -1, "all classes", last). */
export function classSummary(summary: readonly SummaryRow[], metric: string): ClassSummary[] {
  return summary
    .filter((s) => s.metric === metric)
    .map((s) => ({
      class: s.class,
      className: s.className,
      n: s.n,
      nan: s.nan,
      infinite: s.infinite,
      mean: metricNumber(s.mean),
      median: metricNumber(s.median),
      std: metricNumber(s.std),
      ciLow: metricNumber(s.ciLow),
      ciHigh: metricNumber(s.ciHigh),
    }))
    .sort((a, b) => (a.class < 0 ? 1 : 0) - (b.class < 0 ? 1 : 0) || a.class - b.class);
}

export interface CaseTable {
  /** Columns: the classes that have a value of the metric in some case, in class order. */
  classes: { value: number; name: string }[];
  /** One row per case (sorted by case id); values[i] belongs to classes[i], NaN where the case has no row. */
  rows: { caseId: string; values: number[] }[];
}

/** Case x class table of one metric. */
export function caseTable(rows: readonly EvaluationRow[], classes: readonly { value: number; name: string }[], metric: string): CaseTable {
  const ofMetric = rows.filter((r) => r.metric === metric);
  const present = new Set(ofMetric.map((r) => r.class));
  const columns = [...present]
    .sort((a, b) => (a < 0 ? 1 : 0) - (b < 0 ? 1 : 0) || a - b)
    .map((value) => ({ value, name: classes.find((c) => c.value === value)?.name ?? (value < 0 ? 'all classes' : `class ${value}`) }));
  const byCase = new Map<string, number[]>();
  for (const r of ofMetric) {
    let values = byCase.get(r.caseId);
    if (!values) byCase.set(r.caseId, (values = columns.map(() => NaN)));
    values[columns.findIndex((c) => c.value === r.class)] = metricNumber(r.value);
  }
  const caseRows = [...byCase].map(([caseId, values]) => ({ caseId, values })).sort((a, b) => a.caseId.localeCompare(b.caseId, undefined, { numeric: true }));
  return { classes: columns, rows: caseRows };
}

/** Sort by case id (column -1) or by the values of one class column; NaN always sorts last, whatever the direction. */
export interface CaseSort {
  column: number;
  descending: boolean;
}

export function sortCaseRows(rows: readonly CaseTable['rows'][number][], sort: CaseSort): CaseTable['rows'] {
  const sign = sort.descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    if (sort.column < 0) return sign * a.caseId.localeCompare(b.caseId, undefined, { numeric: true });
    const x = a.values[sort.column] ?? NaN;
    const y = b.values[sort.column] ?? NaN;
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (Number.isNaN(x) && Number.isNaN(y)) return a.caseId.localeCompare(b.caseId, undefined, { numeric: true });
      return Number.isNaN(x) ? 1 : -1;
    }
    if (x === y) return a.caseId.localeCompare(b.caseId, undefined, { numeric: true });
    return sign * (x < y ? -1 : 1);
  });
}

/** Smallest and largest finite value of a table, null when there is none. */
export function finiteRange(values: Iterable<number>): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : null;
}

export type Rgb = [number, number, number];
const WORST: Rgb = [178, 34, 34];
const MIDDLE: Rgb = [214, 168, 40];
const BEST: Rgb = [40, 140, 70];
/** Cells without a finite value (NaN, an infinite distance). */
export const NO_VALUE_COLOUR: Rgb = [70, 72, 80];

function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [Math.round(a[0] + (b[0] - a[0]) * t), Math.round(a[1] + (b[1] - a[1]) * t), Math.round(a[2] + (b[2] - a[2]) * t)];
}

/**
 * Colour of a cell: red (worst) through amber to green (best) over the table's finite range, whichever direction is
 * better for the metric. A range of one value is all best; non-finite values get NO_VALUE_COLOUR.
 */
export function cellColour(value: number, range: [number, number] | null, metric: string): Rgb {
  if (!Number.isFinite(value) || range === null) return NO_VALUE_COLOUR;
  const [lo, hi] = range;
  let t = hi > lo ? (value - lo) / (hi - lo) : 1;
  t = Math.min(1, Math.max(0, t));
  if (lowerIsBetter(metric)) t = hi > lo ? 1 - t : 1;
  return t < 0.5 ? mix(WORST, MIDDLE, t * 2) : mix(MIDDLE, BEST, (t - 0.5) * 2);
}

export function rgbCss(c: Rgb): string {
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

/** Finite values of one metric per class, for the cohort plot. Class -1 is left out (it is not a class). */
export function valuesByClass(rows: readonly EvaluationRow[], classes: readonly { value: number; name: string }[], metric: string): { value: number; name: string; values: number[]; nonFinite: number }[] {
  const table = caseTable(rows, classes, metric);
  return table.classes
    .map((c, i) => {
      const all = table.rows.map((r) => r.values[i]);
      const values = all.filter((v) => Number.isFinite(v));
      return { ...c, values, nonFinite: all.length - values.length };
    })
    .filter((c) => c.value >= 0);
}
