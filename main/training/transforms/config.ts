/**
 * Augmentation configuration (zod). Every transform has its own probability; defaults follow nnU-Net v2's
 * training transforms where nnU-Net has the transform (mirror 0.5 per axis, rotation 0.2 over ±30° per axis in 3D and
 * ±180° in 2D, scaling 0.2 over 0.7..1.4, Gaussian noise 0.1, blur 0.2 with 0.5 per channel and sigma 0.5..1,
 * brightness 0.15 over 0.75..1.25, contrast 0.15, inverted gamma 0.1 and gamma 0.3 over 0.7..1.5) and are off (p = 0)
 * for the ones it does not use by default (rot90, elastic, shift, Rician noise, bias field, ghosting).
 */
import { z } from 'zod';
import { InputError } from '../../util/errors.ts';

const probability = z.number().min(0, 'a probability must be >= 0').max(1, 'a probability must be <= 1');

/** [lo, hi] with lo <= hi, each within [min, max]. */
function range(min: number, max: number, fallback: [number, number]) {
  return z
    .tuple([z.number().min(min).max(max), z.number().min(min).max(max)])
    .refine(([lo, hi]) => lo <= hi, { message: 'the lower bound must not exceed the upper bound' })
    .default(fallback);
}

const axis = z.enum(['x', 'y', 'z']);
const plane = z.enum(['xy', 'xz', 'yz']);

export const BorderConfigSchema = z.strictObject({
  /** constant: fill with imageFill / labelFill; edge: repeat the border voxel. */
  mode: z.enum(['constant', 'edge']).default('constant'),
  imageFill: z.number().default(0),
  labelFill: z.number().int().min(0).max(255).default(0),
});

export const AugmentationConfigSchema = z.strictObject({
  /** Draw intensity parameters once for all channels instead of per channel. */
  synchronizeChannels: z.boolean().default(false),
  /** How rotation, scaling and elastic deformation fill voxels that come from outside the patch. */
  border: BorderConfigSchema.prefault({}),
  flip: z
    .strictObject({
      /** Probability of mirroring, drawn for each axis separately. */
      p: probability.default(0.5),
      axes: z.array(axis).default(['x', 'y', 'z']),
    })
    .prefault({}),
  rot90: z
    .strictObject({
      p: probability.default(0),
      planes: z.array(plane).min(1).default(['xy']),
      /** Rotate non-square planes too (the sample's shape changes); otherwise only square planes are used. */
      allowShapeChange: z.boolean().default(false),
    })
    .prefault({}),
  affine: z
    .strictObject({
      pRotation: probability.default(0.2),
      /** Degrees about each axis (3D samples). */
      rotationDeg: z
        .strictObject({ x: range(-360, 360, [-30, 30]), y: range(-360, 360, [-30, 30]), z: range(-360, 360, [-30, 30]) })
        .prefault({}),
      /** Degrees in plane for 2D samples (nz = 1). */
      rotationDeg2d: range(-360, 360, [-180, 180]),
      pScale: probability.default(0.2),
      /** Magnification factor range (> 1 enlarges the content). */
      scale: range(0.05, 20, [0.7, 1.4]),
      /** Draw a separate scale per axis. */
      anisotropicScale: z.boolean().default(false),
    })
    .prefault({}),
  elastic: z
    .strictObject({
      p: probability.default(0),
      /** RMS displacement per axis, voxels. */
      alpha: range(0, 100, [0, 3]),
      /** Smoothness of the displacement field, voxels. */
      sigma: range(0.5, 1000, [9, 13]),
    })
    .prefault({}),
  biasField: z
    .strictObject({
      p: probability.default(0),
      mode: z.enum(['polynomial', 'noise']).default('polynomial'),
      /** Polynomial order (polynomial mode). */
      order: z.number().int().min(0).max(6).default(3),
      /** Coefficients drawn uniformly in [-c, c] (polynomial mode; TorchIO's default 0.5). */
      maxCoefficient: z.number().min(0).max(10).default(0.5),
      /** Correlation length in voxels (noise mode). */
      sigma: range(0.5, 10000, [24, 48]),
      /** RMS of the log-field (noise mode). */
      strength: range(0, 5, [0, 0.3]),
    })
    .prefault({}),
  ghosting: z
    .strictObject({
      p: probability.default(0),
      /** Candidate phase-encoding axes (one drawn per application). */
      axes: z.array(axis).min(1).default(['x', 'y']),
      /** Ghosts on each side, an integer range. */
      count: range(1, 16, [1, 4]).refine(([a, b]) => Number.isInteger(a) && Number.isInteger(b), { message: 'must be integers' }),
      intensity: range(0, 10, [0.05, 0.3]),
      decay: z.number().min(0).max(1).default(0.5),
    })
    .prefault({}),
  blur: z
    .strictObject({
      p: probability.default(0.2),
      /** Given the sample is blurred, the probability for each channel. */
      pPerChannel: probability.default(0.5),
      sigma: range(0, 100, [0.5, 1]),
      /** Draw sigma per axis rather than one for all axes. */
      independentAxes: z.boolean().default(true),
    })
    .prefault({}),
  scale: z.strictObject({ p: probability.default(0.15), range: range(0, 100, [0.75, 1.25]) }).prefault({}),
  shift: z.strictObject({ p: probability.default(0), range: range(-1e6, 1e6, [-0.1, 0.1]) }).prefault({}),
  contrast: z
    .strictObject({ p: probability.default(0.15), range: range(0, 100, [0.75, 1.25]), preserveRange: z.boolean().default(true) })
    .prefault({}),
  gamma: z
    .strictObject({
      /** Probability of a gamma on the image. */
      p: probability.default(0.3),
      /** Probability of a gamma on the inverted image (applied first). */
      pInverted: probability.default(0.1),
      range: range(0.01, 100, [0.7, 1.5]),
      retainStats: z.boolean().default(true),
    })
    .prefault({}),
  gaussianNoise: z.strictObject({ p: probability.default(0.1), std: range(0, 1e6, [0, 0.1]) }).prefault({}),
  ricianNoise: z.strictObject({ p: probability.default(0), std: range(0, 1e6, [0, 0.1]) }).prefault({}),
});

export type AugmentationConfig = z.infer<typeof AugmentationConfigSchema>;
export type AugmentationConfigInput = z.input<typeof AugmentationConfigSchema>;

/** Validates a config (JSON/YAML already parsed); the first problem becomes an InputError naming the field. */
export function parseAugmentationConfig(value: unknown, subject = 'augmentation'): AugmentationConfig {
  const result = AugmentationConfigSchema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue.path.length > 0 ? `${subject}.${issue.path.map(String).join('.')}` : subject;
  const keys = issue.code === 'unrecognized_keys' ? ` (known: ${knownKeys(issue.path.map(String)).join(', ')})` : '';
  throw new InputError(field, `${issue.message}${keys}`);
}

function knownKeys(path: string[]): string[] {
  let schema: z.ZodType = AugmentationConfigSchema;
  for (const key of path) {
    const inner = unwrap(schema);
    if (!(inner instanceof z.ZodObject)) return [];
    schema = (inner.shape as Record<string, z.ZodType>)[key];
  }
  const inner = unwrap(schema);
  return inner instanceof z.ZodObject ? Object.keys(inner.shape) : [];
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s: z.ZodType = schema;
  while (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
  return s;
}

/** The defaults (nnU-Net-like). */
export function defaultAugmentationConfig(): AugmentationConfig {
  return AugmentationConfigSchema.parse({});
}
