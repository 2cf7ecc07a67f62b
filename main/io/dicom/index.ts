/**
 * DICOM reader: a single file (2D image, classic or enhanced multi-frame, DICOM SEG) or a folder holding a series.
 *
 * Folder reading scans every non-hidden file (not sub-folders): files without 'DICM' at byte 128 are skipped and
 * counted in meta.skippedFiles, DICOM objects that are not images (DICOMDIR, SR, ...) too. Images are grouped by
 * SeriesInstanceUID; ReadOptions.series picks one, else the series with most files. Within the series, frames are
 * grouped by orientation (the largest group is read, others such as localizers are left out with a warning), sorted
 * along the slice normal and stacked (see series.ts for spacing and checks). Headers are scanned first and only the
 * chosen series' files are read whole. A file that has the DICM marker but cannot be parsed (truncated, corrupt) is
 * an InputError naming it rather than a silently missing slice.
 *
 * Meta keys: modality, sopClassUID, seriesInstanceUID, seriesDescription, seriesNumber, studyInstanceUID,
 * frameOfReferenceUID, transferSyntaxUID, photometricInterpretation, files, frames, rescale (what was applied and the
 * raw -> stored dtype), rescaleSlope/rescaleIntercept (when one pair holds for all frames), sliceThickness,
 * seriesInFolder, skippedFiles, warnings ('; '-joined); SEG adds isLabel, segmentationType, segments.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InputError } from '../../util/errors.ts';
import type { TypedArray } from '../../volume/dtype.ts';
import { createVolume, type Volume } from '../../volume/volume.ts';
import type { FileHead, ReadOptions, VolumeReader } from '../registry.ts';
import type { FrameInfo } from './frames.ts';
import { framesOf } from './multiframe.ts';
import { checkTransferSyntax, hasDicmPrefix, parseDicomBytes, TAG, transferSyntaxName, type DicomFile } from './parse.ts';
import { decodePixels, frameLength, readPixelFormat, type PixelFormat } from './pixels.ts';
import { isSegmentation, readSegmentation } from './seg.ts';
import { assemblePixels, checkConsistent, groupByOrientation, stackFrames, type Stack } from './series.ts';

export { dicomLabToRgb, SEGMENTATION_STORAGE } from './seg.ts';
export { transferSyntaxName } from './parse.ts';

type Meta = Record<string, string | number | boolean>;

const PREFIX_BYTES = 64 * 1024;

/** Summary of one series in a folder, as listSeries gives it. */
export interface DicomSeriesSummary {
  seriesInstanceUID: string;
  seriesNumber?: number;
  seriesDescription?: string;
  modality?: string;
  /** Image files in the series. */
  files: number;
  /** Frames in those files (several per multi-frame file). */
  frames: number;
}

interface ScannedFile {
  path: string;
  name: string;
  seriesInstanceUID: string;
  seriesNumber?: number;
  seriesDescription?: string;
  modality?: string;
  frames: number;
  instanceNumber?: number;
}

interface FolderScan {
  images: ScannedFile[];
  skipped: string[];
}

async function readPrefix(file: string, length: number): Promise<Uint8Array> {
  const handle = await fs.open(file, 'r');
  try {
    const buffer = new Uint8Array(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

async function readWhole(file: string): Promise<Uint8Array> {
  const b = await fs.readFile(file);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Whether a file starts like a DICOM Part 10 file. */
export async function isDicomFile(file: string): Promise<boolean> {
  try {
    return hasDicmPrefix(await readPrefix(file, 132));
  } catch {
    return false;
  }
}

/** Parses a header (up to the pixel data), reading only the first 64 KiB when that holds it. */
async function scanHeader(file: string, size: number): Promise<DicomFile> {
  if (size > PREFIX_BYTES) {
    try {
      const head = parseDicomBytes(file, await readPrefix(file, PREFIX_BYTES), { headerOnly: true });
      // Reaching the PixelData tag proves everything before it was parsed whole.
      if (head.dataset.has(TAG.PixelData) || head.dataset.has(TAG.FloatPixelData)) return head;
    } catch {
      // the header is longer than the prefix: read the whole file below
    }
  }
  return parseDicomBytes(file, await readWhole(file), { headerOnly: true });
}

async function scanFolder(dir: string): Promise<FolderScan> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw new InputError(dir, `cannot list folder: ${(error as Error).message}`);
  }
  const names = entries
    .filter((e) => !e.name.startsWith('.') && (e.isFile() || e.isSymbolicLink()))
    .map((e) => e.name)
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const images: ScannedFile[] = [];
  const skipped: string[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    let stat;
    try {
      stat = await fs.stat(file);
    } catch {
      skipped.push(name);
      continue;
    }
    if (!stat.isFile() || !(await isDicomFile(file))) {
      skipped.push(name);
      continue;
    }
    const dicom = await scanHeader(file, stat.size);
    const ds = dicom.dataset;
    const isImage = ds.has(TAG.Rows) || ds.has(TAG.PixelData) || ds.has(TAG.FloatPixelData);
    if (!isImage) {
      skipped.push(name); // DICOMDIR, structured reports, presentation states...
      continue;
    }
    images.push({
      path: file,
      name,
      seriesInstanceUID: ds.string(TAG.SeriesInstanceUID) ?? '',
      seriesNumber: ds.number(TAG.SeriesNumber),
      seriesDescription: ds.string(TAG.SeriesDescription),
      modality: ds.string(TAG.Modality),
      frames: Math.max(1, Math.round(ds.number(TAG.NumberOfFrames) ?? 1)),
      instanceNumber: ds.number(TAG.InstanceNumber),
    });
  }
  return { images, skipped };
}

function summarize(images: readonly ScannedFile[]): DicomSeriesSummary[] {
  const map = new Map<string, DicomSeriesSummary>();
  for (const img of images) {
    let s = map.get(img.seriesInstanceUID);
    if (!s) {
      s = { seriesInstanceUID: img.seriesInstanceUID, files: 0, frames: 0 };
      if (img.seriesNumber !== undefined) s.seriesNumber = img.seriesNumber;
      if (img.seriesDescription) s.seriesDescription = img.seriesDescription;
      if (img.modality) s.modality = img.modality;
      map.set(img.seriesInstanceUID, s);
    }
    s.files++;
    s.frames += img.frames;
  }
  return [...map.values()].sort(
    (a, b) => b.files - a.files || b.frames - a.frames || (a.seriesNumber ?? Infinity) - (b.seriesNumber ?? Infinity),
  );
}

function describeSeries(s: DicomSeriesSummary): string {
  const bits = [s.modality, s.seriesNumber !== undefined ? `#${s.seriesNumber}` : undefined, s.seriesDescription ? `"${s.seriesDescription}"` : undefined]
    .filter(Boolean)
    .join(' ');
  return `${s.seriesInstanceUID || '(no SeriesInstanceUID)'} (${s.files} file${s.files === 1 ? '' : 's'}${bits ? `, ${bits}` : ''})`;
}

/** The series of image files in a folder, largest first. */
export async function listDicomSeries(dir: string): Promise<DicomSeriesSummary[]> {
  return summarize((await scanFolder(dir)).images);
}

function commonMeta(dicom: DicomFile, fmt: PixelFormat): Meta {
  const ds = dicom.dataset;
  const meta: Meta = {};
  for (const [key, tag] of [
    ['modality', TAG.Modality],
    ['sopClassUID', TAG.SOPClassUID],
    ['seriesInstanceUID', TAG.SeriesInstanceUID],
    ['seriesDescription', TAG.SeriesDescription],
    ['studyInstanceUID', TAG.StudyInstanceUID],
    ['frameOfReferenceUID', TAG.FrameOfReferenceUID],
  ] as const) {
    const v = ds.string(tag);
    if (v) meta[key] = v;
  }
  const seriesNumber = ds.number(TAG.SeriesNumber);
  if (seriesNumber !== undefined) meta.seriesNumber = seriesNumber;
  meta.transferSyntaxUID = dicom.transferSyntaxUID;
  meta.transferSyntax = transferSyntaxName(dicom.transferSyntaxUID);
  meta.photometricInterpretation = fmt.photometric;
  return meta;
}

function photometricWarning(fmt: PixelFormat): string | undefined {
  const p = fmt.photometric;
  if (p === 'MONOCHROME1') return 'MONOCHROME1: low values are meant to display white; values kept as stored';
  if (p === 'PALETTE COLOR') return 'PALETTE COLOR: palette indices kept, the colour lookup table is not applied';
  if (p.startsWith('YBR')) return `${p}: colour values kept as stored (not converted to RGB)`;
  return undefined;
}

/** Builds the image volume of stacked frames. */
function volumeFromStack(stack: Stack, meta: Meta, warnings: string[]): Volume {
  // Multi-frame files are decoded once and kept; single-frame files are decoded when their slice is copied (twice
  // when a rescale needs the value range first), so that a series never holds a second decoded copy of itself.
  const cache = new Map<DicomFile, TypedArray>();
  const pixelsOf = (frame: FrameInfo): TypedArray => {
    let all = cache.get(frame.dicom);
    if (!all) {
      all = decodePixels(frame.dicom, frame.fmt);
      if (frame.fmt.frames > 1) cache.set(frame.dicom, all);
    }
    const per = frameLength(frame.fmt);
    return all.subarray(frame.index * per, (frame.index + 1) * per);
  };
  const first = stack.frames[0];
  const { data, storage } = assemblePixels(stack.frames, pixelsOf);
  cache.clear();
  meta.rescale = storage.description;
  const pairs = new Set(stack.frames.map((f) => `${f.rescale.slope}/${f.rescale.intercept}`));
  if (pairs.size === 1) {
    meta.rescaleSlope = first.rescale.slope;
    meta.rescaleIntercept = first.rescale.intercept;
  }
  meta.frames = stack.frames.length;
  if (first.sliceThickness !== undefined) meta.sliceThickness = first.sliceThickness;
  const pw = photometricWarning(first.fmt);
  if (pw) warnings.push(pw);
  if (warnings.length) meta.warnings = warnings.join('; ');
  return createVolume({
    shape: [first.fmt.columns, first.fmt.rows, stack.frames.length],
    components: first.fmt.samplesPerPixel,
    data,
    spacing: stack.spacing,
    origin: stack.origin,
    direction: stack.direction,
    meta,
  });
}

/** Stacks frames of one series (one or more files): orientation groups, checks, sorting. */
function volumeFromFrames(frames: FrameInfo[], subject: string, meta: Meta, warnings: string[]): Volume {
  const groups = groupByOrientation(frames);
  const chosen = groups[0];
  if (groups.length > 1) {
    const others = groups.slice(1).flat();
    warnings.push(
      `${others.length} frame(s) with another orientation left out (${others
        .slice(0, 3)
        .map((f) => f.label)
        .join(', ')}${others.length > 3 ? ', ...' : ''})`,
    );
  }
  checkConsistent(chosen);
  const stack = stackFrames(chosen, subject, warnings);
  return volumeFromStack(stack, meta, warnings);
}

function readParsed(dicom: DicomFile, label: string): Volume {
  checkTransferSyntax(dicom.file, dicom.transferSyntaxUID);
  if (isSegmentation(dicom)) return readSegmentation(dicom, label);
  const warnings: string[] = [];
  const fmt = readPixelFormat(dicom);
  if (!dicom.dataset.pixelElement(dicom.file)) throw new InputError(dicom.file, 'has no PixelData');
  const frames = framesOf(dicom, fmt, label, warnings);
  const meta = commonMeta(dicom, fmt);
  meta.files = 1;
  return volumeFromFrames(frames, dicom.file, meta, warnings);
}

/** Reads one DICOM file: a 2D image ([columns, rows, 1]), a multi-frame image or a SEG. */
export async function readDicomFile(file: string): Promise<Volume> {
  let bytes: Uint8Array;
  try {
    bytes = await readWhole(file);
  } catch (error) {
    throw new InputError(file, `cannot read file: ${(error as Error).message}`);
  }
  return readParsed(parseDicomBytes(file, bytes), path.basename(file));
}

/** Reads the series of a folder (ReadOptions.series, else the largest). */
export async function readDicomFolder(dir: string, options: ReadOptions = {}): Promise<Volume> {
  const { images, skipped } = await scanFolder(dir);
  if (images.length === 0) {
    throw new InputError(
      dir,
      skipped.length
        ? `folder holds no DICOM images (${skipped.length} other file${skipped.length === 1 ? '' : 's'} skipped)`
        : 'folder holds no DICOM images (it is empty)',
    );
  }
  const series = summarize(images);
  let chosen = series[0];
  if (options.series !== undefined) {
    const found = series.find((s) => s.seriesInstanceUID === options.series);
    if (!found) {
      throw new InputError(dir, `no series ${options.series} here; the folder holds ${series.map(describeSeries).join('; ')}`);
    }
    chosen = found;
  }
  const files = images.filter((img) => img.seriesInstanceUID === chosen.seriesInstanceUID);
  const extra: Meta = { seriesInFolder: series.length };
  if (skipped.length) extra.skippedFiles = skipped.length;
  const seriesWarnings: string[] = [];
  if (series.length > 1 && options.series === undefined) {
    seriesWarnings.push(`folder holds ${series.length} series; read the largest, ${describeSeries(chosen)}`);
  }

  if (files.length === 1) {
    const volume = await readDicomFile(files[0].path);
    const meta = { ...(volume.meta ?? {}), ...extra };
    if (seriesWarnings.length) meta.warnings = [...seriesWarnings, ...(meta.warnings ? [String(meta.warnings)] : [])].join('; ');
    return { ...volume, meta };
  }

  const parsed: DicomFile[] = [];
  for (const img of files) parsed.push(parseDicomBytes(img.path, await readWhole(img.path)));
  for (const d of parsed) {
    checkTransferSyntax(d.file, d.transferSyntaxUID);
    if (isSegmentation(d)) {
      throw new InputError(dir, `series ${describeSeries(chosen)} holds several SEG objects: open one of its files instead`);
    }
  }
  const warnings = [...seriesWarnings];
  const frames: FrameInfo[] = [];
  for (const d of parsed) {
    const fmt = readPixelFormat(d);
    if (!d.dataset.pixelElement(d.file)) throw new InputError(d.file, 'has no PixelData');
    frames.push(...framesOf(d, fmt, path.basename(d.file), warnings));
  }
  const meta = { ...commonMeta(parsed[0], frames[0].fmt), ...extra, files: parsed.length };
  return volumeFromFrames(frames, dir, meta, warnings);
}

export const dicomReader: VolumeReader = {
  format: 'dicom',
  extensions: ['.dcm', '.dicom', '.ima'],
  sniff(head: FileHead): boolean {
    return !head.gzipped && hasDicmPrefix(head.bytes);
  },
  async sniffDirectory(dir: string, entries: readonly string[]): Promise<boolean> {
    for (const entry of entries) {
      if (entry.startsWith('.')) continue;
      const file = path.join(dir, entry);
      try {
        if (!(await fs.stat(file)).isFile()) continue;
      } catch {
        continue;
      }
      if (await isDicomFile(file)) return true;
    }
    return false;
  },
  async read(file: string, options?: ReadOptions): Promise<Volume> {
    let stat;
    try {
      stat = await fs.stat(file);
    } catch {
      throw new InputError(file, 'no such file or folder');
    }
    return stat.isDirectory() ? readDicomFolder(file, options) : readDicomFile(file);
  },
};
