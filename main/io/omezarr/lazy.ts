/**
 * Lazy access to an OME-Zarr store: regions and slices of any level are read chunk by chunk (only the chunks that
 * intersect the request) through an LRU cache of decoded chunks bounded in bytes.
 */
import { InputError } from '../../util/errors.ts';
import type { TypedArray } from '../../volume/dtype.ts';
import type { Vec3, VolumeHeader } from '../../volume/volume.ts';
import { readRegionFrom, type DecodedChunk, type RegionSource } from './chunks.ts';
import { levelHeader, openStore, type LevelSource, type OpenedStore } from './source.ts';

export const DEFAULT_CACHE_BYTES = 256 * 1024 * 1024;

export interface OpenOmeZarrOptions {
  /** Budget of the decoded-chunk cache in bytes (default 256 MiB; 0 disables caching). */
  cacheBytes?: number;
}

export interface LazyLevel {
  /** (x, y, z) */
  shape: Vec3;
  spacing: Vec3;
  origin: Vec3;
  /** Spatial chunk extents (x, y, z). */
  chunkShape: Vec3;
}

export interface CacheStats {
  /** Chunk requests served from the cache. */
  hits: number;
  /** Chunk requests not in the cache (a request joining a read already under way counts as a miss, not a read). */
  misses: number;
  /** Bytes of decoded chunks held now. */
  bytes: number;
  /** Chunks fetched and decoded from the store (missing chunks, read as fill value, count too). */
  chunksRead: number;
}

export interface SliceData {
  data: TypedArray;
  /** Extent along the lower in-plane axis (x for axial and coronal slices, y for sagittal). */
  width: number;
  /** Extent along the higher in-plane axis. */
  height: number;
}

export interface LazyVolume {
  /** Folder of the store. */
  readonly path: string;
  /** NGFF version of the store ('0.4', '0.5'). */
  readonly version: string;
  /** Level 0 header. */
  readonly header: VolumeHeader;
  readonly levels: readonly LazyLevel[];
  /** Header of a level (level 0's with that level's shape and geometry). */
  levelHeader(level: number): VolumeHeader;
  /** Voxels [start, start + size) (x, y, z) of a level, x fastest, components interleaved. */
  readRegion(start: Vec3, size: Vec3, level?: number): Promise<TypedArray>;
  /** A full plane normal to index axis `axis`; in-plane axes in increasing order, the lower one fastest. */
  readSlice(axis: 0 | 1 | 2, index: number, level?: number): Promise<SliceData>;
  cacheStats(): CacheStats;
  clearCache(): void;
}

/** LRU of decoded chunks; Map iteration order is insertion order, so re-inserting marks as most recent. */
class ChunkCache {
  readonly budget: number;
  readonly #entries = new Map<string, DecodedChunk>();
  readonly #pending = new Map<string, Promise<DecodedChunk>>();
  bytes = 0;
  hits = 0;
  misses = 0;
  chunksRead = 0;

  constructor(budget: number) {
    this.budget = Math.max(0, budget);
  }

  async get(key: string, load: () => Promise<DecodedChunk>): Promise<DecodedChunk> {
    const cached = this.#entries.get(key);
    if (cached) {
      this.hits++;
      this.#entries.delete(key);
      this.#entries.set(key, cached);
      return cached;
    }
    this.misses++;
    const pending = this.#pending.get(key);
    if (pending) return pending;
    this.chunksRead++;
    const promise = load().then(
      (chunk) => {
        this.#pending.delete(key);
        this.#insert(key, chunk);
        return chunk;
      },
      (error: unknown) => {
        this.#pending.delete(key);
        throw error;
      },
    );
    this.#pending.set(key, promise);
    return promise;
  }

  #insert(key: string, chunk: DecodedChunk): void {
    const size = chunk.data.byteLength;
    if (size > this.budget) return;
    this.#entries.set(key, chunk);
    this.bytes += size;
    for (const [k, v] of this.#entries) {
      if (this.bytes <= this.budget) break;
      this.#entries.delete(k);
      this.bytes -= v.data.byteLength;
    }
  }

  clear(): void {
    this.#entries.clear();
    this.bytes = 0;
  }
}

function checkBox(subject: string, shape: Vec3, start: Vec3, size: Vec3, level: number): void {
  for (let a = 0; a < 3; a++) {
    const s = start[a];
    const n = size[a];
    if (!Number.isInteger(s) || !Number.isInteger(n) || s < 0 || n < 0 || s + n > shape[a]) {
      throw new InputError(
        subject,
        `region start [${start.join(', ')}] size [${size.join(', ')}] is outside level ${level} of shape [${shape.join(', ')}]`,
      );
    }
  }
}

/** Wraps a store's levels in a cache and exposes region and slice reads. */
export function lazyFromOpened(opened: OpenedStore, options: OpenOmeZarrOptions = {}): LazyVolume {
  const cache = new ChunkCache(options.cacheBytes ?? DEFAULT_CACHE_BYTES);
  const sources: RegionSource[] = opened.levels.map((level: LevelSource, li) => ({
    ...level,
    getChunk: (coords: number[]) => cache.get(`${li}:${coords.join(',')}`, () => level.getChunk(coords)),
  }));
  const levels: LazyLevel[] = opened.levels.map((l) => ({
    shape: [...l.spatialShape] as Vec3,
    spacing: [...l.geometry.spacing] as Vec3,
    origin: [...l.geometry.origin] as Vec3,
    chunkShape: [...l.chunkShape] as Vec3,
  }));
  const checkLevel = (level: number) => {
    if (!Number.isInteger(level) || level < 0 || level >= levels.length) {
      throw new InputError(opened.dir, `level ${level} does not exist (the store has levels 0..${levels.length - 1})`);
    }
  };
  const readRegion = async (start: Vec3, size: Vec3, level = 0): Promise<TypedArray> => {
    checkLevel(level);
    checkBox(opened.dir, levels[level].shape, start, size, level);
    return readRegionFrom(sources[level], start, size);
  };
  return {
    path: opened.dir,
    version: opened.version,
    header: levelHeader(opened, 0),
    levels,
    levelHeader(level: number): VolumeHeader {
      checkLevel(level);
      return levelHeader(opened, level);
    },
    readRegion,
    async readSlice(axis: 0 | 1 | 2, index: number, level = 0): Promise<SliceData> {
      checkLevel(level);
      if (axis !== 0 && axis !== 1 && axis !== 2) throw new InputError(opened.dir, `slice axis must be 0, 1 or 2, got ${String(axis)}`);
      const shape = levels[level].shape;
      const start: Vec3 = [0, 0, 0];
      const size: Vec3 = [...shape] as Vec3;
      start[axis] = index;
      size[axis] = 1;
      const data = await readRegion(start, size, level);
      const inPlane = [0, 1, 2].filter((a) => a !== axis);
      return { data, width: shape[inPlane[0]], height: shape[inPlane[1]] };
    },
    cacheStats: () => ({ hits: cache.hits, misses: cache.misses, bytes: cache.bytes, chunksRead: cache.chunksRead }),
    clearCache: () => cache.clear(),
  };
}

/** Opens an OME-Zarr store (v0.4 or v0.5) for lazy reading; reads metadata only. */
export async function openOmeZarr(path: string, options: OpenOmeZarrOptions = {}): Promise<LazyVolume> {
  return lazyFromOpened(await openStore(path), options);
}
