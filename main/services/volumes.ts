/**
 * The registry of open volumes, by id. Two kinds:
 * - a file opened directly (`openFile`): read whole through main/io/registry.ts, coarse levels built on demand
 *   (an OME-Zarr store opened directly is read lazily instead, like a project volume);
 * - a volume of a project (`registerProjectVolume`, from case.list): read lazily, chunk by chunk, from its OME-Zarr
 *   store, whose pyramid levels already exist. The store is opened on first use.
 * All answer metadata, full-resolution slices along any axis, whole pyramid levels and windows of a level as data-plane
 * blocks.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { VolumeBlock } from '../../ipc/api.ts';
import type { Axis, LabelEntry, VolumeMeta, VolumeRole } from '../../ipc/contract.ts';
import { defaultClassName, defaultColor } from '../dataset/classes.ts';
import { MAX_LABEL_VALUES } from '../dataset/importCase.ts';
import type { VolumeRow } from '../dataset/types.ts';
import { openOmeZarr, type LazyVolume } from '../io/omezarr/lazy.ts';
import { looksLikeOmeZarr } from '../io/omezarr/source.ts';
import { readVolume } from '../io/registry.ts';
import { InputError, errorMessage } from '../util/errors.ts';
import { isIntegerDType, isDType, type TypedArray } from '../volume/dtype.ts';
import { gridDifferences, type Geometry, type Vec3, type Volume, type VolumeHeader } from '../volume/volume.ts';
import { checkRegion, checkSliceIndex, extractRegion, extractSlice, finiteRange, levelBlock, regionBlock, sliceBlock } from './blocks.ts';
import { NotFoundError } from './errors.ts';
import { MemoryPyramid } from './pyramidCache.ts';

interface OpenVolume {
  meta(): Promise<VolumeMeta>;
  slice(axis: Axis, index: number): Promise<VolumeBlock>;
  level(level: number): Promise<VolumeBlock>;
  region(level: number, start: Vec3, size: Vec3): Promise<VolumeBlock>;
  /** Whether voxels or a store handle are held (project volumes are listed only once used). */
  isOpen(): boolean;
  close(): void;
}

function checkLevel(subject: string, level: number, count: number): void {
  if (!Number.isInteger(level) || level < 0 || level >= count) {
    throw new InputError('level', `${level} does not exist for ${subject} (levels 0..${count - 1})`);
  }
}

/** Label entries for the distinct values of a label map that came without a table. */
export function labelEntriesFor(data: TypedArray, subject: string): LabelEntry[] {
  const seen = new Set<number>();
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (seen.has(v)) continue;
    if (!Number.isInteger(v) || v < 0) throw new InputError(subject, `a label map holds only integers >= 0, found ${v}`);
    seen.add(v);
    if (seen.size > MAX_LABEL_VALUES) throw new InputError(subject, `more than ${MAX_LABEL_VALUES} distinct values: not a label map`);
  }
  return [...seen].sort((a, b) => a - b).map((value) => ({ value, name: defaultClassName(value), color: defaultColor(value) }));
}

class MemoryVolume implements OpenVolume {
  readonly #meta: VolumeMeta;
  readonly #volume: Volume;
  readonly #pyramid: MemoryPyramid;
  #open = true;

  constructor(id: string, file: string, role: VolumeRole, volume: Volume, imageId: string | undefined) {
    this.#volume = volume;
    this.#pyramid = new MemoryPyramid(volume, role === 'label' ? 'mode' : 'mean');
    const [min, max] = finiteRange(volume.data);
    const labels = role === 'label' ? (volume.labels?.length ? volume.labels : labelEntriesFor(volume.data, file)) : undefined;
    this.#meta = {
      id,
      name: path.basename(file.replace(/[\\/]+$/, '')),
      role,
      shape: [...volume.shape] as Vec3,
      components: volume.components,
      dtype: volume.dtype,
      spacing: [...volume.spacing] as Vec3,
      origin: [...volume.origin] as Vec3,
      direction: [...volume.direction] as VolumeMeta['direction'],
      min,
      max,
      levels: this.#pyramid.plan.map((_, level) => {
        const g = this.#pyramid.geometry(level);
        return { level, shape: g.shape, spacing: g.spacing, origin: g.origin };
      }),
      ...(labels ? { labels: labels.map((l) => ({ value: l.value, name: l.name, color: [...l.color] as LabelEntry['color'] })) } : {}),
      ...(imageId ? { imageId } : {}),
      source: { kind: 'file', path: path.resolve(file) },
    };
  }

  async meta(): Promise<VolumeMeta> {
    return this.#meta;
  }

  async slice(axis: Axis, index: number): Promise<VolumeBlock> {
    const v = this.#volume;
    checkSliceIndex(this.#meta.id, v.shape, axis, index);
    return sliceBlock(v, v.components, axis, index, extractSlice(v.data, v.shape, v.components, axis, index));
  }

  async level(level: number): Promise<VolumeBlock> {
    checkLevel(this.#meta.id, level, this.#pyramid.plan.length);
    const built = this.#pyramid.level(level);
    return levelBlock(built, this.#volume.components, built.data);
  }

  async region(level: number, start: Vec3, size: Vec3): Promise<VolumeBlock> {
    checkLevel(this.#meta.id, level, this.#pyramid.plan.length);
    const geometry = this.#pyramid.geometry(level);
    checkRegion(this.#meta.id, geometry.shape, start, size, level);
    const built = this.#pyramid.level(level);
    const C = this.#volume.components;
    return regionBlock(geometry, C, start, extractRegion(built.data, built.shape, C, start, size), size);
  }

  isOpen(): boolean {
    return this.#open;
  }

  close(): void {
    this.#open = false;
  }
}

export interface ProjectVolumeInfo {
  dir: string;
  row: VolumeRow;
  /** The project's class table, for label maps. */
  labels?: LabelEntry[];
  /** For a label: engine id of the case's first image. */
  imageId?: string;
}

/** What a lazily read OME-Zarr volume is, besides its store. */
interface StoreVolumeInfo {
  storeDir: string;
  name: string;
  role: VolumeRole;
  source: VolumeMeta['source'];
  /** Exact value range when known (the project catalogue has it); otherwise the coarsest level's, see rangeOf. */
  range?: [number, number];
  labels?: LabelEntry[];
  imageId?: string;
  /** Project volumes keep their id after close (it reopens on use); a store opened directly is forgotten. */
  persistent: boolean;
}

/**
 * A volume read lazily from an OME-Zarr store: metadata first, then only the chunks a slice or level needs, through an
 * LRU chunk cache. The store is opened on first use.
 */
class StoreVolume implements OpenVolume {
  readonly #id: string;
  readonly info: StoreVolumeInfo;
  readonly #cacheBytes: number | undefined;
  #store: Promise<LazyVolume> | null = null;
  #range: Promise<[number, number]> | null = null;

  constructor(id: string, info: StoreVolumeInfo, cacheBytes: number | undefined) {
    this.#id = id;
    this.info = info;
    this.#cacheBytes = cacheBytes;
  }

  open(): Promise<LazyVolume> {
    if (!this.#store) {
      const store = openOmeZarr(this.info.storeDir, this.#cacheBytes === undefined ? {} : { cacheBytes: this.#cacheBytes });
      this.#store = store;
      store.catch(() => {
        if (this.#store === store) this.#store = null;
      });
    }
    return this.#store;
  }

  /**
   * Without a catalogue range, the range of the coarsest level: one small read instead of the whole volume. Coarse
   * levels hold block means (images) or block modes (labels), so this lies within the true range and can be narrower.
   */
  #rangeOf(store: LazyVolume): Promise<[number, number]> {
    if (this.info.range) return Promise.resolve(this.info.range);
    this.#range ??= (async () => {
      const coarsest = store.levels.length - 1;
      return finiteRange(await store.readRegion([0, 0, 0], [...store.levels[coarsest].shape] as Vec3, coarsest));
    })();
    return this.#range;
  }

  async meta(): Promise<VolumeMeta> {
    const store = await this.open();
    const h = store.header;
    if (!isDType(h.dtype)) throw new InputError(store.path, `unsupported dtype ${String(h.dtype)}`);
    const [min, max] = await this.#rangeOf(store);
    return {
      id: this.#id,
      name: this.info.name,
      role: this.info.role,
      shape: [...h.shape] as Vec3,
      components: h.components,
      dtype: h.dtype,
      spacing: [...h.spacing] as Vec3,
      origin: [...h.origin] as Vec3,
      direction: [...h.direction] as VolumeMeta['direction'],
      min,
      max,
      levels: store.levels.map((l, level) => ({ level, shape: [...l.shape] as Vec3, spacing: [...l.spacing] as Vec3, origin: [...l.origin] as Vec3 })),
      ...(this.info.role === 'label' ? { labels: this.info.labels ?? h.labels ?? [] } : {}),
      ...(this.info.imageId ? { imageId: this.info.imageId } : {}),
      source: this.info.source,
    };
  }

  async slice(axis: Axis, index: number): Promise<VolumeBlock> {
    const store = await this.open();
    checkSliceIndex(this.#id, store.header.shape, axis, index);
    const { data } = await store.readSlice(axis, index, 0);
    return sliceBlock(store.header, store.header.components, axis, index, data);
  }

  async level(level: number): Promise<VolumeBlock> {
    const store = await this.open();
    checkLevel(this.#id, level, store.levels.length);
    const header = store.levelHeader(level);
    const data = await store.readRegion([0, 0, 0], [...header.shape] as Vec3, level);
    return levelBlock(header, header.components, data);
  }

  async region(level: number, start: Vec3, size: Vec3): Promise<VolumeBlock> {
    const store = await this.open();
    checkLevel(this.#id, level, store.levels.length);
    const header = store.levelHeader(level);
    checkRegion(this.#id, header.shape, start, size, level);
    return regionBlock(header, header.components, start, await store.readRegion(start, size, level), size);
  }

  isOpen(): boolean {
    return this.#store !== null;
  }

  close(): void {
    this.#store = null;
  }
}

/**
 * Label entries of a store without a label table, from every voxel of level 0 (a coarse level would miss rare
 * values), read slab by slab without filling the viewer's chunk cache.
 */
async function labelEntriesOfStore(file: string): Promise<LabelEntry[]> {
  const scan = await openOmeZarr(file, { cacheBytes: 0 });
  const [nx, ny, nz] = scan.header.shape;
  const depth = scan.levels[0].chunkShape[2];
  const values = new Map<number, LabelEntry>();
  for (let z0 = 0; z0 < nz; z0 += depth) {
    const slab = await scan.readRegion([0, 0, z0], [nx, ny, Math.min(depth, nz - z0)], 0);
    for (const entry of labelEntriesFor(slab, file)) values.set(entry.value, entry);
    if (values.size > MAX_LABEL_VALUES) throw new InputError(file, `more than ${MAX_LABEL_VALUES} distinct values: not a label map`);
  }
  return [...values.values()].sort((a, b) => a.value - b.value);
}

async function isOmeZarrFolder(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isDirectory() && (await looksLikeOmeZarr(file));
  } catch {
    return false;
  }
}

export interface VolumeServiceOptions {
  /** Decoded-chunk cache budget per project volume (bytes; default that of main/io/omezarr/lazy.ts). */
  cacheBytes?: number;
}

/** Ids are URL-safe (they travel in data-plane paths). */
function safeId(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 120) || 'volume';
}

export class VolumeService {
  readonly #volumes = new Map<string, OpenVolume>();
  /** project dir + row id -> engine id, so case.list hands out stable ids. */
  readonly #projectIds = new Map<string, string>();
  readonly #options: VolumeServiceOptions;
  #counter = 0;

  constructor(options: VolumeServiceOptions = {}) {
    this.#options = options;
  }

  #get(id: string): OpenVolume {
    const volume = this.#volumes.get(id);
    if (!volume) throw new NotFoundError('volumeId', `no open volume with id '${id}'`);
    return volume;
  }

  /**
   * Opens a file: an OME-Zarr store lazily (chunks on demand), any other format by reading it whole. A label must be an
   * integer scalar map and, with `imageId`, lie on that image's grid.
   */
  async openFile(file: string, role: VolumeRole, imageId?: string): Promise<VolumeMeta> {
    let image: VolumeMeta | undefined;
    if (imageId !== undefined) {
      if (role !== 'label') throw new InputError('imageId', 'is only meaningful for a label');
      image = await this.#get(imageId).meta();
    }
    const name = path.basename(file.replace(/[\\/]+$/, ''));
    const id = `v${++this.#counter}-${safeId(name)}`;
    const checkLabel = (header: VolumeHeader) => {
      if (role !== 'label') return;
      if (!isIntegerDType(header.dtype)) throw new InputError(file, `a label map must have an integer dtype, this one is ${header.dtype}`);
      if (header.components !== 1) throw new InputError(file, `a label map must have one component, this one has ${header.components}`);
      if (image) {
        const differences = gridDifferences(image as Geometry, header);
        if (differences.length) throw new InputError(file, `label does not lie on the grid of ${image.name}: ${differences.join('; ')}`);
      }
    };
    let entry: OpenVolume;
    if (await isOmeZarrFolder(file)) {
      const lazy = new StoreVolume(
        id,
        { storeDir: file, name, role, source: { kind: 'file', path: path.resolve(file) }, persistent: false, ...(imageId ? { imageId } : {}) },
        this.#options.cacheBytes,
      );
      const store = await lazy.open().catch((error: unknown) => {
        throw error instanceof InputError ? error : new InputError(file, `cannot open as OME-Zarr: ${errorMessage(error)}`, { cause: error });
      });
      checkLabel(store.header);
      if (role === 'label' && !store.header.labels?.length) lazy.info.labels = await labelEntriesOfStore(file);
      entry = lazy;
    } else {
      const volume = await readVolume(file);
      checkLabel(volume);
      entry = new MemoryVolume(id, file, role, volume, imageId);
    }
    const meta = await entry.meta();
    this.#volumes.set(id, entry);
    return meta;
  }

  /** Registers a project volume without opening it; returns its engine id (stable for the same project and row). */
  registerProjectVolume(info: ProjectVolumeInfo): string {
    const key = `${path.resolve(info.dir)}\u0000${info.row.id}`;
    let id = this.#projectIds.get(key);
    if (!id) {
      id = `p${this.#projectIds.size + 1}-${safeId(info.row.id)}`;
      this.#projectIds.set(key, id);
    }
    const existing = this.#volumes.get(id);
    if (!existing || !existing.isOpen()) {
      const { row } = info;
      const name = `${row.caseId} ${row.role === 'label' ? 'label' : `image ${row.channel ?? 0}${row.modality ? ` (${row.modality})` : ''}`}`;
      const storeInfo: StoreVolumeInfo = {
        storeDir: path.join(info.dir, ...row.storePath.split('/')),
        name,
        role: row.role,
        source: { kind: 'project', path: info.dir, caseId: row.caseId },
        range: [row.min ?? 0, row.max ?? 0],
        persistent: true,
        ...(row.role === 'label' && info.labels ? { labels: info.labels } : {}),
        ...(info.imageId ? { imageId: info.imageId } : {}),
      };
      this.#volumes.set(id, new StoreVolume(id, storeInfo, this.#options.cacheBytes));
    }
    return id;
  }

  meta(id: string): Promise<VolumeMeta> {
    return this.#get(id).meta();
  }

  /** Volumes holding data now (files, and project volumes that have been read). */
  async list(): Promise<VolumeMeta[]> {
    const open = [...this.#volumes.values()].filter((v) => v.isOpen());
    return Promise.all(open.map((v) => v.meta()));
  }

  /** Frees a volume. A file volume's id stops working; a project volume's id stays valid and reopens on use. */
  close(id: string): boolean {
    const volume = this.#volumes.get(id);
    if (!volume) return false;
    const wasOpen = volume.isOpen();
    volume.close();
    if (!(volume instanceof StoreVolume && volume.info.persistent)) this.#volumes.delete(id);
    return wasOpen;
  }

  slice(id: string, axis: Axis, index: number): Promise<VolumeBlock> {
    return this.#get(id).slice(axis, index);
  }

  level(id: string, level: number): Promise<VolumeBlock> {
    return this.#get(id).level(level);
  }

  region(id: string, level: number, start: Vec3, size: Vec3): Promise<VolumeBlock> {
    return this.#get(id).region(level, start, size);
  }
}
