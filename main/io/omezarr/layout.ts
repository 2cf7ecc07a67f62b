/**
 * OME-NGFF metadata: zod schemas for what we read (v0.4 on Zarr v2, v0.5 on Zarr v3) and builders for what we write
 * (v0.5, and v0.4 for fixtures and interchange).
 *
 * Array layout we write: C order [z, y, x] for scalar volumes, [c, z, y, x] when there are several components. NGFF
 * (0.4 and 0.5) requires the channel axis before the spatial axes, so `c` comes first even though the engine keeps
 * components interleaved in memory: the writer de-interleaves per chunk and the reader interleaves again while
 * copying chunks out, which costs one strided copy and keeps the store readable by every NGFF viewer. The chunk
 * extent along `c` is 1 (the usual NGFF choice), so a chunk's size does not depend on the number of components.
 *
 * NGFF has only per-axis scale and translation, no rotation. Each dataset gets scale = that level's spacing and
 * translation = level 0 origin shifted by half a coarse voxel minus half a fine one, i.e. (f - 1) / 2 level 0
 * voxels along each index axis, where f is the cumulative downsampling factor. The shift is done in index space:
 * the true LPS origin of a level is origin0 + D · diag(spacing0) · (f - 1) / 2, which equals the NGFF translation
 * only under an identity direction. The full geometry (direction, origin, spacing), label table, dtype and meta are
 * kept under `segstation` next to `ome` so that our own round trip is lossless; foreign stores without it get an
 * identity direction and origin = translation.
 */
import { z } from 'zod';
import { InputError } from '../../util/errors.ts';
import { DTYPES, type DType } from '../../volume/dtype.ts';
import type { Geometry, LabelEntry, Mat3, Vec3 } from '../../volume/volume.ts';

export type NgffVersion = '0.4' | '0.5';

/** Our own block in the group attributes; bumped when its meaning changes. */
export const SEGSTATION_ATTRS_VERSION = 1;

const finite = z.number().refine((v) => Number.isFinite(v), 'must be finite');
const vec3 = z.tuple([finite, finite, finite]);

export const AxisSchema = z.object({
  name: z.string(),
  type: z.string().optional(),
  unit: z.string().optional(),
});
export type NgffAxis = z.infer<typeof AxisSchema>;

export const TransformSchema = z.union([
  z.object({ type: z.literal('scale'), scale: z.array(finite) }),
  z.object({ type: z.literal('translation'), translation: z.array(finite) }),
  z.object({ type: z.literal('identity') }),
  // Path-based transforms exist in the spec; we parse them only to refuse them with a clear message.
  z.object({ type: z.enum(['scale', 'translation']), path: z.string() }),
]);
export type NgffTransform = z.infer<typeof TransformSchema>;

export const DatasetSchema = z.object({
  path: z.string(),
  coordinateTransformations: z.array(TransformSchema).optional(),
});
export type NgffDataset = z.infer<typeof DatasetSchema>;

export const MultiscaleSchema = z.object({
  version: z.string().optional(),
  name: z.string().optional(),
  // v0.3 listed axis names as strings.
  axes: z.array(z.union([AxisSchema, z.string()])).optional(),
  datasets: z.array(DatasetSchema).min(1),
  coordinateTransformations: z.array(TransformSchema).optional(),
  type: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});
export type NgffMultiscale = z.infer<typeof MultiscaleSchema>;

const rgba = z.array(z.number()).min(3).max(4);
export const ImageLabelSchema = z.object({
  version: z.string().optional(),
  colors: z.array(z.object({ 'label-value': z.number(), rgba: rgba.optional() })).optional(),
  properties: z.array(z.looseObject({ 'label-value': z.number(), name: z.string().optional() })).optional(),
  source: z.unknown().optional(),
});
export type NgffImageLabel = z.infer<typeof ImageLabelSchema>;

const LabelEntrySchema = z.object({
  value: finite,
  name: z.string(),
  color: z.tuple([z.number(), z.number(), z.number()]),
});

export const SegstationAttrsSchema = z.object({
  version: z.number(),
  dtype: z.enum(DTYPES),
  components: z.number().int().positive(),
  shape: z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]),
  spacing: vec3,
  origin: vec3,
  direction: z.array(finite).length(9),
  labels: z.array(LabelEntrySchema).optional(),
  meta: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  /** Cumulative downsampling factor (x, y, z) of each dataset, in dataset order. */
  levels: z.array(z.object({ path: z.string(), factor: vec3 })),
});
export type SegstationAttrs = z.infer<typeof SegstationAttrsSchema>;

/** Parsed group attributes of an OME-Zarr image. */
export interface OmeGroupMetadata {
  version: string;
  multiscale: NgffMultiscale;
  imageLabel?: NgffImageLabel;
  segstation?: SegstationAttrs;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function issues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

/** True when group attributes (v0.5 `attributes` or v0.4 `.zattrs`) carry NGFF multiscales. */
export function hasMultiscales(attrs: unknown): boolean {
  if (!isRecord(attrs)) return false;
  const ome = attrs.ome;
  if (isRecord(ome) && Array.isArray(ome.multiscales)) return true;
  return Array.isArray(attrs.multiscales);
}

/**
 * Reads NGFF metadata out of group attributes: `attributes.ome` (v0.5) or top-level `multiscales` (v0.4 and older).
 * `subject` names the store in errors.
 */
export function parseGroupAttributes(attrs: unknown, subject: string): OmeGroupMetadata {
  if (!isRecord(attrs)) throw new InputError(subject, 'group attributes are not a JSON object');
  const ome = isRecord(attrs.ome) ? attrs.ome : undefined;
  const container: Record<string, unknown> = ome ?? attrs;
  if (!Array.isArray(container.multiscales) || container.multiscales.length === 0) {
    throw new InputError(subject, 'no OME-NGFF multiscales metadata (expected attributes.ome.multiscales or .zattrs multiscales)');
  }
  const parsed = MultiscaleSchema.safeParse(container.multiscales[0]);
  if (!parsed.success) throw new InputError(subject, `invalid OME-NGFF multiscales metadata: ${issues(parsed.error)}`);
  const multiscale = parsed.data;
  const version = (ome && typeof ome.version === 'string' ? ome.version : undefined) ?? multiscale.version ?? '0.4';
  const out: OmeGroupMetadata = { version, multiscale };
  if (container['image-label'] !== undefined) {
    const label = ImageLabelSchema.safeParse(container['image-label']);
    if (label.success) out.imageLabel = label.data;
  }
  if (attrs.segstation !== undefined) {
    const ours = SegstationAttrsSchema.safeParse(attrs.segstation);
    if (!ours.success) throw new InputError(subject, `invalid segstation attributes: ${issues(ours.error)}`);
    out.segstation = ours.data;
  }
  return out;
}

/** Axis names of a multiscale (v0.3 strings or v0.4+ objects); when absent, the last dimensions are z, y, x. */
export function axisList(multiscale: NgffMultiscale, ndim: number, subject: string): NgffAxis[] {
  if (!multiscale.axes) {
    const names = ['t', 'c', 'z', 'y', 'x'].slice(5 - ndim);
    if (ndim > 5 || ndim < 2) throw new InputError(subject, `multiscales has no axes and the array has ${ndim} dimensions`);
    return names.map((name) => ({ name, type: name === 'c' ? 'channel' : name === 't' ? 'time' : 'space' }));
  }
  const axes = multiscale.axes.map((a) => (typeof a === 'string' ? { name: a } : a));
  if (axes.length !== ndim) {
    throw new InputError(subject, `multiscales lists ${axes.length} axes but the array has ${ndim} dimensions`);
  }
  return axes;
}

/** Millimetres per unit for the UDUNITS length names NGFF allows; unknown or absent units are taken as mm. */
const MM_PER_UNIT: Record<string, number> = {
  angstrom: 1e-7,
  attometer: 1e-15,
  centimeter: 10,
  decimeter: 100,
  exameter: 1e21,
  femtometer: 1e-12,
  foot: 304.8,
  gigameter: 1e12,
  hectometer: 1e5,
  inch: 25.4,
  kilometer: 1e6,
  megameter: 1e9,
  meter: 1000,
  micrometer: 1e-3,
  mile: 1609344,
  millimeter: 1,
  nanometer: 1e-6,
  parsec: 3.0856775814913675e19,
  petameter: 1e18,
  picometer: 1e-9,
  terameter: 1e15,
  yard: 914.4,
  yoctometer: 1e-21,
  yottameter: 1e27,
  zeptometer: 1e-18,
  zettameter: 1e24,
};

export function millimetresPerUnit(unit: string | undefined): number {
  if (!unit) return 1;
  return MM_PER_UNIT[unit.toLowerCase()] ?? 1;
}

/**
 * Scale and translation of a dataset in the multiscale's axis order, with the multiscale-wide transforms applied
 * after the dataset's own (as NGFF defines): physical = gs · (s · i + t) + gt.
 */
export function datasetTransform(
  multiscale: NgffMultiscale,
  dataset: NgffDataset,
  ndim: number,
  subject: string,
): { scale: number[]; translation: number[] } {
  const scale = new Array<number>(ndim).fill(1);
  const translation = new Array<number>(ndim).fill(0);
  const apply = (list: NgffTransform[] | undefined) => {
    for (const t of list ?? []) {
      if ('path' in t) throw new InputError(subject, `coordinateTransformations with a "path" are not supported`);
      if (t.type === 'scale') {
        if (t.scale.length !== ndim) throw new InputError(subject, `scale has ${t.scale.length} entries for ${ndim} axes`);
        for (let i = 0; i < ndim; i++) {
          scale[i] *= t.scale[i];
          translation[i] *= t.scale[i];
        }
      } else if (t.type === 'translation') {
        if (t.translation.length !== ndim) {
          throw new InputError(subject, `translation has ${t.translation.length} entries for ${ndim} axes`);
        }
        for (let i = 0; i < ndim; i++) translation[i] += t.translation[i];
      }
    }
  };
  apply(dataset.coordinateTransformations);
  apply(multiscale.coordinateTransformations);
  return { scale, translation };
}

// ---------------------------------------------------------------------------------------------------------------
// Geometry of pyramid levels

/** Geometry of a level downsampled by the cumulative factor `f` (x, y, z) from level 0: see the module comment. */
export function levelGeometry(base: Pick<Geometry, 'spacing' | 'origin' | 'direction'>, factor: Vec3, shape: Vec3): Geometry {
  const s = base.spacing;
  const d = base.direction;
  const shift: Vec3 = [((factor[0] - 1) / 2) * s[0], ((factor[1] - 1) / 2) * s[1], ((factor[2] - 1) / 2) * s[2]];
  return {
    shape: [...shape] as Vec3,
    spacing: [s[0] * factor[0], s[1] * factor[1], s[2] * factor[2]],
    origin: [
      base.origin[0] + d[0] * shift[0] + d[1] * shift[1] + d[2] * shift[2],
      base.origin[1] + d[3] * shift[0] + d[4] * shift[1] + d[5] * shift[2],
      base.origin[2] + d[6] * shift[0] + d[7] * shift[1] + d[8] * shift[2],
    ],
    direction: [...d] as Mat3,
  };
}

/** NGFF translation (x, y, z) of a level: level 0 origin plus the half-voxel shift along each index axis. */
export function levelTranslation(base: Pick<Geometry, 'spacing' | 'origin'>, factor: Vec3): Vec3 {
  return [0, 1, 2].map((i) => base.origin[i] + ((factor[i] - 1) / 2) * base.spacing[i]) as Vec3;
}

// ---------------------------------------------------------------------------------------------------------------
// Builders

export interface LevelSpec {
  path: string;
  shape: Vec3;
  /** Cumulative factor (x, y, z) relative to level 0. */
  factor: Vec3;
}

export interface GroupAttributesInput {
  version: NgffVersion;
  name: string;
  dtype: DType;
  components: number;
  geometry: Geometry;
  levels: readonly LevelSpec[];
  labels?: LabelEntry[];
  meta?: Record<string, string | number | boolean>;
  isLabel: boolean;
}

export function ngffAxes(components: number): NgffAxis[] {
  const spatial: NgffAxis[] = ['z', 'y', 'x'].map((name) => ({ name, type: 'space', unit: 'millimeter' }));
  return components > 1 ? [{ name: 'c', type: 'channel' }, ...spatial] : spatial;
}

export function buildMultiscale(input: GroupAttributesInput): NgffMultiscale {
  const withC = input.components > 1;
  const datasets: NgffDataset[] = input.levels.map((level) => {
    const g = levelGeometry(input.geometry, level.factor, level.shape);
    const t = levelTranslation(input.geometry, level.factor);
    const scale = [g.spacing[2], g.spacing[1], g.spacing[0]];
    const translation = [t[2], t[1], t[0]];
    return {
      path: level.path,
      coordinateTransformations: [
        { type: 'scale', scale: withC ? [1, ...scale] : scale },
        { type: 'translation', translation: withC ? [0, ...translation] : translation },
      ],
    };
  });
  const multiscale: NgffMultiscale = {
    ...(input.version === '0.4' ? { version: '0.4' } : {}),
    name: input.name,
    axes: ngffAxes(input.components),
    datasets,
    type: input.isLabel ? 'mode' : 'mean',
    metadata: {
      description: input.isLabel
        ? '2x block mode per axis (ties to the smaller value); axes of size 1 are kept'
        : '2x block mean per axis, rounded for integer types; axes of size 1 are kept',
      method: 'segstation.pyramid',
    },
  };
  return multiscale;
}

export function buildImageLabel(version: NgffVersion, labels: LabelEntry[] | undefined): NgffImageLabel {
  const out: NgffImageLabel = version === '0.4' ? { version: '0.4' } : {};
  if (labels && labels.length > 0) {
    out.colors = labels.map((l) => ({ 'label-value': l.value, rgba: [l.color[0], l.color[1], l.color[2], 255] }));
    out.properties = labels.map((l) => ({ 'label-value': l.value, name: l.name }));
  }
  return out;
}

export function buildSegstationAttrs(input: GroupAttributesInput): SegstationAttrs {
  const g = input.geometry;
  return {
    version: SEGSTATION_ATTRS_VERSION,
    dtype: input.dtype,
    components: input.components,
    shape: [...g.shape] as Vec3,
    spacing: [...g.spacing] as Vec3,
    origin: [...g.origin] as Vec3,
    direction: [...g.direction],
    ...(input.labels ? { labels: input.labels.map((l) => ({ ...l, color: [...l.color] as [number, number, number] })) } : {}),
    ...(input.meta ? { meta: { ...input.meta } } : {}),
    levels: input.levels.map((l) => ({ path: l.path, factor: [...l.factor] as Vec3 })),
  };
}

/**
 * Group attributes: v0.5 puts NGFF under `ome` (with `ome.version`), v0.4 puts `multiscales` (each with its own
 * `version`) and `image-label` at the top of `.zattrs`. Ours sits under `segstation` in both.
 */
export function buildGroupAttributes(input: GroupAttributesInput): Record<string, unknown> {
  const multiscales = [buildMultiscale(input)];
  const ngff: Record<string, unknown> = { multiscales };
  if (input.isLabel) ngff['image-label'] = buildImageLabel(input.version, input.labels);
  const segstation = buildSegstationAttrs(input);
  if (input.version === '0.5') return { ome: { version: '0.5', ...ngff }, segstation };
  return { ...ngff, segstation };
}

/** Labels from NGFF image-label metadata (foreign stores): colours by value, names from properties. */
export function labelsFromImageLabel(imageLabel: NgffImageLabel): LabelEntry[] | undefined {
  const values = new Map<number, LabelEntry>();
  for (const c of imageLabel.colors ?? []) {
    const v = c['label-value'];
    const rgb = c.rgba ?? [128, 128, 128];
    values.set(v, { value: v, name: `label ${v}`, color: [rgb[0], rgb[1], rgb[2]] });
  }
  for (const p of imageLabel.properties ?? []) {
    const v = p['label-value'];
    const entry = values.get(v) ?? { value: v, name: `label ${v}`, color: [128, 128, 128] as [number, number, number] };
    if (typeof p.name === 'string') entry.name = p.name;
    values.set(v, entry);
  }
  if (values.size === 0) return undefined;
  return [...values.values()].sort((a, b) => a.value - b.value);
}
