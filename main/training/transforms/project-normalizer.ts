/**
 * A Normalizer for a project folder: the domain statistics stored by `segstation stats` (computeStatistics) and the
 * domains' normalisation hints, read from the catalogue. Kept apart from normalize.ts so code that only normalises
 * arrays (a training worker given the statistics) does not load the catalogue.
 */
import { listDomains } from '../../dataset/domains.ts';
import { listStatistics } from '../../dataset/statistics.ts';
import type { NormalizationHint } from '../../dataset/types.ts';
import type { NormalizationConfigInput } from './normalize.ts';
import { Normalizer } from './normalize.ts';

export async function normalizerForProject(dir: string, config: NormalizationConfigInput = {}): Promise<Normalizer> {
  const [statistics, domains] = await Promise.all([listStatistics(dir), listDomains(dir)]);
  const hints: Record<string, NormalizationHint> = {};
  for (const d of domains) hints[d.name] = d.normalization;
  return new Normalizer(config, statistics, hints);
}
