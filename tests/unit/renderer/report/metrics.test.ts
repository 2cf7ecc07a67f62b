// Metrics panel tables: metric list, cohort summary per class, case x class table, sorting (NaN last) and cell colours.
import { describe, expect, it } from 'vitest';
import {
  NO_VALUE_COLOUR,
  caseTable,
  cellColour,
  classSummary,
  finiteRange,
  formatMetric,
  metricNames,
  metricNumber,
  sortCaseRows,
  valuesByClass,
  type EvaluationRow,
  type SummaryRow,
} from '../../../../renderer/src/core/report/metrics.ts';

const classes = [
  { value: 1, name: 'ball' },
  { value: 2, name: 'slab' },
  { value: -1, name: 'all classes' },
];
const rows: EvaluationRow[] = [
  { caseId: 'case10', class: 1, metric: 'dice', value: 0.9 },
  { caseId: 'case10', class: 2, metric: 'dice', value: 'NaN' },
  { caseId: 'case2', class: 1, metric: 'dice', value: 0.5 },
  { caseId: 'case2', class: 2, metric: 'dice', value: 0.7 },
  { caseId: 'case1', class: 1, metric: 'dice', value: 0.7 },
  { caseId: 'case1', class: 2, metric: 'dice', value: 0.8 },
  { caseId: 'case1', class: 1, metric: 'hd95', value: 'Infinity' },
  { caseId: 'case2', class: 1, metric: 'hd95', value: 2 },
  { caseId: 'case1', class: -1, metric: 'ece', value: 0.1 },
  { caseId: 'case1', class: 2, metric: 'zeta', value: 1 },
];

describe('metric values and names', () => {
  it.each([
    [0.5, 0.5],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
  ] as const)('%s -> %s', (v, n) => expect(metricNumber(v)).toBe(n));
  it('NaN string -> NaN', () => expect(metricNumber('NaN')).toBeNaN());
  it('lists preferred metrics first, the rest alphabetically', () => {
    expect(metricNames(rows)).toEqual(['dice', 'hd95', 'ece', 'zeta']);
  });
  it.each([
    [0.123456, '0.1235'],
    [3, '3'],
    [NaN, 'NaN'],
    [Infinity, '∞'],
    [-Infinity, '−∞'],
  ])('formats %s as %s', (v, text) => expect(formatMetric(v)).toBe(text));
});

describe('case x class table', () => {
  const table = caseTable(rows, classes, 'dice');
  it('has one column per class with values, one row per case in natural order, NaN where missing', () => {
    expect(table.classes).toEqual([{ value: 1, name: 'ball' }, { value: 2, name: 'slab' }]);
    expect(table.rows.map((r) => r.caseId)).toEqual(['case1', 'case2', 'case10']);
    expect(table.rows[0].values).toEqual([0.7, 0.8]);
    expect(table.rows[2].values[0]).toBe(0.9);
    expect(table.rows[2].values[1]).toBeNaN();
  });
  it('puts class -1 last and names unknown classes', () => {
    expect(caseTable(rows, classes, 'ece').classes).toEqual([{ value: -1, name: 'all classes' }]);
    expect(caseTable([{ caseId: 'a', class: 7, metric: 'dice', value: 1 }], classes, 'dice').classes).toEqual([{ value: 7, name: 'class 7' }]);
  });
  it.each([
    [{ column: 0, descending: false }, ['case2', 'case1', 'case10']],
    [{ column: 0, descending: true }, ['case10', 'case1', 'case2']],
    [{ column: 1, descending: false }, ['case2', 'case1', 'case10']],
    [{ column: 1, descending: true }, ['case1', 'case2', 'case10']],
    [{ column: -1, descending: true }, ['case10', 'case2', 'case1']],
  ])('sorts by %o (NaN last either way)', (sort, order) => {
    expect(sortCaseRows(table.rows, sort).map((r) => r.caseId)).toEqual(order);
  });
  it('keeps the input order untouched', () => {
    sortCaseRows(table.rows, { column: 0, descending: true });
    expect(table.rows.map((r) => r.caseId)).toEqual(['case1', 'case2', 'case10']);
  });
  it('gives the finite values per class for the cohort plot, counting the others', () => {
    expect(valuesByClass(rows, classes, 'hd95')).toEqual([{ value: 1, name: 'ball', values: [2], nonFinite: 1 }]);
  });
});

describe('cell colours', () => {
  it('finite range ignores NaN and infinities; null without finite values', () => {
    expect(finiteRange([NaN, 0.2, Infinity, 0.9, -Infinity])).toEqual([0.2, 0.9]);
    expect(finiteRange([NaN])).toBeNull();
  });
  it('goes red -> amber -> green for larger-is-better metrics', () => {
    expect(cellColour(0, [0, 1], 'dice')).toEqual([178, 34, 34]);
    expect(cellColour(0.5, [0, 1], 'dice')).toEqual([214, 168, 40]);
    expect(cellColour(1, [0, 1], 'dice')).toEqual([40, 140, 70]);
    expect(cellColour(0.25, [0, 1], 'dice')).toEqual([196, 101, 37]);
  });
  it('reverses for distances', () => {
    expect(cellColour(0, [0, 10], 'hd95')).toEqual([40, 140, 70]);
    expect(cellColour(10, [0, 10], 'hd95')).toEqual([178, 34, 34]);
  });
  it('a single-value range is best; non-finite cells are grey', () => {
    expect(cellColour(3, [3, 3], 'hd95')).toEqual([40, 140, 70]);
    expect(cellColour(3, [3, 3], 'dice')).toEqual([40, 140, 70]);
    expect(cellColour(NaN, [0, 1], 'dice')).toEqual(NO_VALUE_COLOUR);
    expect(cellColour(Infinity, [0, 1], 'hd95')).toEqual(NO_VALUE_COLOUR);
  });
});

describe('cohort summary per class', () => {
  const summary: SummaryRow[] = [
    { class: -1, className: 'all classes', metric: 'dice', n: 3, nan: 0, infinite: 0, mean: 0.5, median: 0.5, std: 0.1, ciLow: 0.4, ciHigh: 0.6 },
    { class: 2, className: 'slab', metric: 'dice', n: 2, nan: 1, infinite: 0, mean: 0.75, median: 0.75, std: 0.07, ciLow: 0.7, ciHigh: 0.8 },
    { class: 1, className: 'ball', metric: 'dice', n: 3, nan: 0, infinite: 0, mean: 0.7, median: 0.7, std: 0.2, ciLow: 0.5, ciHigh: 0.9 },
    { class: 1, className: 'ball', metric: 'hd95', n: 1, nan: 0, infinite: 1, mean: 2, median: 2, std: 'NaN', ciLow: 2, ciHigh: 2 },
  ];
  it('keeps one metric, classes in order, all-classes last, strings as numbers', () => {
    const out = classSummary(summary, 'dice');
    expect(out.map((s) => s.class)).toEqual([1, 2, -1]);
    expect(out[1]).toMatchObject({ className: 'slab', n: 2, nan: 1, mean: 0.75, ciLow: 0.7, ciHigh: 0.8 });
    expect(classSummary(summary, 'hd95')[0].std).toBeNaN();
    expect(classSummary(summary, 'hd95')[0].infinite).toBe(1);
  });
});
