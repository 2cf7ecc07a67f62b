/**
 * Cases ranked for review (active learning): the least certain first. One row per case — the latest prediction of the
 * case in the run — sorted by uncertainty score, highest first; cases without a score come last, ties by case id.
 */

export interface ScoredPrediction {
  id: string;
  caseId: string;
  runId: string | null;
  uncertaintyScore: number | null;
  /** ISO 8601; the latest prediction of a case wins. */
  created: string;
}

export interface RankedCase<P extends ScoredPrediction = ScoredPrediction> {
  rank: number;
  caseId: string;
  score: number | null;
  prediction: P;
}

export function rankByUncertainty<P extends ScoredPrediction>(predictions: readonly P[], runId?: string): RankedCase<P>[] {
  const latest = new Map<string, P>();
  for (const p of predictions) {
    if (runId !== undefined && p.runId !== runId) continue;
    const seen = latest.get(p.caseId);
    if (!seen || p.created > seen.created) latest.set(p.caseId, p);
  }
  const score = (p: P) => (p.uncertaintyScore !== null && Number.isFinite(p.uncertaintyScore) ? p.uncertaintyScore : null);
  return [...latest.values()]
    .sort((a, b) => {
      const sa = score(a);
      const sb = score(b);
      if (sa !== sb) {
        if (sa === null) return 1;
        if (sb === null) return -1;
        return sb - sa;
      }
      return a.caseId < b.caseId ? -1 : a.caseId > b.caseId ? 1 : 0;
    })
    .map((p, i) => ({ rank: i + 1, caseId: p.caseId, score: score(p), prediction: p }));
}
