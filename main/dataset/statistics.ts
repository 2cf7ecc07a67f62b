/**
 * Per-domain intensity statistics of every image channel, the fingerprint a trainer normalises with.
 *
 * Which voxels: if any case of the domain has a label, the foreground voxels (label > 0) of its labelled cases, as
 * nnU-Net does; otherwise every voxel of every case of the domain. The choice is stored in `mask`. Cases in the test
 * set of the current split are left out (their intensities must not shape training). NaN and infinite voxels are
 * skipped; `voxelCount` counts the voxels used.
 *
 * Memory stays bounded: stores are read slab by slab (whole x-y planes, a few million voxels at a time) through
 * openOmeZarr, the image and its label in step.
 *
 * Definitions: mean and population standard deviation (ddof = 0, numpy.std) from float64 sums per slab merged with
 * Chan et al.'s pairwise update; percentiles with numpy's default 'linear' method:
 *   h = (N - 1) p / 100, value = x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h])  (x sorted).
 * Percentiles are exact ('exact') when the channel is integer-typed with a value range of at most 65536 (exact
 * counts per value) or when at most EXACT_PERCENTILE_LIMIT voxels contribute (all values kept and sorted). Otherwise
 * ('histogram') a second pass fills FINE_HISTOGRAM_BINS bins over [min, max] of the contributing voxels; each order
 * statistic is placed uniformly inside its bin, so it lies in the same bin as the true one, and the reported
 * percentile is within one bin width, (max - min) / 65536, of numpy's value.
 * The stored histogram has up to HISTOGRAM_BINS equal bins over [min, max] (unit bins centred on the values for
 * integer channels with a range of at most 256 values).
 */
import path from 'node:path';
import type { Database } from 'sql.js';
import { openOmeZarr, type LazyVolume } from '../io/omezarr/index.ts';
import type { TypedArray } from '../volume/dtype.ts';
import { isDType, isIntegerDType } from '../volume/dtype.ts';
import { InputError } from '../util/errors.ts';
import type { Vec3 } from '../volume/volume.ts';
import { nowIso, persistCatalogue, queryAll, readCatalogue, transaction, withCatalogueLocked } from './catalogue.ts';
import { selectStatistics, volumeFromRow } from './rows.ts';
import type { DomainStatistics, Histogram, PercentileMethod, StatisticsMask, VolumeRow } from './types.ts';

export const EXACT_PERCENTILE_LIMIT = 4_000_000;
export const FINE_HISTOGRAM_BINS = 65536;
export const HISTOGRAM_BINS = 256;
/** Voxels per slab read from a store. */
export const SLAB_VOXELS = 4 * 1024 * 1024;
const CACHE_BYTES = 64 * 1024 * 1024;

/** numpy 'linear' percentile of N ordered values given access to the k-th smallest (0-based). */
export function percentileOf(count: number, p: number, orderStat: (k: number) => number): number {
  const h = ((count - 1) * p) / 100;
  const lo = Math.floor(h);
  const a = orderStat(lo);
  if (lo + 1 >= count || h === lo) return a;
  return a + (h - lo) * (orderStat(lo + 1) - a);
}

/** Running count, mean and sum of squared deviations, merged slab by slab (Chan, Golub & LeVeque). */
class Moments {
  n = 0;
  mean = 0;
  m2 = 0;
  min = Infinity;
  max = -Infinity;

  merge(n: number, mean: number, m2: number, min: number, max: number): void {
    if (n === 0) return;
    const total = this.n + n;
    const delta = mean - this.mean;
    this.mean += (delta * n) / total;
    this.m2 += m2 + (delta * delta * this.n * n) / total;
    this.n = total;
    if (min < this.min) this.min = min;
    if (max > this.max) this.max = max;
  }
}

/** Adds the finite voxels of a slab (where mask > 0, if a mask is given) to `moments`, calling `each` on each. */
function accumulate(data: TypedArray, mask: TypedArray | null, moments: Moments, each?: (v: number) => void): void {
  let n = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    if (mask && !(mask[i] > 0)) continue;
    const v = data[i];
    if (v - v !== 0) continue; // NaN or infinite
    n++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
    if (each) each(v);
  }
  if (n === 0) return;
  const mean = sum / n;
  let m2 = 0;
  for (let i = 0; i < data.length; i++) {
    if (mask && !(mask[i] > 0)) continue;
    const v = data[i];
    if (v - v !== 0) continue;
    const d = v - mean;
    m2 += d * d;
  }
  moments.merge(n, mean, m2, min, max);
}

/** Fills `bins` equal bins over [lo, hi]; the last bin is closed on the right. */
class Binner {
  readonly counts: Float64Array;
  readonly scale: number;
  constructor(
    readonly lo: number,
    readonly hi: number,
    readonly bins: number,
  ) {
    this.counts = new Float64Array(bins);
    this.scale = hi > lo ? bins / (hi - lo) : 0;
  }
  index(v: number): number {
    const b = Math.floor((v - this.lo) * this.scale);
    return b < 0 ? 0 : b >= this.bins ? this.bins - 1 : b;
  }
  add(v: number, count = 1): void {
    this.counts[this.index(v)] += count;
  }
  edges(): number[] {
    const w = (this.hi - this.lo) / this.bins;
    return Array.from({ length: this.bins + 1 }, (_, i) => (i === this.bins ? this.hi : this.lo + i * w));
  }
  histogram(): Histogram {
    return { bins: this.edges(), counts: Array.from(this.counts) };
  }
}

/** The stored histogram's binning for data in [min, max]. */
function coarseBinner(min: number, max: number, integer: boolean): Binner {
  if (integer && max - min + 1 <= HISTOGRAM_BINS) return new Binner(min - 0.5, max + 0.5, max - min + 1);
  if (max === min) return new Binner(min - 0.5, max + 0.5, 1);
  return new Binner(min, max, HISTOGRAM_BINS);
}

interface CaseVolumes {
  caseId: string;
  image: VolumeRow;
  label: VolumeRow | null;
}

/** Slabs of an image store, with the label's slab alongside when `label` is given. */
async function* slabs(
  slabVoxels: number,
  dir: string,
  image: VolumeRow,
  label: VolumeRow | null,
): AsyncGenerator<{ data: TypedArray; mask: TypedArray | null }> {
  const img = await openOmeZarr(path.join(dir, image.storePath), { cacheBytes: CACHE_BYTES });
  const lab: LazyVolume | null = label ? await openOmeZarr(path.join(dir, label.storePath), { cacheBytes: CACHE_BYTES }) : null;
  const [nx, ny, nz] = img.header.shape;
  const chunkZ = Math.max(1, img.levels[0]?.chunkShape[2] ?? 1);
  const planes = Math.max(1, Math.floor(slabVoxels / (nx * ny)));
  const depth = Math.max(chunkZ, Math.floor(planes / chunkZ) * chunkZ);
  for (let z0 = 0; z0 < nz; z0 += depth) {
    const d = Math.min(depth, nz - z0);
    const start: Vec3 = [0, 0, z0];
    const size: Vec3 = [nx, ny, d];
    const [data, mask] = await Promise.all([img.readRegion(start, size), lab ? lab.readRegion(start, size) : null]);
    yield { data, mask };
  }
}

async function channelStatistics(
  limits: { exactLimit: number; slabVoxels: number },
  dir: string,
  domain: string,
  channel: number,
  cases: CaseVolumes[],
  labelCounts: Map<string, number>,
  computed: string,
): Promise<DomainStatistics> {
  const mask: StatisticsMask = cases.some((c) => c.label) ? 'foreground' : 'all';
  const used = mask === 'foreground' ? cases.filter((c) => c.label) : cases;
  const modality = used.find((c) => c.image.modality)?.image.modality ?? null;
  const expected = used.reduce(
    (n, c) =>
      n + (mask === 'foreground' ? (labelCounts.get(c.caseId) ?? 0) : c.image.shape[0] * c.image.shape[1] * c.image.shape[2]),
    0,
  );
  const pass = async (each?: (v: number) => void, moments = new Moments()) => {
    for (const c of used) {
      for await (const slab of slabs(limits.slabVoxels, dir, c.image, mask === 'foreground' ? c.label : null)) {
        accumulate(slab.data, slab.mask, moments, each);
      }
    }
    return moments;
  };

  const mins = used.map((c) => c.image.min).filter((v): v is number => v !== null);
  const maxs = used.map((c) => c.image.max).filter((v): v is number => v !== null);
  const rangeMin = mins.length ? Math.min(...mins) : 0;
  const rangeMax = maxs.length ? Math.max(...maxs) : 0;
  const integer = used.every((c) => isDType(c.image.dtype) && isIntegerDType(c.image.dtype));

  let moments: Moments;
  let method: PercentileMethod = 'exact';
  let orderStat: (k: number) => number;
  let histogram: Histogram;
  if (integer && rangeMax - rangeMin + 1 <= FINE_HISTOGRAM_BINS) {
    const counts = new Float64Array(rangeMax - rangeMin + 1);
    moments = await pass((v) => {
      counts[v - rangeMin]++;
    });
    const cumulative = new Float64Array(counts.length);
    let running = 0;
    for (let i = 0; i < counts.length; i++) cumulative[i] = running += counts[i];
    orderStat = (k) => {
      let lo = 0;
      let hi = counts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cumulative[mid] > k) hi = mid;
        else lo = mid + 1;
      }
      return rangeMin + lo;
    };
    histogram = { bins: [], counts: [] };
    if (moments.n > 0) {
      const coarse = coarseBinner(moments.min, moments.max, true);
      for (let i = 0; i < counts.length; i++) if (counts[i] > 0) coarse.add(rangeMin + i, counts[i]);
      histogram = coarse.histogram();
    }
  } else if (expected <= limits.exactLimit) {
    const values = new Float64Array(expected);
    let n = 0;
    moments = await pass((v) => {
      values[n++] = v;
    });
    const sorted = values.subarray(0, n).sort();
    orderStat = (k) => sorted[k];
    const coarse = coarseBinner(moments.min, moments.max, false);
    for (let i = 0; i < n; i++) coarse.add(sorted[i]);
    histogram = coarse.histogram();
  } else {
    method = 'histogram';
    moments = await pass();
    const fine = new Binner(moments.min, moments.max, FINE_HISTOGRAM_BINS);
    const coarse = coarseBinner(moments.min, moments.max, false);
    await pass((v) => {
      fine.add(v);
      coarse.add(v);
    });
    const cumulative = new Float64Array(FINE_HISTOGRAM_BINS);
    let running = 0;
    for (let i = 0; i < FINE_HISTOGRAM_BINS; i++) cumulative[i] = running += fine.counts[i];
    const width = (moments.max - moments.min) / FINE_HISTOGRAM_BINS;
    const { min, max, n } = moments;
    orderStat = (k) => {
      if (k <= 0) return min;
      if (k >= n - 1) return max;
      let lo = 0;
      let hi = FINE_HISTOGRAM_BINS - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cumulative[mid] > k) hi = mid;
        else lo = mid + 1;
      }
      const before = lo > 0 ? cumulative[lo - 1] : 0;
      const v = min + (lo + (k - before + 0.5) / fine.counts[lo]) * width;
      return Math.min(max, Math.max(min, v));
    };
    histogram = coarse.histogram();
  }

  const n = moments.n;
  if (n === 0) histogram = { bins: [], counts: [] };
  return {
    domain,
    channel,
    modality,
    mask,
    caseCount: used.length,
    voxelCount: n,
    mean: n > 0 ? moments.mean : null,
    std: n > 0 ? Math.sqrt(moments.m2 / n) : null,
    p0_5: n > 0 ? percentileOf(n, 0.5, orderStat) : null,
    p99_5: n > 0 ? percentileOf(n, 99.5, orderStat) : null,
    min: n > 0 ? moments.min : null,
    max: n > 0 ? moments.max : null,
    percentileMethod: method,
    histogram,
    computed,
  };
}

function insertStatistics(db: Database, s: DomainStatistics): void {
  db.run(
    `INSERT INTO domain_statistics (domain, channel, modality, mask, case_count, voxel_count, mean, std, p0_5, p99_5,
       min, max, percentile_method, histogram, computed)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      s.domain, s.channel, s.modality, s.mask, s.caseCount, s.voxelCount, s.mean, s.std, s.p0_5, s.p99_5, s.min, s.max,
      s.percentileMethod, JSON.stringify(s.histogram), s.computed,
    ],
  );
}

export interface ComputeStatisticsOptions {
  /** Most voxels for which percentiles are computed by sorting (default EXACT_PERCENTILE_LIMIT); lower uses less memory. */
  exactLimit?: number;
  /** Voxels read per slab (default SLAB_VOXELS), rounded to whole planes and whole chunks along z. */
  slabVoxels?: number;
}

/**
 * Recomputes the statistics of every domain and image channel from the stored volumes, replaces the stored ones (in
 * one transaction) and returns them, sorted by domain and channel. Holds the project lock while it reads.
 */
export async function computeStatistics(dir: string, options: ComputeStatisticsOptions = {}): Promise<DomainStatistics[]> {
  const exactLimit = options.exactLimit ?? EXACT_PERCENTILE_LIMIT;
  const slabVoxels = options.slabVoxels ?? SLAB_VOXELS;
  if (!Number.isInteger(exactLimit) || exactLimit < 0) throw new InputError('exactLimit', `must be an integer >= 0, got ${exactLimit}`);
  if (!Number.isInteger(slabVoxels) || slabVoxels < 1) throw new InputError('slabVoxels', `must be a positive integer, got ${slabVoxels}`);
  return withCatalogueLocked(dir, 'compute statistics', async (catalogue) => {
    const { db } = catalogue;
    const rows = queryAll(
      db,
      `SELECT v.*, c.domain AS case_domain FROM volumes v JOIN cases c ON c.id = v.case_id
       WHERE NOT EXISTS (SELECT 1 FROM splits s WHERE s.case_id = c.id AND s.subset = 'test')
       ORDER BY c.domain COLLATE BINARY, c.id COLLATE BINARY`,
    );
    const labelCounts = new Map<string, number>();
    for (const r of queryAll(db, 'SELECT case_id, SUM(voxel_count) AS n FROM label_counts WHERE value > 0 GROUP BY case_id')) {
      labelCounts.set(String(r.case_id), Number(r.n));
    }
    // domain -> channel -> cases
    const byDomain = new Map<string, Map<number, CaseVolumes[]>>();
    const labels = new Map<string, VolumeRow>();
    for (const r of rows) {
      const v = volumeFromRow(r);
      if (v.role === 'label') labels.set(v.caseId, v);
    }
    for (const r of rows) {
      const v = volumeFromRow(r);
      if (v.role !== 'image') continue;
      const domain = String(r.case_domain);
      const channels = byDomain.get(domain) ?? new Map<number, CaseVolumes[]>();
      byDomain.set(domain, channels);
      const list = channels.get(v.channel as number) ?? [];
      channels.set(v.channel as number, list);
      list.push({ caseId: v.caseId, image: v, label: labels.get(v.caseId) ?? null });
    }
    const computed = nowIso();
    const results: DomainStatistics[] = [];
    for (const [domain, channels] of byDomain) {
      for (const channel of [...channels.keys()].sort((a, b) => a - b)) {
        results.push(await channelStatistics({ exactLimit, slabVoxels }, catalogue.dir, domain, channel, channels.get(channel) ?? [], labelCounts, computed));
      }
    }
    transaction(db, () => {
      db.run('DELETE FROM domain_statistics');
      for (const s of results) insertStatistics(db, s);
    });
    await persistCatalogue(catalogue);
    return selectStatistics(db);
  });
}

/** The statistics saved by the last computeStatistics (empty when never computed or invalidated by imports). */
export async function listStatistics(dir: string): Promise<DomainStatistics[]> {
  return readCatalogue(dir, (db) => selectStatistics(db));
}
