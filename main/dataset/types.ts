/**
 * Rows the dataset API returns. They are zod schemas because the same objects travel over IPC to the renderer, which
 * validates what it receives; the catalogue also parses every row it reads through them, so a hand-edited or damaged
 * catalogue fails loudly instead of leaking odd values.
 */
import { z } from 'zod';

const finite = z.number().refine((v) => Number.isFinite(v), 'must be finite');
const vec3 = z.tuple([finite, finite, finite]);
const mat3 = z.tuple([finite, finite, finite, finite, finite, finite, finite, finite, finite]);
const channel255 = z.number().int().min(0).max(255);

/** sRGB, 0..255 per channel (the same convention as `LabelEntry.color`). */
export const ColorSchema = z.tuple([channel255, channel255, channel255]);
export type Color = z.infer<typeof ColorSchema>;

/** ISO 8601 UTC timestamp, as written by `new Date().toISOString()`. */
export const TimestampSchema = z.string().min(1);

export const ProjectInfoSchema = z.object({
  /** Absolute path of the project folder. */
  dir: z.string(),
  name: z.string(),
  created: TimestampSchema,
  /** Catalogue schema version (SQLite user_version). */
  schemaVersion: z.number().int(),
  /** Segstation version that created the project. */
  appVersion: z.string(),
  /** Absolute path of catalogue.sqlite. */
  catalogue: z.string(),
});
export type ProjectInfo = z.infer<typeof ProjectInfoSchema>;

export const ClassRowSchema = z.object({
  /** Voxel value in label maps. */
  value: z.number().int().min(0),
  name: z.string(),
  color: ColorSchema,
  description: z.string(),
});
export type ClassRow = z.infer<typeof ClassRowSchema>;

/** How a model should normalise intensities of a domain; 'auto' lets the trainer decide from the statistics. */
export const NORMALIZATION_HINTS = ['auto', 'zscore', 'ct', 'rescale01', 'none'] as const;
export const NormalizationHintSchema = z.enum(NORMALIZATION_HINTS);
export type NormalizationHint = z.infer<typeof NormalizationHintSchema>;

export const DomainRowSchema = z.object({
  name: z.string(),
  description: z.string(),
  normalization: NormalizationHintSchema,
  created: TimestampSchema,
});
export type DomainRow = z.infer<typeof DomainRowSchema>;

export const VolumeRoleSchema = z.enum(['image', 'label']);
export type VolumeRole = z.infer<typeof VolumeRoleSchema>;

export const VolumeRowSchema = z.object({
  id: z.string(),
  caseId: z.string(),
  role: VolumeRoleSchema,
  /** Channel index for images (0-based, in the order given at import); null for labels. */
  channel: z.number().int().min(0).nullable(),
  /** Modality name of an image channel ('T1', 'CT', 'XCT'...), null when unknown. */
  modality: z.string().nullable(),
  /** Absolute path of the imported file or folder. */
  sourcePath: z.string(),
  /** Reader format id ('nifti', 'nrrd', 'dicom'...). */
  sourceFormat: z.string(),
  /** Component of the source this channel came from (multi-component sources are split into channels). */
  sourceComponent: z.number().int().min(0),
  /** Hex SHA-256 of the source, see hashing.ts for folders. */
  sourceSha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Store path relative to the project folder, '/' separated. */
  storePath: z.string(),
  shape: z.tuple([z.number().int().min(1), z.number().int().min(1), z.number().int().min(1)]),
  spacing: vec3,
  origin: vec3,
  direction: mat3,
  dtype: z.string(),
  components: z.number().int().min(1),
  /** Smallest and largest finite value; null when the volume has none. */
  min: finite.nullable(),
  max: finite.nullable(),
  imported: TimestampSchema,
});
export type VolumeRow = z.infer<typeof VolumeRowSchema>;

export const LabelCountSchema = z.object({
  value: z.number().int().min(0),
  count: z.number().int().min(0),
});
export type LabelCount = z.infer<typeof LabelCountSchema>;

export const SubsetSchema = z.enum(['train', 'val', 'test']);
export type Subset = z.infer<typeof SubsetSchema>;

export const CaseSplitSchema = z.object({
  fold: z.number().int().min(0),
  subset: SubsetSchema,
});
export type CaseSplit = z.infer<typeof CaseSplitSchema>;

export const CaseSummarySchema = z.object({
  id: z.string(),
  domain: z.string(),
  created: TimestampSchema,
  note: z.string(),
  /** Number of image channels. */
  channels: z.number().int().min(0),
  hasLabel: z.boolean(),
});
export type CaseSummary = z.infer<typeof CaseSummarySchema>;

export const CaseDetailSchema = CaseSummarySchema.extend({
  /** Image channels in channel order, then the label if there is one. */
  volumes: z.array(VolumeRowSchema),
  /** Voxel count of every value in the label map (empty without a label). */
  labelCounts: z.array(LabelCountSchema),
  /** One entry per fold of the current split (empty when the case is not in a split). */
  splits: z.array(CaseSplitSchema),
});
export type CaseDetail = z.infer<typeof CaseDetailSchema>;

export const ImportResultSchema = z.object({
  case: CaseDetailSchema,
  /** Label values that were not in the class table before this import. */
  addedClasses: z.array(ClassRowSchema),
});
export type ImportResult = z.infer<typeof ImportResultSchema>;

export const SplitCaseSchema = z.object({
  caseId: z.string(),
  domain: z.string(),
  /** 'test', or 'train' for the cross-validation pool. */
  pool: z.enum(['train', 'test']),
  /** Fold in which the case is the validation set; null for test cases. */
  fold: z.number().int().min(0).nullable(),
});
export type SplitCase = z.infer<typeof SplitCaseSchema>;

export const SplitAssignmentSchema = z.object({
  folds: z.number().int().min(2),
  seed: z.number().int(),
  testFraction: z.number().min(0).max(1),
  created: TimestampSchema,
  /** Labelled cases, sorted by id. Cases without a label take no part in a split. */
  cases: z.array(SplitCaseSchema),
});
export type SplitAssignment = z.infer<typeof SplitAssignmentSchema>;

/** Histogram with `bins` as edges (length n + 1) and `counts` (length n); the last bin is closed on the right. */
export const HistogramSchema = z.object({
  bins: z.array(finite),
  counts: z.array(z.number().int().min(0)),
});
export type Histogram = z.infer<typeof HistogramSchema>;

/**
 * 'foreground': voxels where the case's label is > 0, over the labelled cases of the domain (as nnU-Net does);
 * 'all': every voxel, used when no case of the domain has a label.
 */
export const StatisticsMaskSchema = z.enum(['foreground', 'all']);
export type StatisticsMask = z.infer<typeof StatisticsMaskSchema>;

/**
 * 'exact': from every value (sorted) or from exact integer counts;
 * 'histogram': from a 65536-bin histogram over [min, max], error below one bin width, (max - min) / 65536.
 */
export const PercentileMethodSchema = z.enum(['exact', 'histogram']);
export type PercentileMethod = z.infer<typeof PercentileMethodSchema>;

export const DomainStatisticsSchema = z.object({
  domain: z.string(),
  channel: z.number().int().min(0),
  modality: z.string().nullable(),
  mask: StatisticsMaskSchema,
  /** Cases that contributed. */
  caseCount: z.number().int().min(0),
  /** Finite voxels that contributed (NaN and infinities are left out). */
  voxelCount: z.number().int().min(0),
  mean: finite.nullable(),
  /** Population standard deviation (ddof = 0, like numpy.std). */
  std: finite.nullable(),
  /** Percentiles with numpy's default 'linear' definition. */
  p0_5: finite.nullable(),
  p99_5: finite.nullable(),
  min: finite.nullable(),
  max: finite.nullable(),
  percentileMethod: PercentileMethodSchema,
  histogram: HistogramSchema,
  computed: TimestampSchema,
});
export type DomainStatistics = z.infer<typeof DomainStatisticsSchema>;
