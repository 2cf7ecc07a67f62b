/**
 * The training step of `npm run demo`: train the demo config on a project (in a child process, on cpu), then score
 * the best checkpoint on the held-out cases of the fold against a multi-Otsu threshold computed in the same run on
 * the same volumes. Multi-Otsu classes (ordered by intensity) are matched to the phases by the permutation that
 * maximises its mean foreground Dice, so the baseline gets its best possible reading.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '../../io/formats.ts';
import { loadModel, assignWeights } from '../../../models/card.ts';
import { createWeights, disposeWeights } from '../../../models/forward.ts';
import { readVolume } from '../../io/registry.ts';
import { listDomains } from '../../dataset/domains.ts';
import { MultiOtsu } from '../baselines/multiOtsu.ts';
import { loadTrainingConfig } from '../config/index.ts';
import { loadCase } from '../data/cases.ts';
import { loadTrainingSet } from '../data/project.ts';
import { createNormalizer } from '../transforms/normalize.ts';
import { describeEvent } from './describe.ts';
import { runTraining } from './process.ts';
import { computeDice, meanForegroundDice, predictCase, predictionTile } from './validate.ts';

export const DEMO_CONFIG = fileURLToPath(new URL('../../../resources/configs/demo-2.5d.yaml', import.meta.url));

export interface DemoCaseScore {
  caseId: string;
  modelDice: number[];
  otsuDice: number[];
  modelMean: number;
  otsuMean: number;
}

export interface DemoTrainingResult {
  runId: string;
  classes: string[];
  cases: DemoCaseScore[];
  modelMean: number;
  otsuMean: number;
  trainSeconds: number;
}

function permutations(n: number): number[][] {
  if (n === 1) return [[0]];
  const out: number[][] = [];
  for (const p of permutations(n - 1)) for (let i = 0; i <= p.length; i++) out.push([...p.slice(0, i), n - 1, ...p.slice(i)]);
  return out;
}

/** Multi-Otsu labels of one volume with the class order that best matches `truth`. */
export function bestOtsuDice(image: ArrayLike<number>, truth: Uint8Array, classes: number): number[] {
  const raw = new MultiOtsu({ classes, bins: 256 }).fit(image).predict(image);
  let best: number[] = [];
  let bestMean = -Infinity;
  const mapped = new Uint8Array(raw.length);
  for (const perm of permutations(classes)) {
    for (let i = 0; i < raw.length; i++) mapped[i] = perm[raw[i]];
    const dice = computeDice(mapped, truth, classes);
    const mean = meanForegroundDice(dice);
    if (mean > bestMean) {
      bestMean = mean;
      best = dice;
    }
  }
  return best;
}

export async function trainDemoModel(project: string, options: { configFile?: string; log?: (line: string) => void; fold?: number } = {}): Promise<DemoTrainingResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const fold = options.fold ?? 0;
  const config = await loadTrainingConfig(options.configFile ?? DEMO_CONFIG);
  const t0 = performance.now();
  const outcome = await runTraining({ project, config, fold, backend: 'cpu' }, (event) => {
    const line = describeEvent(event, false);
    if (line) log(`    ${line.replace(/\n/g, '\n    ')}`);
  });
  const trainSeconds = (performance.now() - t0) / 1000;
  const runId = outcome.end?.runId as string;

  // Score the best checkpoint on every held-out case of the fold (PROD: no tfjs debug checks or console advert).
  tf.env().set('PROD', true);
  const set = await loadTrainingSet(project, fold);
  const checkpoints = path.join(set.project, 'runs', runId, 'checkpoints');
  // 'best' exists once a validation scored; a run stopped before its first validation only has 'last'.
  const { card, tensors } = await loadModel(path.join(checkpoints, existsSync(path.join(checkpoints, 'best')) ? 'best' : 'last'));
  const store = createWeights(card.network, 0);
  assignWeights(card.network, store, tensors, 'best checkpoint');
  const hints = Object.fromEntries((await listDomains(project)).map((d) => [d.name, d.normalization]));
  const normalizer = createNormalizer(config.normalization, set.statistics, hints);
  const classes = set.classes.length;
  const cases: DemoCaseScore[] = [];
  try {
    for (const ref of set.val) {
      const c = await loadCase(ref, normalizer, classes);
      const predicted = predictCase(card.network, store, c, predictionTile(card.network, c.shape, card.patchSize), 8);
      const modelDice = computeDice(predicted, c.label, classes);
      const raw = await readVolume(ref.images[0]);
      const otsuDice = bestOtsuDice(raw.data as ArrayLike<number>, c.label, classes);
      cases.push({ caseId: ref.id, modelDice, otsuDice, modelMean: meanForegroundDice(modelDice), otsuMean: meanForegroundDice(otsuDice) });
    }
  } finally {
    disposeWeights(store);
  }
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    runId,
    classes: set.classes.map((c) => c.name),
    cases,
    modelMean: mean(cases.map((c) => c.modelMean)),
    otsuMean: mean(cases.map((c) => c.otsuMean)),
    trainSeconds,
  };
}

/** The demo's printout of the comparison. */
export function formatDemoResult(r: DemoTrainingResult): string {
  const fg = r.classes.slice(1);
  const lines = [`    held-out Dice per phase (${fg.join(', ')}) and mean foreground:`];
  for (const c of r.cases) {
    const fmt = (d: number[]): string => d.slice(1).map((v) => v.toFixed(3)).join(' / ');
    lines.push(`      ${c.caseId}: U-Net ${fmt(c.modelDice)} mean ${c.modelMean.toFixed(4)} | multi-Otsu ${fmt(c.otsuDice)} mean ${c.otsuMean.toFixed(4)}`);
  }
  const verdict = r.modelMean > r.otsuMean ? 'beats' : 'does NOT beat';
  lines.push(`    U-Net mean foreground Dice ${r.modelMean.toFixed(4)} ${verdict} multi-Otsu ${r.otsuMean.toFixed(4)} (trained ${r.trainSeconds.toFixed(0)} s, run ${r.runId})`);
  return lines.join('\n');
}
