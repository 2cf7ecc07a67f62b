import { describe, expect, it } from 'vitest';
import { rankByUncertainty, type ScoredPrediction } from '../../../../renderer/src/core/results/ranking.ts';

const p = (caseId: string, score: number | null, runId: string | null = 'r1', created = '2026-01-01T00:00:00Z'): ScoredPrediction => ({
  id: `${runId}/${caseId}/${created}`,
  caseId,
  runId,
  uncertaintyScore: score,
  created,
});

describe('rankByUncertainty', () => {
  it('puts the least certain first, unscored last, ties by case id', () => {
    const ranked = rankByUncertainty([p('a', 0.1), p('b', null), p('c', 0.5), p('d', 0.1), p('e', 0.9)]);
    expect(ranked.map((r) => [r.rank, r.caseId, r.score])).toEqual([
      [1, 'e', 0.9],
      [2, 'c', 0.5],
      [3, 'a', 0.1],
      [4, 'd', 0.1],
      [5, 'b', null],
    ]);
  });

  it('keeps the latest prediction of each case and only the chosen run', () => {
    const ranked = rankByUncertainty(
      [p('a', 0.9, 'r1', '2026-01-01T00:00:00Z'), p('a', 0.2, 'r1', '2026-01-02T00:00:00Z'), p('b', 0.5, 'r1'), p('c', 1, 'r2')],
      'r1',
    );
    expect(ranked.map((r) => [r.caseId, r.score])).toEqual([
      ['b', 0.5],
      ['a', 0.2],
    ]);
  });

  it('treats a non-finite score as unscored', () => {
    expect(rankByUncertainty([p('a', Number.NaN), p('b', 0)]).map((r) => r.caseId)).toEqual(['b', 'a']);
  });
});
