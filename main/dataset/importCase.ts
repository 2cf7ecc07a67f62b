/**
 * importCase: reads a case's image channels (and label), checks them, writes one OME-Zarr store per volume and records
 * everything in the catalogue — all or nothing.
 *
 * Order of work, under the project lock:
 *   1. checks that need no reading (case id free, store names free), then read and check every input;
 *   2. write every store into a staging folder `volumes/.import-<pid>-<random>/` (never seen as a store);
 *   3. update the catalogue in memory in one transaction;
 *   4. persist the catalogue atomically (writeFileAtomic);
 *   5. rename each store from staging to `volumes/<volumeId>.ome.zarr`, remove the staging folder.
 * A failure in 2-3 removes the staging folder; a failure in 4-5 also moves back the stores already renamed and
 * rewrites the catalogue's original bytes. The project is then byte-for-byte what it was. (A crash of the process,
 * as opposed to an error, can leave a staging folder behind; it is never referenced and can be deleted.)
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { createOmeZarrStore, type OmeZarrStoreBuilder } from '../io/omezarr/index.ts';
import { streamVolume, type VolumeStream } from '../io/registry.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { errorMessage, InputError } from '../util/errors.ts';
import { allocate, dtypeOf, integerRange, isIntegerDType, type TypedArray } from '../volume/dtype.ts';
import { distinctValues } from '../volume/statistics.ts';
import { gridDifferences, type LabelEntry, type VolumeHeader } from '../volume/volume.ts';
import {
  nowIso,
  persistCatalogue,
  queryAll,
  queryOne,
  transaction,
  withCatalogueLocked,
  type Catalogue,
} from './catalogue.ts';
import { addMissingClasses, planMissingClasses } from './classes.ts';
import { DEFAULT_DOMAIN, DomainNameSchema, resolveDomain } from './domains.ts';
import { checkpoint } from './faults.ts';
import { sha256Source } from './hashing.ts';
import { parseOptions } from './input.ts';
import { VOLUMES_FOLDER } from './project.ts';
import { selectCase } from './rows.ts';
import type { ClassRow, Color, ImportResult, VolumeRole } from './types.ts';

/** Most distinct values a label map may have. */
export const MAX_LABEL_VALUES = 1000;

/** Case ids become file names: letters, digits, '.', '_', '-', starting with a letter or digit. */
export const CaseIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "must be 1-128 characters of letters, digits, '.', '_' or '-', starting with a letter or digit")
  .refine((id) => !id.endsWith('.'), "must not end with '.'");

const ImportSchema = z.object({
  image: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  label: z.string().min(1).optional(),
  caseId: CaseIdSchema.optional(),
  domain: DomainNameSchema.optional(),
  modality: z.array(z.string().trim().min(1).max(100)).optional(),
  note: z.string().max(10_000).optional(),
});

export interface ImportCaseOptions {
  /** One file or folder per channel; a multi-component file contributes one channel per component. */
  image: string | string[];
  /** Label map on the image's grid: integer dtype, one component, values >= 0. */
  label?: string;
  /** Default: the first image's file name without extensions (and without an nnU-Net `_0000` channel suffix). */
  caseId?: string;
  /** Default 'default'; a domain that does not exist yet is created. */
  domain?: string;
  /** One name per channel; default: the names of the project's earlier cases, else what the reader found, else none. */
  modality?: string[];
  note?: string;
}

const KNOWN_EXTENSIONS = [
  '.ome.zarr', '.zarr', '.nii.gz', '.nii', '.nrrd', '.nhdr', '.mha', '.mhd', '.tiff', '.tif', '.h5', '.hdf5', '.hdf',
  '.mnc', '.dcm', '.gz',
];

/** A case id from a file name: extensions and an nnU-Net channel suffix stripped, other characters replaced by '_'. */
export function caseIdFromPath(file: string): string {
  let name = path.basename(file.replace(/[\\/]+$/, ''));
  for (let again = true; again; ) {
    again = false;
    for (const ext of KNOWN_EXTENSIONS) {
      if (name.toLowerCase().endsWith(ext) && name.length > ext.length) {
        name = name.slice(0, -ext.length);
        again = true;
      }
    }
  }
  name = name.replace(/_\d{4}$/, '').replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[^A-Za-z0-9]+/, '').replace(/\.+$/, '');
  return (name || 'case').slice(0, 128);
}

export function volumeIdFor(caseId: string, role: VolumeRole, channel: number | null): string {
  return role === 'label' ? `${caseId}_label` : `${caseId}_image${channel}`;
}

export function storePathFor(volumeId: string): string {
  return `${VOLUMES_FOLDER}/${volumeId}.ome.zarr`;
}

interface Source {
  file: string;
  format: string;
  sha256: string;
}

interface Planned {
  id: string;
  role: VolumeRole;
  channel: number | null;
  modality: string | null;
  source: Source;
  sourceComponent: number;
  /** Header of the stored volume (always one component). */
  header: VolumeHeader;
  min: number | null;
  max: number | null;
}

/** Smallest and largest finite value (NaN and infinities left out). */
export function finiteRange(data: TypedArray): { min: number | null; max: number | null } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < min && v > -Infinity) min = v;
    if (v > max && v < Infinity) max = v;
  }
  return min <= max ? { min, max } : { min: null, max: null };
}

/** The header of one component of a volume, without the source's label table or provenance. */
function scalarHeader(header: VolumeHeader): VolumeHeader {
  const { labels: _labels, meta: _meta, ...rest } = header;
  return { ...rest, components: 1 };
}

/** Distinct values of a streamed label map with their counts, or null when there are more than `limit`. */
async function countLabelValues(stream: VolumeStream, limit: number): Promise<{ value: number; count: number }[] | null> {
  const counts = new Map<number, number>();
  for await (const slab of stream.slabs(LABEL_COUNT_SLAB_DEPTH)) {
    const slabCounts = distinctValues(slab.data, limit);
    if (!slabCounts) return null;
    for (const { value, count } of slabCounts) counts.set(value, (counts.get(value) ?? 0) + count);
    if (counts.size > limit) return null;
  }
  return [...counts.entries()].sort((a, b) => a[0] - b[0]).map(([value, count]) => ({ value, count }));
}

const LABEL_COUNT_SLAB_DEPTH = 16;

/**
 * Streams one source into the OME-Zarr stores of `targets` (one per component it contributes) in `staging`, slab by
 * slab, recording each image's finite value range on the way. Memory: one slab of the source plus one per component.
 */
async function writeStores(stream: VolumeStream, targets: Planned[], staging: string): Promise<void> {
  const builders: OmeZarrStoreBuilder[] = [];
  try {
    for (const p of targets) builders.push(await createOmeZarrStore(path.join(staging, `${p.id}.ome.zarr`), p.header));
    const components = stream.header.components;
    const ranges = targets.map(() => ({ min: Infinity, max: -Infinity }));
    for await (const slab of stream.slabs(builders[0].slabDepth)) {
      for (const [t, p] of targets.entries()) {
        const data = components === 1 ? slab.data : componentOfSlab(slab.data, components, p.sourceComponent);
        if (p.role === 'image') {
          const r = finiteRange(data);
          if (r.min !== null && r.max !== null) {
            ranges[t].min = Math.min(ranges[t].min, r.min);
            ranges[t].max = Math.max(ranges[t].max, r.max);
          }
        }
        await builders[t].writeSlab(slab.z0, data);
      }
    }
    for (const builder of builders) await builder.finalize();
    for (const [t, p] of targets.entries()) {
      if (p.role === 'image' && ranges[t].min <= ranges[t].max) {
        p.min = ranges[t].min;
        p.max = ranges[t].max;
      }
    }
  } catch (error) {
    await Promise.allSettled(builders.map((b) => b.abort()));
    throw error;
  }
}

/** One component of an interleaved slab. */
function componentOfSlab(data: TypedArray, components: number, component: number): TypedArray {
  const n = data.length / components;
  const out = allocate(dtypeOf(data), n);
  for (let i = 0; i < n; i++) out[i] = data[i * components + component];
  return out;
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** Imports one case; see the file comment for the all-or-nothing guarantee. */
export async function importCase(dir: string, options: ImportCaseOptions): Promise<ImportResult> {
  const input = parseOptions(ImportSchema, options, 'import');
  const imageFiles = (Array.isArray(input.image) ? input.image : [input.image]).map((f) => path.resolve(f));
  const labelFile = input.label ? path.resolve(input.label) : undefined;
  const caseId = input.caseId ?? caseIdFromPath(imageFiles[0]);
  if (input.caseId === undefined) parseOptions(CaseIdSchema, caseId, 'derived case id');
  return withCatalogueLocked(dir, `import case ${caseId}`, (catalogue) =>
    importLocked(catalogue, { ...input, caseId, imageFiles, labelFile }),
  );
}

interface ResolvedImport {
  caseId: string;
  imageFiles: string[];
  labelFile: string | undefined;
  domain?: string;
  modality?: string[];
  note?: string;
}

async function importLocked(catalogue: Catalogue, input: ResolvedImport): Promise<ImportResult> {
  const { db, dir } = catalogue;
  const { caseId, imageFiles, labelFile } = input;

  const clash = queryOne(db, 'SELECT id FROM cases WHERE id = ?', [caseId]);
  if (clash) throw new InputError(`case ${caseId}`, `already exists in project ${dir} (as '${String(clash.id)}')`);

  // Existing channel layout of the project.
  const layout = queryAll(
    db,
    "SELECT channel, MAX(modality) AS modality FROM volumes WHERE role = 'image' GROUP BY channel ORDER BY channel",
  );
  const knownChannels = layout.length;
  const knownModality = layout.map((r) => (r.modality === null ? null : String(r.modality)));

  // Open and check the images. Voxels are streamed slab by slab (natively where the reader can), so that a volume
  // larger than memory imports in bounded memory; only headers are compared here.
  const hashes = new Map<string, Promise<string>>();
  const hashOf = (file: string) => {
    let h = hashes.get(file);
    if (!h) hashes.set(file, (h = sha256Source(file)));
    return h;
  };
  const planned: Planned[] = [];
  const streams = new Map<string, VolumeStream>();
  let reference: { file: string; header: VolumeHeader } | undefined;
  for (const file of imageFiles) {
    const { format, ...stream } = await streamVolume(file);
    const header = stream.header;
    if (reference) {
      const diffs = gridDifferences(reference.header, header);
      if (diffs.length > 0) throw new InputError(`image ${file} does not match image ${reference.file}`, diffs.join('; '));
    } else reference = { file, header };
    streams.set(file, stream);
    const source: Source = { file, format, sha256: await hashOf(file) };
    const readerModality = typeof header.meta?.modality === 'string' && header.meta.modality ? header.meta.modality : null;
    for (let c = 0; c < header.components; c++) {
      const channel = planned.length;
      planned.push({
        id: volumeIdFor(caseId, 'image', channel),
        role: 'image',
        channel,
        modality: readerModality,
        source,
        sourceComponent: c,
        header: { ...scalarHeader(header), meta: { role: 'image', case: caseId, channel } },
        min: null,
        max: null,
      });
    }
  }
  if (!reference) throw new InputError('import.image', 'at least one image is needed');
  const channels = planned.length;
  if (knownChannels > 0 && channels !== knownChannels) {
    throw new InputError(
      `case ${caseId}`,
      `has ${channels} image channel${channels === 1 ? '' : 's'} but the project's cases have ${knownChannels}`,
    );
  }
  if (input.modality) {
    if (input.modality.length !== channels) {
      throw new InputError('import.modality', `gives ${input.modality.length} names for ${channels} image channels`);
    }
    input.modality.forEach((name, c) => {
      const known = knownModality[c];
      if (known && known.toLowerCase() !== name.toLowerCase()) {
        throw new InputError('import.modality', `channel ${c} is '${name}' but the project's cases have '${known}' there`);
      }
    });
  }
  for (const p of planned) {
    p.modality = input.modality?.[p.channel as number] ?? knownModality[p.channel as number] ?? p.modality;
  }

  // Open and check the label: its values are counted in a first streamed pass, since the class table (written into
  // the label's store) depends on them.
  let labelValues: { value: number; count: number }[] = [];
  let labelNames = new Map<number, { name: string; color: Color }>();
  if (labelFile) {
    const { format, ...stream } = await streamVolume(labelFile);
    const label = stream.header;
    const diffs = gridDifferences(reference.header, label);
    if (diffs.length > 0) throw new InputError(`label ${labelFile} does not match image ${reference.file}`, diffs.join('; '));
    if (!isIntegerDType(label.dtype) || label.components !== 1) {
      throw new InputError(
        `label ${labelFile}`,
        `must be an integer volume with one component, got ${label.dtype} with ${label.components} component${label.components === 1 ? '' : 's'}`,
      );
    }
    const counts = await countLabelValues(stream, MAX_LABEL_VALUES);
    if (!counts) throw new InputError(`label ${labelFile}`, `has more than ${MAX_LABEL_VALUES} distinct values; is it an image?`);
    const negative = counts.find((c) => c.value < 0);
    if (negative) throw new InputError(`label ${labelFile}`, `has negative value ${negative.value}; label values must be >= 0`);
    if (integerRange(label.dtype)[1] > 2 ** 31 - 1 && counts.some((c) => c.value > 2 ** 31 - 1)) {
      throw new InputError(`label ${labelFile}`, 'has values above 2^31 - 1');
    }
    labelValues = counts;
    labelNames = new Map((label.labels ?? []).map((e) => [e.value, { name: e.name, color: e.color }]));
    streams.set(labelFile, stream);
    planned.push({
      id: volumeIdFor(caseId, 'label', null),
      role: 'label',
      channel: null,
      modality: null,
      source: { file: labelFile, format, sha256: await hashOf(labelFile) },
      sourceComponent: 0,
      header: label, // labels and meta are set once the class table is known
      min: counts.length > 0 ? counts[0].value : null,
      max: counts.length > 0 ? counts[counts.length - 1].value : null,
    });
  }

  // Final store names must be free (a store left without a catalogue row would otherwise be overwritten).
  for (const p of planned) {
    const target = path.join(dir, storePathFor(p.id));
    if (await exists(target)) {
      throw new InputError(target, 'already exists but is not recorded for this case; remove it or choose another case id');
    }
  }

  // The label's class table as it will be after the import: existing names kept, new values named.
  const newClasses = planMissingClasses(db, labelValues.map((c) => c.value), labelNames);
  const labelPlan = planned.find((p) => p.role === 'label');
  if (labelPlan) {
    const classes = new Map<number, LabelEntry>();
    for (const r of queryAll(db, 'SELECT value, name, color_r, color_g, color_b FROM classes')) {
      classes.set(Number(r.value), { value: Number(r.value), name: String(r.name), color: [Number(r.color_r), Number(r.color_g), Number(r.color_b)] });
    }
    for (const c of newClasses) classes.set(c.value, { value: c.value, name: c.name, color: c.color });
    labelPlan.header = {
      ...labelPlan.header,
      labels: labelValues.map((c) => classes.get(c.value) as LabelEntry),
      meta: { role: 'label', case: caseId, isLabel: true },
    };
  }

  const staging = path.join(dir, VOLUMES_FOLDER, `.import-${process.pid}-${randomBytes(4).toString('hex')}`);
  const moved: { from: string; to: string }[] = [];
  let persisted = false;
  let added: ClassRow[] = [];
  try {
    await fs.mkdir(staging, { recursive: false });
    for (const [file, stream] of streams) {
      const targets = planned.filter((p) => p.source.file === file && (p.role === 'label') === (file === labelFile));
      await writeStores(stream, targets, staging);
      for (const p of targets) await checkpoint('store-written', p.id);
    }

    const imported = nowIso();
    transaction(db, () => {
      const domain = resolveDomain(db, input.domain ?? DEFAULT_DOMAIN, true) as string;
      db.run('INSERT INTO cases (id, domain, created, note) VALUES (?, ?, ?, ?)', [caseId, domain, imported, input.note ?? '']);
      for (const p of planned) {
        const v = p.header;
        db.run(
          `INSERT INTO volumes (id, case_id, role, channel, modality, source_path, source_format, source_component,
             source_sha256, store_path, shape, spacing, origin, direction, dtype, components, min, max, imported)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            p.id, caseId, p.role, p.channel, p.modality, p.source.file, p.source.format, p.sourceComponent,
            p.source.sha256, storePathFor(p.id), JSON.stringify(v.shape), JSON.stringify(v.spacing),
            JSON.stringify(v.origin), JSON.stringify(v.direction), v.dtype, v.components, p.min, p.max, imported,
          ],
        );
      }
      added = addMissingClasses(db, labelValues.map((c) => c.value), labelNames);
      for (const { value, count } of labelValues) {
        db.run('INSERT INTO label_counts (case_id, value, voxel_count) VALUES (?, ?, ?)', [caseId, value, count]);
      }
      // The domain's statistics no longer describe its cases.
      db.run('DELETE FROM domain_statistics WHERE domain = ?', [domain]);
    });

    await checkpoint('before-persist');
    await persistCatalogue(catalogue);
    persisted = true;
    await checkpoint('after-persist');

    for (const p of planned) {
      const from = path.join(staging, `${p.id}.ome.zarr`);
      const to = path.join(dir, storePathFor(p.id));
      await fs.rename(from, to);
      moved.push({ from, to });
      await checkpoint('store-moved', p.id);
    }
    await fs.rm(staging, { recursive: true, force: true });
  } catch (error) {
    const problems = await undo(catalogue, staging, moved, persisted);
    if (problems.length > 0) {
      throw new Error(`${errorMessage(error)}; and undoing the import failed: ${problems.join('; ')}`, { cause: error });
    }
    throw error;
  }

  const result = selectCase(db, caseId);
  if (!result) throw new Error(`case ${caseId} vanished from the catalogue after its import`);
  return { case: result, addedClasses: added };
}

/** Puts the project back as it was before the import. */
async function undo(
  catalogue: Catalogue,
  staging: string,
  moved: { from: string; to: string }[],
  persisted: boolean,
): Promise<string[]> {
  const problems: string[] = [];
  for (const { from, to } of moved.reverse()) {
    try {
      await fs.rename(to, from);
    } catch (error) {
      problems.push(`could not move ${to} back: ${(error as Error).message}`);
    }
  }
  if (persisted) {
    try {
      await writeFileAtomic(catalogue.file, catalogue.original);
    } catch (error) {
      problems.push(`could not restore ${catalogue.file}: ${(error as Error).message}`);
    }
  }
  try {
    await fs.rm(staging, { recursive: true, force: true });
  } catch (error) {
    problems.push(`could not remove ${staging}: ${(error as Error).message}`);
  }
  return problems;
}
