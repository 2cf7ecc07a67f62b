/**
 * The random augmentation pipeline. Applying it has two steps:
 *  1. `draw` picks every random parameter from the seeded `rng` into an AugmentationPlan (plain JSON: loggable,
 *     replayable; noise fields are represented by a seed of their own);
 *  2. `applyPlan` runs it. Spatial first — elastic deformation, rotation and scaling together in ONE resampling pass
 *     (trilinear image, nearest-neighbour label), then rot90 and flips (exact) — then the intensity steps on the
 *     image only, in a physical order: bias field, ghosting, blur, scale, shift, contrast, inverted gamma, gamma,
 *     Gaussian noise, Rician noise. Labels are never touched by intensity steps.
 * The same seed gives the same output on every platform (mulberry32 + fixed draw order).
 */
import { mulberry32 } from '../../util/random.ts';
import type { AugmentationConfig, AugmentationConfigInput } from './config.ts';
import { parseAugmentationConfig } from './config.ts';
import type { Axis, Rng, Sample, Shape3 } from './sample.ts';
import { axisIndex, checkSample, uniform } from './sample.ts';
import type { Plane } from './rot90.ts';
import { isSquarePlane, rot90 } from './rot90.ts';
import { flip } from './flip.ts';
import { affineSamplingMatrix } from './affine.ts';
import { elasticDisplacement } from './elastic.ts';
import { resample } from './resample.ts';
import type { Sigma3 } from './blur.ts';
import { gaussianBlurInPlace } from './blur.ts';
import { applyBiasFieldInPlace, noiseBiasField, polynomialBiasField, randomPolynomialCoefficients } from './bias-field.ts';
import { ghostingInPlace } from './ghosting.ts';
import { contrastInPlace, scaleIntensityInPlace, shiftIntensityInPlace } from './intensity.ts';
import { gammaInPlace } from './gamma.ts';
import { gaussianNoiseInPlace, ricianNoiseInPlace } from './noise.ts';

export interface SpatialPlan {
  elastic: { alpha: number; sigma: number; seed: number } | null;
  /** Degrees about x, y, z (null: no rotation drawn). */
  rotationDeg: [number, number, number] | null;
  /** Magnification per axis (null: no scaling drawn). */
  scale: [number, number, number] | null;
  rot90: { plane: Plane; k: number } | null;
  flip: Axis[];
}

export type IntensityStep =
  | { kind: 'biasField'; mode: 'polynomial'; order: number; coefficients: number[] }
  | { kind: 'biasField'; mode: 'noise'; sigma: number; strength: number; seed: number }
  | { kind: 'ghosting'; axis: Axis; count: number; intensity: number; decay: number }
  | { kind: 'blur'; sigma: (Sigma3 | null)[] }
  | { kind: 'scale'; factors: number[] }
  | { kind: 'shift'; offsets: number[] }
  | { kind: 'contrast'; factors: number[]; preserveRange: boolean }
  | { kind: 'gamma'; gammas: number[]; invert: boolean; retainStats: boolean }
  | { kind: 'gaussianNoise'; std: number[]; seed: number }
  | { kind: 'ricianNoise'; std: number[]; seed: number };

export interface AugmentationPlan {
  spatial: SpatialPlan;
  intensity: IntensityStep[];
}

const seedFrom = (rng: Rng): number => Math.floor(rng() * 4294967296) >>> 0;
const integerIn = (rng: Rng, lo: number, hi: number): number => Math.min(hi, lo + Math.floor(rng() * (hi - lo + 1)));
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.min(items.length - 1, Math.floor(rng() * items.length))];

/** nnU-Net's gamma draw: half the time below 1 (when the range allows), otherwise at or above 1. */
function drawGamma(rng: Rng, [lo, hi]: readonly [number, number]): number {
  if (rng() < 0.5 && lo < 1) return uniform(rng, lo, Math.min(1, hi));
  const from = Math.min(Math.max(lo, 1), hi);
  return uniform(rng, from, hi);
}

export class Augmentation {
  readonly config: AugmentationConfig;

  /** `config` is validated (InputError naming the field); omitted fields take the nnU-Net-like defaults. */
  constructor(config: AugmentationConfigInput = {}) {
    this.config = parseAugmentationConfig(config);
  }

  /** Draws the random parameters for one sample of this shape and channel count. */
  draw(shape: Shape3, channels: number, rng: Rng): AugmentationPlan {
    const cfg = this.config;
    const flat = shape[2] === 1;
    const perChannel = (f: () => number): number[] => {
      if (cfg.synchronizeChannels) return new Array<number>(channels).fill(f());
      return Array.from({ length: channels }, f);
    };

    const spatial: SpatialPlan = { elastic: null, rotationDeg: null, scale: null, rot90: null, flip: [] };
    if (rng() < cfg.elastic.p) {
      spatial.elastic = { alpha: uniform(rng, ...cfg.elastic.alpha), sigma: uniform(rng, ...cfg.elastic.sigma), seed: seedFrom(rng) };
    }
    if (rng() < cfg.affine.pRotation) {
      const r = cfg.affine.rotationDeg;
      spatial.rotationDeg = flat
        ? [0, 0, uniform(rng, ...cfg.affine.rotationDeg2d)]
        : [uniform(rng, ...r.x), uniform(rng, ...r.y), uniform(rng, ...r.z)];
    }
    if (rng() < cfg.affine.pScale) {
      const s = () => uniform(rng, ...cfg.affine.scale);
      if (cfg.affine.anisotropicScale) spatial.scale = [s(), s(), flat ? 1 : s()];
      else {
        const v = s();
        spatial.scale = [v, v, flat ? 1 : v];
      }
    }
    if (rng() < cfg.rot90.p) {
      const planes = cfg.rot90.planes.filter((p) => (!flat || p === 'xy') && (cfg.rot90.allowShapeChange || isSquarePlane(shape, p)));
      if (planes.length > 0) spatial.rot90 = { plane: pick(rng, planes), k: integerIn(rng, 1, 3) };
    }
    for (const axis of cfg.flip.axes) {
      if (shape[axisIndex(axis)] > 1 && rng() < cfg.flip.p && !spatial.flip.includes(axis)) spatial.flip.push(axis);
    }

    const intensity: IntensityStep[] = [];
    const bias = cfg.biasField;
    if (rng() < bias.p) {
      if (bias.mode === 'polynomial') {
        intensity.push({ kind: 'biasField', mode: 'polynomial', order: bias.order, coefficients: randomPolynomialCoefficients(bias.order, flat, bias.maxCoefficient, rng) });
      } else {
        intensity.push({ kind: 'biasField', mode: 'noise', sigma: uniform(rng, ...bias.sigma), strength: uniform(rng, ...bias.strength), seed: seedFrom(rng) });
      }
    }
    if (rng() < cfg.ghosting.p) {
      const axes = cfg.ghosting.axes.filter((a) => shape[axisIndex(a)] >= 3);
      if (axes.length > 0) {
        intensity.push({
          kind: 'ghosting',
          axis: pick(rng, axes),
          count: integerIn(rng, ...cfg.ghosting.count),
          intensity: uniform(rng, ...cfg.ghosting.intensity),
          decay: cfg.ghosting.decay,
        });
      }
    }
    if (rng() < cfg.blur.p) {
      const drawSigma = (): Sigma3 => {
        const one = () => uniform(rng, ...cfg.blur.sigma);
        const s: Sigma3 = cfg.blur.independentAxes ? [one(), one(), one()] : ((v) => [v, v, v] as Sigma3)(one());
        if (flat) s[2] = 0;
        return s;
      };
      let sigma: (Sigma3 | null)[];
      if (cfg.synchronizeChannels) {
        const s = rng() < cfg.blur.pPerChannel ? drawSigma() : null;
        sigma = new Array<Sigma3 | null>(channels).fill(s);
      } else {
        sigma = Array.from({ length: channels }, () => (rng() < cfg.blur.pPerChannel ? drawSigma() : null));
      }
      if (sigma.some((s) => s !== null)) intensity.push({ kind: 'blur', sigma });
    }
    if (rng() < cfg.scale.p) intensity.push({ kind: 'scale', factors: perChannel(() => uniform(rng, ...cfg.scale.range)) });
    if (rng() < cfg.shift.p) intensity.push({ kind: 'shift', offsets: perChannel(() => uniform(rng, ...cfg.shift.range)) });
    if (rng() < cfg.contrast.p) {
      intensity.push({ kind: 'contrast', factors: perChannel(() => uniform(rng, ...cfg.contrast.range)), preserveRange: cfg.contrast.preserveRange });
    }
    if (rng() < cfg.gamma.pInverted) {
      intensity.push({ kind: 'gamma', gammas: perChannel(() => drawGamma(rng, cfg.gamma.range)), invert: true, retainStats: cfg.gamma.retainStats });
    }
    if (rng() < cfg.gamma.p) {
      intensity.push({ kind: 'gamma', gammas: perChannel(() => drawGamma(rng, cfg.gamma.range)), invert: false, retainStats: cfg.gamma.retainStats });
    }
    if (rng() < cfg.gaussianNoise.p) {
      intensity.push({ kind: 'gaussianNoise', std: perChannel(() => uniform(rng, ...cfg.gaussianNoise.std)), seed: seedFrom(rng) });
    }
    if (rng() < cfg.ricianNoise.p) {
      intensity.push({ kind: 'ricianNoise', std: perChannel(() => uniform(rng, ...cfg.ricianNoise.std)), seed: seedFrom(rng) });
    }
    return { spatial, intensity };
  }

  /** Runs a plan (from `draw`) on a sample. Returns a new sample; the input is not modified. */
  applyPlan(sample: Sample, plan: AugmentationPlan): Sample {
    checkSample(sample);
    const { spatial } = plan;
    const flat = sample.shape[2] === 1;
    let out = sample;
    if (spatial.elastic || spatial.rotationDeg || spatial.scale) {
      const matrix = affineSamplingMatrix({ rotationDeg: spatial.rotationDeg ?? [0, 0, 0], scale: spatial.scale ?? [1, 1, 1] }, flat);
      const displacement = spatial.elastic ? elasticDisplacement(sample.shape, spatial.elastic, mulberry32(spatial.elastic.seed)) : null;
      const { mode, imageFill, labelFill } = this.config.border;
      out = resample(out, matrix, displacement, { mode, imageFill, labelFill });
    }
    if (spatial.rot90) out = rot90(out, spatial.rot90.plane, spatial.rot90.k);
    if (spatial.flip.length > 0) out = flip(out, spatial.flip);
    // Own buffers from here on: intensity steps work in place.
    if (out === sample) out = { ...sample, image: sample.image.slice(), label: sample.label.slice(), shape: [...sample.shape] };
    const { image, shape, channels } = out;
    for (const step of plan.intensity) {
      switch (step.kind) {
        case 'biasField': {
          const field =
            step.mode === 'polynomial'
              ? polynomialBiasField(shape, step.order, step.coefficients)
              : noiseBiasField(shape, step.sigma, step.strength, mulberry32(step.seed));
          applyBiasFieldInPlace(image, channels, field);
          break;
        }
        case 'ghosting':
          ghostingInPlace(image, shape, channels, step);
          break;
        case 'blur':
          step.sigma.forEach((s, c) => {
            if (s) gaussianBlurInPlace(image, shape, channels, c, s);
          });
          break;
        case 'scale':
          scaleIntensityInPlace(image, channels, step.factors);
          break;
        case 'shift':
          shiftIntensityInPlace(image, channels, step.offsets);
          break;
        case 'contrast':
          contrastInPlace(image, channels, step.factors, step.preserveRange);
          break;
        case 'gamma':
          gammaInPlace(image, channels, step.gammas, { invert: step.invert, retainStats: step.retainStats });
          break;
        case 'gaussianNoise':
          gaussianNoiseInPlace(image, channels, step.std, mulberry32(step.seed));
          break;
        case 'ricianNoise':
          ricianNoiseInPlace(image, channels, step.std, mulberry32(step.seed));
          break;
      }
    }
    return out;
  }

  /** Draws a plan from `rng` and applies it. */
  apply(sample: Sample, rng: Rng): Sample {
    checkSample(sample);
    return this.applyPlan(sample, this.draw(sample.shape, sample.channels, rng));
  }
}

export type AugmentFn = (sample: Sample, rng: Rng) => Sample;

/** The pipeline as a plain function: `createAugmentation(config)(sample, rng)`. */
export function createAugmentation(config: AugmentationConfigInput = {}): AugmentFn {
  const augmentation = new Augmentation(config);
  return (sample, rng) => augmentation.apply(sample, rng);
}
