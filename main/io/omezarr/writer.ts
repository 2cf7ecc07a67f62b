/**
 * OME-Zarr v0.5 (Zarr v3) writers: `omeZarrWriter` for volumes in memory and `createOmeZarrStore` for volumes
 * written slab by slab. Both build the store in a temporary sibling folder and move it into place at the end, so a
 * failed write never leaves a partial store at the target path.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeDirAtomic } from '../../util/atomic.ts';
import { InputError } from '../../util/errors.ts';
import { dtypeOf, isDType, type TypedArray } from '../../volume/dtype.ts';
import { det3, validateVolume, voxelCount, type Vec3, type Volume, type VolumeHeader } from '../../volume/volume.ts';
import type { VolumeWriter, WriteOptions } from '../registry.ts';
import { ChunkRowWriter, arrayMetadataV3, clipChunkShape, readRegionFrom, type LevelArraySpec } from './chunks.ts';
import { buildGroupAttributes, type LevelSpec } from './layout.ts';
import { downsample, downsampleModeFor, isLabelHeader, planPyramid, type PyramidLevelPlan } from './pyramid.ts';
import { openStore } from './source.ts';

export const DEFAULT_CHUNK_SHAPE: Vec3 = [64, 64, 64];
export const OME_ZARR_EXTENSIONS = ['.ome.zarr', '.zarr'] as const;

export interface OmeZarrLevelLayout {
  path: string;
  /** (x, y, z) */
  shape: Vec3;
  /** (x, y, z), clipped to the level shape */
  chunkShape: Vec3;
  /** Cumulative downsampling factor (x, y, z) from level 0. */
  factor: Vec3;
  /** Factor from the previous level. */
  step: Vec3;
}

function checkOptions(target: string, options: WriteOptions | undefined): { chunk: Vec3; levels?: number } {
  const chunk = options?.chunkShape ?? DEFAULT_CHUNK_SHAPE;
  if (chunk.length !== 3 || chunk.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new InputError(target, `chunkShape must be three positive integers (x, y, z), got [${chunk.join(', ')}]`);
  }
  const levels = options?.levels;
  if (levels !== undefined && (!Number.isInteger(levels) || levels < 1)) {
    throw new InputError(target, `levels must be a positive integer, got ${levels}`);
  }
  return { chunk: [...chunk] as Vec3, levels };
}

function checkHeader(target: string, header: VolumeHeader): void {
  const { shape, spacing, origin, direction, components, dtype } = header;
  if (!isDType(dtype)) throw new InputError(target, `unsupported dtype ${String(dtype)}`);
  if (shape.length !== 3 || shape.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new InputError(target, `shape must be three positive integers, got [${shape.join(', ')}]`);
  }
  if (spacing.length !== 3 || spacing.some((s) => !Number.isFinite(s) || s <= 0)) {
    throw new InputError(target, `spacing must be three positive finite numbers, got [${spacing.join(', ')}]`);
  }
  if (origin.length !== 3 || origin.some((o) => !Number.isFinite(o))) {
    throw new InputError(target, `origin must be three finite numbers, got [${origin.join(', ')}]`);
  }
  if (direction.length !== 9 || direction.some((d) => !Number.isFinite(d)) || Math.abs(det3(direction)) < 1e-6) {
    throw new InputError(target, 'direction must be nine finite numbers forming a non-singular matrix');
  }
  if (!Number.isInteger(components) || components < 1) {
    throw new InputError(target, `components must be a positive integer, got ${components}`);
  }
  // Everything below goes into JSON, which has no NaN or Infinity.
  for (const [key, value] of Object.entries(header.meta ?? {})) {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new InputError(target, `meta.${key} is ${value}, which JSON attributes cannot hold`);
    }
  }
  for (const label of header.labels ?? []) {
    if (!Number.isFinite(label.value) || label.color.length !== 3 || label.color.some((c) => !Number.isFinite(c))) {
      throw new InputError(target, `label ${JSON.stringify(label)} needs a finite value and an RGB colour`);
    }
  }
}

/** Level layout the writers produce for a header and options (exported for tests and callers sizing slabs). */
export function planOmeZarrLevels(header: Pick<VolumeHeader, 'shape'>, options?: WriteOptions): OmeZarrLevelLayout[] {
  const { chunk, levels } = checkOptions('OME-Zarr', options);
  return planPyramid(header.shape, levels).map((p: PyramidLevelPlan, i) => ({
    path: String(i),
    shape: p.shape,
    chunkShape: clipChunkShape(chunk, p.shape),
    factor: p.factor,
    step: p.step,
  }));
}

function levelSpec(header: VolumeHeader, level: OmeZarrLevelLayout): LevelArraySpec {
  return { shape: level.shape, components: header.components, dtype: header.dtype, chunkShape: level.chunkShape };
}

async function writeJson(file: string, value: unknown): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, `${JSON.stringify(value, null, 2)}\n`);
}

async function writeArrayMeta(dir: string, spec: LevelArraySpec): Promise<void> {
  await writeJson(path.join(dir, 'zarr.json'), arrayMetadataV3(spec));
}

function storeName(target: string): string {
  return path.basename(target).replace(/\/+$/, '').replace(/\.ome\.zarr$|\.zarr$/i, '') || 'image';
}

async function writeRootMeta(dir: string, target: string, header: VolumeHeader, levels: OmeZarrLevelLayout[]): Promise<void> {
  const specs: LevelSpec[] = levels.map((l) => ({ path: l.path, shape: l.shape, factor: l.factor }));
  const attributes = buildGroupAttributes({
    version: '0.5',
    name: storeName(target),
    dtype: header.dtype,
    components: header.components,
    geometry: { shape: header.shape, spacing: header.spacing, origin: header.origin, direction: header.direction },
    levels: specs,
    ...(header.labels ? { labels: header.labels } : {}),
    ...(header.meta ? { meta: header.meta } : {}),
    isLabel: isLabelHeader(header),
  });
  await writeJson(path.join(dir, 'zarr.json'), { zarr_format: 3, node_type: 'group', attributes });
}

function headerOnly(header: VolumeHeader): VolumeHeader {
  const { shape, spacing, origin, direction, dtype, components, labels, meta } = header;
  return {
    shape: [...shape] as Vec3,
    spacing: [...spacing] as Vec3,
    origin: [...origin] as Vec3,
    direction: [...direction] as VolumeHeader['direction'],
    dtype,
    components,
    ...(labels ? { labels: labels.map((l) => ({ ...l, color: [...l.color] as [number, number, number] })) } : {}),
    ...(meta ? { meta: { ...meta } } : {}),
  };
}

/** Writes an in-memory volume with its pyramid. */
async function writeVolume(volume: Volume, target: string, options?: WriteOptions): Promise<void> {
  try {
    validateVolume(volume);
  } catch (error) {
    throw new InputError(target, `cannot write an inconsistent volume: ${(error as Error).message}`);
  }
  checkHeader(target, volume);
  checkOptions(target, options);
  const header = headerOnly(volume);
  const levels = planOmeZarrLevels(header, options);
  const mode = downsampleModeFor(header);
  await writeDirAtomic(target, async (tmp) => {
    let data: TypedArray = volume.data;
    for (let i = 0; i < levels.length; i++) {
      const level = levels[i];
      if (i > 0) {
        data = downsample(data, header.dtype, levels[i - 1].shape, header.components, level.step, mode).data;
      }
      const spec = levelSpec(header, level);
      const dir = path.join(tmp, level.path);
      await writeArrayMeta(dir, spec);
      await new ChunkRowWriter(dir, spec).writeRows(0, data);
    }
    await writeRootMeta(tmp, target, header, levels);
  });
}

export const omeZarrWriter: VolumeWriter = {
  format: 'ome-zarr',
  extensions: OME_ZARR_EXTENSIONS,
  write: writeVolume,
};

// ---------------------------------------------------------------------------------------------------------------
// Streaming

export interface OmeZarrStoreBuilder {
  /** Final path of the store. */
  readonly target: string;
  readonly header: VolumeHeader;
  readonly levels: readonly OmeZarrLevelLayout[];
  /** Planes per chunk row at level 0: every slab but the last must be a multiple of it. */
  readonly slabDepth: number;
  /**
   * Writes planes [zStart, zStart + n) of level 0: `data` holds n full x/y planes (x fastest, components
   * interleaved). zStart must be a multiple of `slabDepth`, and n too unless the slab reaches the last plane.
   * Slabs may come in any order, each chunk row once.
   */
  writeSlab(zStart: number, data: TypedArray): Promise<void>;
  /** Builds the coarser levels from level 0, slab by slab, and moves the store into place. */
  finalize(): Promise<void>;
  /** Drops everything written so far; the target is left untouched. */
  abort(): Promise<void>;
}

/**
 * Starts an OME-Zarr store for a volume larger than memory. Chunks are written as slabs arrive into a staging
 * folder beside the target; `finalize` builds the pyramid reading level 0 back one chunk row at a time (memory: two
 * fine slabs and one coarse slab) and moves the store into place atomically. On any failure, call `abort` (finalize
 * cleans up by itself when it fails).
 */
export async function createOmeZarrStore(
  target: string,
  header: VolumeHeader,
  options?: WriteOptions,
): Promise<OmeZarrStoreBuilder> {
  checkHeader(target, header);
  checkOptions(target, options);
  const fixed = headerOnly(header);
  const levels = planOmeZarrLevels(fixed, options);
  const level0 = levels[0];
  const spec0 = levelSpec(fixed, level0);
  const [nx, ny, nz] = fixed.shape;
  const slabDepth = level0.chunkShape[2];
  const rowCount = Math.ceil(nz / slabDepth);
  const written = new Set<number>();
  await fs.mkdir(path.dirname(target), { recursive: true });
  const staging = path.join(path.dirname(target), `.${path.basename(target)}.staging-${process.pid}-${randomBytes(4).toString('hex')}`);
  await fs.mkdir(staging);
  const stagingLevel0 = path.join(staging, level0.path);
  let state: 'open' | 'finalizing' | 'done' | 'aborted' | 'failed' = 'open';
  try {
    await writeArrayMeta(stagingLevel0, spec0);
  } catch (error) {
    await fs.rm(staging, { recursive: true, force: true });
    throw error;
  }
  const writer0 = new ChunkRowWriter(stagingLevel0, spec0);
  const mode = downsampleModeFor(fixed);

  const inFlight = new Set<Promise<void>>();
  let slabFailed = false;
  const cleanup = () => fs.rm(staging, { recursive: true, force: true });

  async function writeSlab(zStart: number, data: TypedArray): Promise<void> {
    if (state !== 'open') throw new Error(`OME-Zarr store ${target} is ${state}: no more slabs can be written`);
    if (dtypeOf(data) !== fixed.dtype) throw new InputError(target, `slab is ${dtypeOf(data)} but the volume is ${fixed.dtype}`);
    const plane = nx * ny * fixed.components;
    const planes = data.length / plane;
    if (!Number.isInteger(planes) || planes < 1) {
      throw new InputError(target, `slab has ${data.length} values, not a whole number of ${nx}x${ny}x${fixed.components} planes`);
    }
    if (!Number.isInteger(zStart) || zStart < 0 || zStart % slabDepth !== 0 || zStart + planes > nz) {
      throw new InputError(target, `slab start ${zStart} (+${planes} planes) must be a multiple of ${slabDepth} inside 0..${nz}`);
    }
    if (planes % slabDepth !== 0 && zStart + planes !== nz) {
      throw new InputError(target, `slab of ${planes} planes must be a multiple of ${slabDepth} unless it ends at plane ${nz}`);
    }
    const first = zStart / slabDepth;
    const count = Math.ceil(planes / slabDepth);
    for (let r = first; r < first + count; r++) {
      if (written.has(r)) throw new InputError(target, `chunk row ${r} (planes from ${r * slabDepth}) was already written`);
    }
    for (let r = first; r < first + count; r++) written.add(r);
    const job = writer0.writeRows(zStart, data);
    inFlight.add(job);
    try {
      await job;
    } catch (error) {
      // Some chunks of these rows may be on disk and others not: the store can no longer be finished.
      slabFailed = true;
      if (state === 'open') state = 'failed';
      throw error;
    } finally {
      inFlight.delete(job);
    }
  }

  /** Lets slab writes under way settle, so that removing the staging folder is not undone by a late mkdir. */
  async function settle(): Promise<void> {
    await Promise.allSettled([...inFlight]);
  }

  async function finalize(): Promise<void> {
    if (state === 'failed') {
      await abort();
      throw new Error(`OME-Zarr store ${target} cannot be finalized: a slab failed to write`);
    }
    if (state !== 'open') throw new Error(`OME-Zarr store ${target} is ${state}`);
    state = 'finalizing';
    try {
      await settle();
      if (slabFailed) throw new Error(`OME-Zarr store ${target} cannot be finalized: a slab failed to write`);
      if (written.size !== rowCount) {
        const missing = [...Array(rowCount).keys()].filter((r) => !written.has(r));
        throw new InputError(
          target,
          `cannot finalize: ${missing.length} of ${rowCount} chunk rows were never written (first missing at plane ${missing[0] * slabDepth})`,
        );
      }
      await writeDirAtomic(target, async (tmp) => {
        await fs.rename(stagingLevel0, path.join(tmp, level0.path));
        // A partial root lets openStore describe the levels written so far.
        for (let i = 1; i < levels.length; i++) {
          await writeRootMeta(tmp, target, fixed, levels.slice(0, i));
          await buildLevelFromPrevious(tmp, fixed, levels[i - 1], levels[i], mode, i - 1);
        }
        await writeRootMeta(tmp, target, fixed, levels);
      });
      state = 'done';
    } catch (error) {
      state = 'aborted';
      throw error;
    } finally {
      await cleanup();
    }
  }

  async function abort(): Promise<void> {
    if (state === 'done' || state === 'finalizing') return;
    state = 'aborted';
    await settle();
    await cleanup();
  }

  return { target, header: fixed, levels, slabDepth, writeSlab, finalize, abort };
}

/** Builds one coarser level from the previous one, one output chunk row at a time. */
async function buildLevelFromPrevious(
  dir: string,
  header: VolumeHeader,
  prev: OmeZarrLevelLayout,
  next: OmeZarrLevelLayout,
  mode: 'mean' | 'mode',
  prevIndex: number,
): Promise<void> {
  const opened = await openStore(dir);
  const source = opened.levels[prevIndex];
  const spec = levelSpec(header, next);
  const outDir = path.join(dir, next.path);
  await writeArrayMeta(outDir, spec);
  const writer = new ChunkRowWriter(outDir, spec);
  const depth = next.chunkShape[2];
  const [px, py, pz] = prev.shape;
  const sz = next.step[2];
  for (let z0 = 0; z0 < next.shape[2]; z0 += depth) {
    const z1 = Math.min(z0 + depth, next.shape[2]);
    const inStart = z0 * sz;
    const inEnd = Math.min(z1 * sz, pz);
    const slab = await readRegionFrom(source, [0, 0, inStart], [px, py, inEnd - inStart]);
    const { data, shape } = downsample(slab, header.dtype, [px, py, inEnd - inStart], header.components, next.step, mode);
    if (shape[2] !== z1 - z0 || voxelCount(shape) * header.components !== data.length) {
      throw new Error(`internal: downsampled slab has ${shape[2]} planes, expected ${z1 - z0}`);
    }
    await writer.writeRows(z0, data);
  }
}
