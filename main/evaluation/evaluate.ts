/**
 * Evaluation of one prediction against its ground truth: every per-class metric of main/metrics (MONAI conventions,
 * physical units from the ground truth's spacing) and, when class probabilities are given, calibration.
 */
import { computeAllMetrics, type AllMetricsOptions, type ClassMetricValues } from '../metrics/allMetrics.ts';
import {
  computeBrierScore,
  computeClassBrierScore,
  computeClassCalibrationError,
  computeExpectedCalibrationError,
} from '../metrics/calibration.ts';
import { presentClasses } from '../metrics/classMetric.ts';
import { maskOf } from '../metrics/masks.ts';
import type { Volume } from '../volume/volume.ts';
import { checkLabelMap, checkProbabilities, checkSameGrid } from './validate.ts';

export interface EvaluateOptions extends AllMetricsOptions {
  /** Classes to evaluate (label values); default every non-zero value in either map. */
  classes?: readonly number[];
  /** Class probabilities (component k = class value k), for calibration. */
  probabilities?: Volume;
  /** Names for error messages. */
  names?: { pred?: string; truth?: string; probabilities?: string };
  /** ECE bins (default 15). */
  calibrationBins?: number;
}

export interface ClassEvaluation {
  value: number;
  predVoxels: number;
  truthVoxels: number;
  metrics: ClassMetricValues;
  /** Class-wise ECE and Brier score, with probabilities only. */
  ece?: number;
  brier?: number;
}

export interface Evaluation {
  shape: Volume['shape'];
  spacing: Volume['spacing'];
  classes: ClassEvaluation[];
  /** Top-label ECE and multi-class Brier score, with probabilities only. */
  calibration?: { ece: number; brier: number; bins: number };
}

export function evaluate(pred: Volume, truth: Volume, options: EvaluateOptions = {}): Evaluation {
  const predName = options.names?.pred ?? 'prediction';
  const truthName = options.names?.truth ?? 'ground truth';
  checkLabelMap({ name: predName, volume: pred });
  checkLabelMap({ name: truthName, volume: truth });
  checkSameGrid({ name: predName, volume: pred }, { name: truthName, volume: truth });
  const classes = options.classes ?? presentClasses(pred, truth);
  let calibration: Evaluation['calibration'];
  let classEce: Map<number, number> | undefined;
  let classBrier: Map<number, number> | undefined;
  if (options.probabilities) {
    const probName = options.names?.probabilities ?? 'probabilities';
    const probs = options.probabilities;
    checkSameGrid({ name: probName, volume: probs }, { name: truthName, volume: truth });
    checkProbabilities({ name: probName, volume: probs }, probs.components);
    const input = { probabilities: probs.data, labels: truth.data, classValues: Array.from({ length: probs.components }, (_, k) => k) };
    const bins = options.calibrationBins ?? 15;
    calibration = { ece: computeExpectedCalibrationError(input, { bins }), brier: computeBrierScore(input), bins };
    classEce = computeClassCalibrationError(input, { bins });
    classBrier = computeClassBrierScore(input);
  }
  const out: ClassEvaluation[] = classes.map((value) => {
    const p = maskOf(pred.data, value, pred.shape, truth.spacing);
    const t = maskOf(truth.data, value, truth.shape, truth.spacing);
    let predVoxels = 0, truthVoxels = 0;
    for (let i = 0; i < p.data.length; i++) {
      predVoxels += p.data[i];
      truthVoxels += t.data[i];
    }
    const entry: ClassEvaluation = { value, predVoxels, truthVoxels, metrics: computeAllMetrics(p, t, options) };
    if (classEce) entry.ece = classEce.get(value) ?? NaN;
    if (classBrier) entry.brier = classBrier.get(value) ?? NaN;
    return entry;
  });
  return { shape: [...truth.shape], spacing: [...truth.spacing], classes: out, ...(calibration ? { calibration } : {}) };
}
