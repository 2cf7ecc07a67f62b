/**
 * Intensity normalisation per domain and channel, configured by `NormalizationConfigSchema`:
 * - zscore: (v - mean) / max(std, 1e-8), mean/std of this sample's channel (`source: 'sample'`, nnU-Net's default for
 *   non-CT) or the domain's statistics (`source: 'domain'`).
 * - ct: clip to the 0.5/99.5 percentiles then z-score (nnU-Net's CTNormalization). `source: 'domain'` (default) uses
 *   the catalogue's foreground statistics; `source: 'sample'` this sample's own percentiles (numpy 'linear'), mean, std.
 * - fixed: user-given mean and std.
 * - rescale01: (v - lo) / (hi - lo), lo/hi the min/max (or the 0.5/99.5 percentiles) of the sample or the domain,
 *   clipped to [0, 1] unless `clip: false`.
 * - none: values copied as they are.
 * - auto: the domain's normalisation hint when one is given (zscore, ct, rescale01, none), otherwise ct for a domain
 *   whose statistics say modality CT, else per-sample zscore (nnU-Net's rule).
 * `default` applies to every domain not listed in `domains`; either may be one scheme for all channels or one per
 * channel. Domain statistics come from main/dataset/statistics.ts (`computeStatistics` / `listStatistics`).
 * Non-finite input voxels become 0 so a NaN in a file cannot poison a training step.
 */
import { z } from 'zod';
import type { DomainStatistics, NormalizationHint } from '../../dataset/types.ts';
import { InputError } from '../../util/errors.ts';
import type { Sample } from './sample.ts';
import { checkSample } from './sample.ts';

const source = z.enum(['sample', 'domain']);
const positive = z.number().refine((v) => Number.isFinite(v) && v > 0, 'must be a finite number > 0');
const finite = z.number().refine((v) => Number.isFinite(v), 'must be finite');

export const NormalizationSchemeSchema = z.discriminatedUnion('scheme', [
  z.strictObject({ scheme: z.literal('auto') }),
  z.strictObject({ scheme: z.literal('zscore'), source: source.default('sample') }),
  z.strictObject({ scheme: z.literal('ct'), source: source.default('domain') }),
  z.strictObject({ scheme: z.literal('fixed'), mean: finite, std: positive }),
  z.strictObject({
    scheme: z.literal('rescale01'),
    source: source.default('sample'),
    bounds: z.enum(['minmax', 'percentiles']).default('minmax'),
    clip: z.boolean().default(true),
  }),
  z.strictObject({ scheme: z.literal('none') }),
]);
export type NormalizationScheme = z.infer<typeof NormalizationSchemeSchema>;

const schemes = z.union([NormalizationSchemeSchema, z.array(NormalizationSchemeSchema).min(1)]);

export const NormalizationConfigSchema = z.strictObject({
  default: schemes.default([{ scheme: 'auto' }]),
  domains: z.record(z.string(), schemes).default({}),
});
export type NormalizationConfig = z.infer<typeof NormalizationConfigSchema>;
export type NormalizationConfigInput = z.input<typeof NormalizationConfigSchema>;

/**
 * The most telling issue: inside "one scheme or a list of schemes" zod reports only "Invalid input", so descend into
 * the alternative that got furthest (the longest path), e.g. `default.source` rather than `default`.
 */
function specificIssue(issue: z.core.$ZodIssue, prefix: PropertyKey[] = []): { path: PropertyKey[]; message: string } {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const best = issue.errors
      .filter((branch) => branch.length > 0)
      .map((branch) => branch[0])
      .sort((a, b) => b.path.length - a.path.length || Number(a.code === 'invalid_type') - Number(b.code === 'invalid_type'))[0];
    if (best) return specificIssue(best, path);
  }
  return { path, message: issue.message };
}

export function parseNormalizationConfig(value: unknown, subject = 'normalization'): NormalizationConfig {
  const result = NormalizationConfigSchema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = specificIssue(result.error.issues[0]);
  const field = issue.path.length > 0 ? `${subject}.${issue.path.map(String).join('.')}` : subject;
  throw new InputError(field, issue.message);
}

/** What a channel of a domain gets, with the numbers taken from the statistics (for logs and model cards). */
export type ResolvedNormalization =
  | { scheme: 'none' }
  | { scheme: 'zscore-sample' }
  | { scheme: 'ct-sample' }
  | { scheme: 'rescale01-sample'; bounds: 'minmax' | 'percentiles'; clip: boolean }
  /** (clip(v, clip) - offset) / divisor */
  | { scheme: 'linear'; from: 'zscore' | 'ct' | 'fixed' | 'rescale01'; clip: [number, number] | null; offset: number; divisor: number; clamp01: boolean };

/** A resolved scheme as applied to voxels (a trained model's card stores 'linear' with any provenance in `from`). */
export type AppliedNormalization =
  | Exclude<ResolvedNormalization, { scheme: 'linear' }>
  | (Omit<Extract<ResolvedNormalization, { scheme: 'linear' }>, 'from'> & { from: string });

const EPS = 1e-8;

/**
 * numpy's default 'linear' percentile of sorted values, the definition main/dataset/statistics.ts uses (repeated here
 * so the training worker does not load the catalogue and OME-Zarr code).
 */
export function linearPercentile(sorted: ArrayLike<number>, p: number): number {
  const h = ((sorted.length - 1) * p) / 100;
  const lo = Math.floor(h);
  const a = sorted[lo];
  if (lo + 1 >= sorted.length || h === lo) return a;
  return a + (h - lo) * (sorted[lo + 1] - a);
}

/** Moments and percentiles of the finite values of one channel of an interleaved array. */
export function channelValues(image: ArrayLike<number>, channels: number, c: number): Float64Array {
  const values = new Float64Array(Math.floor(image.length / channels));
  let n = 0;
  for (let i = c; i < image.length; i += channels) {
    const v = image[i];
    if (v - v === 0) values[n++] = v;
  }
  return values.subarray(0, n);
}

export function moments(values: Float64Array): { mean: number; std: number; min: number; max: number } {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = values.length ? sum / values.length : 0;
  let m2 = 0;
  for (const v of values) m2 += (v - mean) * (v - mean);
  return { mean, std: values.length ? Math.sqrt(m2 / values.length) : 0, min: values.length ? min : 0, max: values.length ? max : 0 };
}

export function percentiles(values: Float64Array, lo: number, hi: number): [number, number] {
  if (values.length === 0) return [0, 0];
  const sorted = values.slice().sort();
  return [linearPercentile(sorted, lo), linearPercentile(sorted, hi)];
}

function hintScheme(hint: NormalizationHint): NormalizationScheme | null {
  switch (hint) {
    case 'zscore':
      return { scheme: 'zscore', source: 'sample' };
    case 'ct':
      return { scheme: 'ct', source: 'domain' };
    case 'rescale01':
      return { scheme: 'rescale01', source: 'sample', bounds: 'minmax', clip: true };
    case 'none':
      return { scheme: 'none' };
    default:
      return null;
  }
}

export class Normalizer {
  readonly config: NormalizationConfig;
  private readonly statistics = new Map<string, DomainStatistics>();
  private readonly hints: Record<string, NormalizationHint>;
  private readonly cache = new Map<string, ResolvedNormalization[]>();

  /**
   * `statistics`: the project's per-domain statistics (listStatistics / computeStatistics); `hints`: the domains'
   * normalisation hints from the catalogue, used by `auto`.
   */
  constructor(config: NormalizationConfigInput = {}, statistics: readonly DomainStatistics[] = [], hints: Record<string, NormalizationHint> = {}) {
    this.config = parseNormalizationConfig(config);
    for (const s of statistics) this.statistics.set(`${s.domain}\u0000${s.channel}`, s);
    this.hints = hints;
  }

  private domainStats(domain: string, channel: number, field: string): DomainStatistics & { mean: number; std: number; p0_5: number; p99_5: number; min: number; max: number } {
    const s = this.statistics.get(`${domain}\u0000${channel}`);
    if (!s) throw new InputError(field, `needs statistics of domain "${domain}" channel ${channel}, which were not computed (run \`segstation stats\`)`);
    if (s.mean === null || s.std === null || s.p0_5 === null || s.p99_5 === null || s.min === null || s.max === null) {
      throw new InputError(field, `the statistics of domain "${domain}" channel ${channel} have no voxels`);
    }
    return s as DomainStatistics & { mean: number; std: number; p0_5: number; p99_5: number; min: number; max: number };
  }

  private schemeFor(domain: string, channels: number): NormalizationScheme[] {
    const listed = Object.hasOwn(this.config.domains, domain);
    const chosen = listed ? this.config.domains[domain] : this.config.default;
    const field = listed ? `normalization.domains.${domain}` : 'normalization.default';
    if (!Array.isArray(chosen)) return new Array<NormalizationScheme>(channels).fill(chosen);
    if (chosen.length === 1) return new Array<NormalizationScheme>(channels).fill(chosen[0]);
    if (chosen.length !== channels) throw new InputError(field, `lists ${chosen.length} channel schemes but the images have ${channels} channels`);
    return chosen;
  }

  /** The normalisation each channel of `domain` gets (throws an InputError when statistics it needs are missing). */
  resolve(domain: string, channels: number): ResolvedNormalization[] {
    const key = `${domain}\u0000${channels}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const resolved = this.schemeFor(domain, channels).map((scheme, c) => this.resolveChannel(domain, c, scheme));
    this.cache.set(key, resolved);
    return resolved;
  }

  private resolveChannel(domain: string, channel: number, configured: NormalizationScheme): ResolvedNormalization {
    const field = `normalization (domain "${domain}", channel ${channel})`;
    let scheme = configured;
    if (scheme.scheme === 'auto') {
      const fromHint = this.hints[domain] ? hintScheme(this.hints[domain]) : null;
      const modality = this.statistics.get(`${domain}\u0000${channel}`)?.modality ?? '';
      scheme = fromHint ?? (modality.toUpperCase() === 'CT' ? { scheme: 'ct', source: 'domain' } : { scheme: 'zscore', source: 'sample' });
    }
    switch (scheme.scheme) {
      case 'none':
        return { scheme: 'none' };
      case 'fixed':
        return { scheme: 'linear', from: 'fixed', clip: null, offset: scheme.mean, divisor: scheme.std, clamp01: false };
      case 'zscore': {
        if (scheme.source === 'sample') return { scheme: 'zscore-sample' };
        const s = this.domainStats(domain, channel, field);
        return { scheme: 'linear', from: 'zscore', clip: null, offset: s.mean, divisor: Math.max(s.std, EPS), clamp01: false };
      }
      case 'ct': {
        if (scheme.source === 'sample') return { scheme: 'ct-sample' };
        const s = this.domainStats(domain, channel, field);
        return { scheme: 'linear', from: 'ct', clip: [s.p0_5, s.p99_5], offset: s.mean, divisor: Math.max(s.std, EPS), clamp01: false };
      }
      case 'rescale01': {
        if (scheme.source === 'sample') return { scheme: 'rescale01-sample', bounds: scheme.bounds, clip: scheme.clip };
        const s = this.domainStats(domain, channel, field);
        const [lo, hi] = scheme.bounds === 'minmax' ? [s.min, s.max] : [s.p0_5, s.p99_5];
        return { scheme: 'linear', from: 'rescale01', clip: null, offset: lo, divisor: hi > lo ? hi - lo : 1, clamp01: scheme.clip };
      }
      default:
        throw new InputError(field, `unknown scheme ${(scheme as { scheme: string }).scheme}`);
    }
  }

  /** Checks up front that every domain can be normalised (so a missing statistic fails before training starts). */
  check(domains: readonly string[], channels: number): void {
    for (const d of domains) this.resolve(d, channels);
  }

  /**
   * Normalises an interleaved image (any numeric typed array, x-fastest, `channels` interleaved) of `domain`.
   * Returns a new Float32Array.
   */
  normalize(image: ArrayLike<number>, channels: number, domain: string): Float32Array {
    if (!Number.isInteger(channels) || channels < 1 || image.length % channels !== 0) {
      throw new InputError('normalize.channels', `${image.length} values do not split into ${channels} channels`);
    }
    const out = new Float32Array(image.length);
    this.resolve(domain, channels).forEach((r, c) => normalizeChannelInto(image, out, channels, c, r));
    return out;
  }

  normalizeSample(sample: Sample, domain: string): Sample {
    checkSample(sample);
    return { ...sample, image: this.normalize(sample.image, sample.channels, domain) };
  }
}

/** A Normalizer for `config` over the project's statistics: `createNormalizer(config, stats).normalize(image, channels, domain)`. */
export function createNormalizer(
  config: NormalizationConfigInput,
  statistics: readonly DomainStatistics[],
  hints: Record<string, NormalizationHint> = {},
): Normalizer {
  return new Normalizer(config, statistics, hints);
}

/**
 * Writes channel `c` of an interleaved image, normalised by `r`, into `out` (same layout). Shared by training and
 * inference so that a model sees the same intensities in both.
 */
export function normalizeChannelInto(image: ArrayLike<number>, out: Float32Array, channels: number, c: number, r: AppliedNormalization): void {
  let clip: [number, number] | null = null;
  let offset = 0;
  let divisor = 1;
  let clamp01 = false;
  switch (r.scheme) {
    case 'none':
      break;
    case 'linear':
      ({ clip, offset, divisor, clamp01 } = r);
      break;
    case 'zscore-sample': {
      const m = moments(channelValues(image, channels, c));
      offset = m.mean;
      divisor = Math.max(m.std, EPS);
      break;
    }
    case 'ct-sample': {
      const values = channelValues(image, channels, c);
      clip = percentiles(values, 0.5, 99.5);
      const m = moments(values);
      offset = m.mean;
      divisor = Math.max(m.std, EPS);
      break;
    }
    case 'rescale01-sample': {
      const values = channelValues(image, channels, c);
      const [lo, hi] = r.bounds === 'minmax' ? ((m) => [m.min, m.max])(moments(values)) : percentiles(values, 0.5, 99.5);
      offset = lo;
      divisor = hi > lo ? hi - lo : 1;
      clamp01 = r.clip;
      break;
    }
  }
  const lo = clip ? clip[0] : -Infinity;
  const hi = clip ? clip[1] : Infinity;
  const inv = 1 / divisor;
  for (let i = c; i < image.length; i += channels) {
    let v = image[i];
    if (v - v !== 0) {
      out[i] = 0;
      continue;
    }
    if (v < lo) v = lo;
    else if (v > hi) v = hi;
    v = (v - offset) * inv;
    if (clamp01) v = v < 0 ? 0 : v > 1 ? 1 : v;
    out[i] = v;
  }
}
