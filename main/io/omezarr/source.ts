/**
 * Opening an OME-Zarr store for reading: group metadata (v0.5 zarr.json or v0.4 .zattrs/.zgroup), the level arrays
 * through zarrita (Zarr v2 and v3, whatever codecs zarrita's registry decodes), and the mapping of the store's axes
 * onto the engine's (x, y, z) + interleaved components. Foreign axis orders are handled generally: x, y and z are
 * found by name (missing ones have size 1), and every other axis (c, t, ...) becomes part of the component index,
 * in the store's order with the last one varying fastest.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import FileSystemStore from '@zarrita/storage/fs';
import * as zarr from 'zarrita';
import './node-codecs.ts';
import { InputError, errorMessage } from '../../util/errors.ts';
import { isDType, type DType, type TypedArray } from '../../volume/dtype.ts';
import { IDENTITY3, type Geometry, type Mat3, type Vec3, type VolumeHeader } from '../../volume/volume.ts';
import type { DecodedChunk, DimRole, RegionSource } from './chunks.ts';
import {
  axisList,
  datasetTransform,
  hasMultiscales,
  labelsFromImageLabel,
  levelGeometry,
  millimetresPerUnit,
  parseGroupAttributes,
  type OmeGroupMetadata,
} from './layout.ts';

export interface LevelSource extends RegionSource {
  /** Dataset path inside the image group. */
  path: string;
  /** (x, y, z) */
  spatialShape: Vec3;
  /** Spatial chunk extents (x, y, z); 1 along axes the store does not have. */
  chunkShape: Vec3;
  geometry: Geometry;
  /** Store key of a chunk (relative to the store root), for messages. */
  chunkKey(coords: readonly number[]): string;
}

export interface OpenedStore {
  /** Folder of the store. */
  dir: string;
  /** NGFF version string from the metadata ('0.4', '0.5', ...). */
  version: string;
  zarrFormat: 2 | 3;
  metadata: OmeGroupMetadata;
  header: VolumeHeader;
  levels: LevelSource[];
}

type Json = Record<string, unknown>;

async function readJson(file: string, subject: string): Promise<Json | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InputError(subject, `cannot read ${path.basename(file)}: ${errorMessage(error)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(subject, `${path.relative(subject, file) || path.basename(file)} is not valid JSON: ${errorMessage(error)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InputError(subject, `${path.basename(file)} is not a JSON object`);
  }
  return value as Json;
}

/** Group attributes and Zarr format of the group at `dir/sub`, or undefined when there is no group there. */
async function readGroupAttributes(
  root: string,
  sub: string,
): Promise<{ attrs: Json; zarrFormat: 2 | 3 } | undefined> {
  const dir = path.join(root, sub);
  const v3 = await readJson(path.join(dir, 'zarr.json'), root);
  if (v3) {
    if (v3.node_type !== 'group') {
      throw new InputError(root, `${sub ? `${sub}/` : ''}zarr.json describes a Zarr ${String(v3.node_type)}, not an OME-Zarr image group`);
    }
    const attrs = v3.attributes;
    return { attrs: typeof attrs === 'object' && attrs !== null ? (attrs as Json) : {}, zarrFormat: 3 };
  }
  const zgroup = await readJson(path.join(dir, '.zgroup'), root);
  const zattrs = await readJson(path.join(dir, '.zattrs'), root);
  if (zgroup || zattrs) return { attrs: zattrs ?? {}, zarrFormat: 2 };
  return undefined;
}

/** Cheap check used by format detection: does this folder look like an OME-Zarr image? */
export async function looksLikeOmeZarr(dir: string): Promise<boolean> {
  try {
    const group = await readGroupAttributes(dir, '');
    if (!group) return false;
    if (hasMultiscales(group.attrs)) return true;
    if (isBioformats2raw(group.attrs)) {
      const inner = await readGroupAttributes(dir, '0');
      return inner !== undefined && hasMultiscales(inner.attrs);
    }
    return false;
  } catch {
    return false;
  }
}

function isBioformats2raw(attrs: Json): boolean {
  const ome = attrs.ome as Json | undefined;
  return attrs['bioformats2raw.layout'] !== undefined || (typeof ome === 'object' && ome?.['bioformats2raw.layout'] !== undefined);
}

function chunkKeyEncoder(meta: Json | undefined, zarrFormat: 2 | 3): (coords: readonly number[]) => string {
  if (zarrFormat === 2) {
    const sep = typeof meta?.dimension_separator === 'string' ? meta.dimension_separator : '.';
    return (coords) => coords.join(sep) || '0';
  }
  const enc = meta?.chunk_key_encoding as { name?: string; configuration?: { separator?: string } } | undefined;
  if (enc?.name === 'v2') {
    const sep = enc.configuration?.separator ?? '.';
    return (coords) => coords.join(sep) || '0';
  }
  const sep = enc?.configuration?.separator ?? '/';
  return (coords) => ['c', ...coords].join(sep);
}

const SPATIAL: Record<string, 0 | 1 | 2> = { x: 0, y: 1, z: 2 };

/** Opens the OME-Zarr image at `dir` and describes every level; reads no chunk. */
export async function openStore(dir: string): Promise<OpenedStore> {
  let stat;
  try {
    stat = await fs.stat(dir);
  } catch {
    throw new InputError(dir, 'no such file or folder');
  }
  if (!stat.isDirectory()) throw new InputError(dir, 'an OME-Zarr store is a folder, this is a file');
  let group = await readGroupAttributes(dir, '');
  if (!group) throw new InputError(dir, 'not a Zarr store: no zarr.json, .zgroup or .zattrs');
  let groupPath = '';
  if (!hasMultiscales(group.attrs) && isBioformats2raw(group.attrs)) {
    const inner = await readGroupAttributes(dir, '0');
    if (inner) {
      group = inner;
      groupPath = '0';
    }
  }
  const metadata = parseGroupAttributes(group.attrs, dir);
  const zarrFormat = group.zarrFormat;
  const store = new FileSystemStore(dir);
  const rootLoc = zarr.root(store);
  const ms = metadata.multiscale;

  const levels: LevelSource[] = [];
  let dtype: DType | undefined;
  let componentShape: number[] | undefined;
  for (let li = 0; li < ms.datasets.length; li++) {
    const dataset = ms.datasets[li];
    const rel = groupPath ? `${groupPath}/${dataset.path}` : dataset.path;
    let array: zarr.Array<zarr.DataType, FileSystemStore>;
    try {
      const loc = rootLoc.resolve(rel);
      array = zarrFormat === 3 ? await zarr.open.v3(loc, { kind: 'array' }) : await zarr.open.v2(loc, { kind: 'array' });
    } catch (error) {
      throw new InputError(dir, `cannot open dataset '${rel}': ${errorMessage(error)}`, { cause: error });
    }
    const arrayDtype = array.dtype as string;
    if (!isDType(arrayDtype)) {
      throw new InputError(dir, `dataset '${rel}' has data type ${arrayDtype}, which the engine does not store`);
    }
    if (dtype !== undefined && dtype !== arrayDtype) {
      throw new InputError(dir, `dataset '${rel}' is ${arrayDtype} but level 0 is ${dtype}`);
    }
    dtype = arrayDtype;
    const shape = array.shape;
    const chunks = array.chunks;
    const axes = axisList(ms, shape.length, dir);
    const dims: DimRole[] = [];
    const spatialShape: Vec3 = [1, 1, 1];
    const chunkShape: Vec3 = [1, 1, 1];
    const compDims: number[] = [];
    const seen = new Set<number>();
    for (let d = 0; d < axes.length; d++) {
      const name = axes[d].name.toLowerCase();
      const axis = SPATIAL[name];
      if (axis !== undefined) {
        if (seen.has(axis)) throw new InputError(dir, `axis ${name} appears twice in multiscales axes`);
        seen.add(axis);
        dims.push({ kind: 'space', axis });
        spatialShape[axis] = shape[d];
        chunkShape[axis] = chunks[d];
      } else if (axes[d].type === 'space') {
        throw new InputError(dir, `spatial axis '${axes[d].name}' is not one of x, y, z`);
      } else {
        dims.push({ kind: 'component', stride: 0 });
        compDims.push(d);
      }
    }
    let components = 1;
    for (let k = compDims.length - 1; k >= 0; k--) {
      const d = compDims[k];
      dims[d] = { kind: 'component', stride: components };
      components *= shape[d];
    }
    const thisComp = compDims.map((d) => shape[d]);
    if (componentShape && componentShape.join(',') !== thisComp.join(',')) {
      throw new InputError(dir, `dataset '${rel}' has non-spatial axes [${thisComp}] but level 0 has [${componentShape}]`);
    }
    componentShape = thisComp;

    const rawMeta = await readJson(path.join(dir, rel, zarrFormat === 3 ? 'zarr.json' : '.zarray'), dir);
    const encodeKey = chunkKeyEncoder(rawMeta, zarrFormat);
    const chunkKey = (coords: readonly number[]) => `${rel}/${encodeKey(coords)}`;
    const chunkSize = chunks.reduce((a, b) => a * b, 1);
    const getChunk = async (coords: number[]): Promise<DecodedChunk> => {
      let chunk: zarr.Chunk<zarr.DataType>;
      try {
        chunk = await array.getChunk(coords);
      } catch (error) {
        throw new InputError(
          path.join(dir, chunkKey(coords)),
          `cannot decode chunk [${coords.join(', ')}] of OME-Zarr store ${dir} (corrupt or truncated): ${errorMessage(error)}`,
          { cause: error },
        );
      }
      if (chunk.data.length !== chunkSize) {
        throw new InputError(
          path.join(dir, chunkKey(coords)),
          `chunk [${coords.join(', ')}] of OME-Zarr store ${dir} is truncated: ${chunk.data.length} values, expected ${chunkSize}`,
        );
      }
      return { data: chunk.data as TypedArray, shape: chunk.shape, stride: chunk.stride };
    };

    levels.push({
      path: rel,
      shape,
      chunks,
      dims,
      components,
      dtype,
      spatialShape,
      chunkShape,
      geometry: { shape: spatialShape, spacing: [1, 1, 1], origin: [0, 0, 0], direction: [...IDENTITY3] as Mat3 },
      chunkKey,
      getChunk,
    });
  }
  if (dtype === undefined || levels.length === 0) throw new InputError(dir, 'multiscales lists no datasets');

  const level0 = levels[0];
  const ours = metadata.segstation;
  let labels = ours?.labels;
  let meta = ours?.meta;
  if (ours) {
    if (ours.shape.join(',') !== level0.spatialShape.join(',') || ours.components !== level0.components || ours.dtype !== dtype) {
      throw new InputError(
        dir,
        `segstation attributes (shape [${ours.shape}], ${ours.components} x ${ours.dtype}) disagree with dataset '${level0.path}' ` +
          `(shape [${level0.spatialShape}], ${level0.components} x ${dtype})`,
      );
    }
    if (ours.levels.length !== levels.length || ours.levels.some((l, i) => l.path !== ms.datasets[i].path)) {
      throw new InputError(dir, 'segstation attributes list other datasets than the multiscales metadata');
    }
    const base = { spacing: ours.spacing as Vec3, origin: ours.origin as Vec3, direction: ours.direction as Mat3 };
    levels.forEach((level, i) => {
      level.geometry = levelGeometry(base, ours.levels[i].factor as Vec3, level.spatialShape);
    });
  } else {
    const axes = axisList(ms, level0.shape.length, dir);
    levels.forEach((level, i) => {
      const { scale, translation } = datasetTransform(ms, ms.datasets[i], level.shape.length, dir);
      const spacing: Vec3 = [1, 1, 1];
      const origin: Vec3 = [0, 0, 0];
      level.dims.forEach((role, d) => {
        if (role.kind !== 'space') return;
        const mm = millimetresPerUnit(axes[d].unit);
        if (!(scale[d] > 0)) throw new InputError(dir, `dataset '${level.path}' has scale ${scale[d]} along ${axes[d].name}`);
        spacing[role.axis] = scale[d] * mm;
        origin[role.axis] = translation[d] * mm;
      });
      level.geometry = { shape: level.spatialShape, spacing, origin, direction: [...IDENTITY3] as Mat3 };
    });
    if (metadata.imageLabel) labels = labelsFromImageLabel(metadata.imageLabel);
    const units = [...new Set(axes.filter((a) => a.type === 'space' || SPATIAL[a.name.toLowerCase()] !== undefined).map((a) => a.unit ?? ''))];
    meta = {
      ngffVersion: metadata.version,
      ...(units.length === 1 && units[0] ? { ngffUnit: units[0] } : {}),
      ...(metadata.imageLabel ? { isLabel: true } : {}),
    };
  }
  const header: VolumeHeader = {
    ...level0.geometry,
    shape: [...level0.spatialShape] as Vec3,
    dtype,
    components: level0.components,
    ...(labels ? { labels } : {}),
    ...(meta ? { meta } : {}),
  };
  return { dir, version: metadata.version, zarrFormat, metadata, header, levels };
}

/** Header of a level: level 0's with that level's geometry. */
export function levelHeader(opened: Pick<OpenedStore, 'header' | 'levels'>, level: number): VolumeHeader {
  const l = opened.levels[level];
  const { labels, meta } = opened.header;
  return {
    ...opened.header,
    shape: [...l.spatialShape] as Vec3,
    spacing: [...l.geometry.spacing] as Vec3,
    origin: [...l.geometry.origin] as Vec3,
    direction: [...l.geometry.direction] as Mat3,
    ...(labels ? { labels: labels.map((e) => ({ ...e, color: [...e.color] as [number, number, number] })) } : {}),
    ...(meta ? { meta: { ...meta } } : {}),
  };
}
