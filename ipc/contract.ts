/**
 * The typed contract between the renderer and the engine: one zod schema per request's params, per response's result
 * and per event's payload, gathered in the METHODS and EVENTS tables. Both transports (Electron IPC and the web
 * WebSocket) validate every incoming message against these tables, so a malformed message gets a typed error reply.
 *
 * Browser-safe: zod and plain TypeScript only (the renderer bundles this file).
 * Request params are strict objects (an unknown field is an error, so typos surface); results are plain objects so an
 * engine may add fields without breaking older renderers.
 */
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------------------------------
// Building blocks

/** Voxel data types; the same list as main/volume/dtype.ts (a unit test keeps them equal). */
export const DTYPES = ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'float64'] as const;
export const DTypeSchema = z.enum(DTYPES);
export type DType = z.infer<typeof DTypeSchema>;

const finite = z.number().refine((v) => Number.isFinite(v), 'must be a finite number');
export const Vec3Schema = z.tuple([finite, finite, finite]);
export type Vec3 = z.infer<typeof Vec3Schema>;
const positiveInt = z.number().int().min(1);
export const ShapeSchema = z.tuple([positiveInt, positiveInt, positiveInt]);
export type Shape = z.infer<typeof ShapeSchema>;
/** Row-major 3x3; column j is the world (LPS) direction of index axis j. */
export const Mat3Schema = z.tuple([finite, finite, finite, finite, finite, finite, finite, finite, finite]);
export type Mat3 = z.infer<typeof Mat3Schema>;
const channel255 = z.number().int().min(0).max(255);
/** sRGB, 0..255 per channel. */
export const ColorSchema = z.tuple([channel255, channel255, channel255]);
export type Color = z.infer<typeof ColorSchema>;

export const AxisSchema = z.union([z.literal(0), z.literal(1), z.literal(2)]);
export type Axis = z.infer<typeof AxisSchema>;

/** Ids travel in data-plane URLs, so they are restricted to URL-safe characters. */
export const IdSchema = z.string().regex(/^[A-Za-z0-9._-]{1,200}$/, 'must be 1-200 characters of A-Z a-z 0-9 . _ -');
const nonEmpty = z.string().min(1, 'must not be empty');

export const VolumeRoleSchema = z.enum(['image', 'label']);
export type VolumeRole = z.infer<typeof VolumeRoleSchema>;

export const LabelEntrySchema = z.object({
  value: z.number().int().min(0),
  name: z.string(),
  color: ColorSchema,
});
export type LabelEntry = z.infer<typeof LabelEntrySchema>;

export const LevelInfoSchema = z.object({
  /** 0 = full resolution; each higher level is coarser. */
  level: z.number().int().min(0),
  shape: ShapeSchema,
  spacing: Vec3Schema,
  /** World position of voxel (0,0,0) of this level (a coarse voxel centre moves with the averaging). */
  origin: Vec3Schema,
});
export type LevelInfo = z.infer<typeof LevelInfoSchema>;

export const VolumeMetaSchema = z.object({
  id: IdSchema,
  name: z.string(),
  role: VolumeRoleSchema,
  shape: ShapeSchema,
  components: positiveInt,
  dtype: DTypeSchema,
  spacing: Vec3Schema,
  origin: Vec3Schema,
  direction: Mat3Schema,
  /**
   * Smallest and largest finite value (0, 0 when there is none). Exact for files read whole and project volumes; for an
   * OME-Zarr store opened directly (read lazily), the range of its coarsest level, which lies within the true range.
   */
  min: finite,
  max: finite,
  /** Level 0 first. */
  levels: z.array(LevelInfoSchema).min(1),
  labels: z.array(LabelEntrySchema).optional(),
  /** For a label: the image whose grid it lies on. */
  imageId: IdSchema.optional(),
  /** Where the voxels come from: a file opened directly, or a volume of a project (read lazily from OME-Zarr). */
  source: z.object({ kind: z.enum(['file', 'project']), path: z.string(), caseId: z.string().optional() }),
});
export type VolumeMeta = z.infer<typeof VolumeMetaSchema>;

export const ClassInfoSchema = z.object({
  value: z.number().int().min(0),
  name: z.string(),
  color: ColorSchema,
  description: z.string(),
});
export type ClassInfo = z.infer<typeof ClassInfoSchema>;

export const ProjectSummarySchema = z.object({
  /** Absolute path of the project folder. */
  dir: z.string(),
  name: z.string(),
  created: z.string(),
  schemaVersion: z.number().int(),
  appVersion: z.string(),
  caseCount: z.number().int().min(0),
  classes: z.array(ClassInfoSchema),
});
export type ProjectSummary = z.infer<typeof ProjectSummarySchema>;

export const RecentProjectSchema = z.object({
  dir: z.string(),
  name: z.string(),
  /** ISO 8601 UTC. */
  lastOpened: z.string(),
});
export type RecentProject = z.infer<typeof RecentProjectSchema>;

export const CaseEntrySchema = z.object({
  id: z.string(),
  domain: z.string(),
  note: z.string(),
  /** Engine volume ids of the image channels, in channel order; pass them to volume.meta / the data plane. */
  imageIds: z.array(IdSchema),
  /** Engine volume id of the label map, null without one. */
  labelId: IdSchema.nullable(),
  /** Modality of each image channel (null when unknown). */
  modalities: z.array(z.string().nullable()),
  /** Subset per fold of the current split (empty when not split). */
  splits: z.array(z.object({ fold: z.number().int().min(0), subset: z.enum(['train', 'val', 'test']) })),
});
export type CaseEntry = z.infer<typeof CaseEntrySchema>;

/** 'paused' only for job kinds that can pause (JobKindInfo.pausable), e.g. 'train'. */
export const JOB_STATUSES = ['queued', 'running', 'paused', 'completed', 'cancelled', 'failed'] as const;
export const JobStatusSchema = z.enum(JOB_STATUSES);
export type JobStatus = z.infer<typeof JobStatusSchema>;

export const JobInfoSchema = z.object({
  jobId: IdSchema,
  kind: z.string(),
  status: JobStatusSchema,
  done: z.number().min(0),
  total: z.number().min(0),
  message: z.string(),
  /** ISO 8601 UTC. */
  started: z.string(),
  finished: z.string().optional(),
  error: z.string().optional(),
  /** The job kind's JSON result once completed. */
  result: z.unknown().optional(),
  /** The training (or prediction) run the job works on, once known (from its first 'training.progress' event). */
  runId: z.string().optional(),
});
export type JobInfo = z.infer<typeof JobInfoSchema>;

export const JobKindInfoSchema = z.object({
  kind: z.string(),
  description: z.string(),
  /** Whether job.pause / job.resume apply to jobs of this kind. */
  pausable: z.boolean().optional(),
});
export type JobKindInfo = z.infer<typeof JobKindInfoSchema>;

// ---------------------------------------------------------------------------------------------------------------------
// Project workflow, runs, predictions and evaluations (issue 7)

/** What the engine found when it checked one file of a case before importing it. */
export const FileCheckSchema = z.object({
  path: z.string(),
  role: VolumeRoleSchema,
  ok: z.boolean(),
  /** Reader format id ('nifti', 'nrrd', ...), when the file could be recognised. */
  format: z.string().optional(),
  shape: ShapeSchema.optional(),
  components: positiveInt.optional(),
  dtype: z.string().optional(),
  spacing: Vec3Schema.optional(),
  /** Why the file cannot be imported (absent when ok). */
  problem: z.string().optional(),
});
export type FileCheck = z.infer<typeof FileCheckSchema>;

/** The files and options of one case, as `segstation import` takes them. */
export const CaseImportParamsSchema = z.strictObject({
  projectDir: nonEmpty,
  /** One file or folder per image channel. */
  image: z.array(nonEmpty).min(1, 'needs at least one image'),
  label: nonEmpty.optional(),
  caseId: nonEmpty.optional(),
  domain: nonEmpty.optional(),
  modality: z.array(nonEmpty).optional(),
  note: z.string().optional(),
});
export type CaseImportParams = z.infer<typeof CaseImportParamsSchema>;

export const NORMALIZATION_HINTS = ['auto', 'zscore', 'ct', 'rescale01', 'none'] as const;
export const DomainInfoSchema = z.object({
  name: z.string(),
  description: z.string(),
  normalization: z.enum(NORMALIZATION_HINTS),
  created: z.string(),
  /** Cases of the project in this domain. */
  caseCount: z.number().int().min(0),
});
export type DomainInfo = z.infer<typeof DomainInfoSchema>;

export const SplitAssignmentSchema = z.object({
  folds: z.number().int().min(2),
  seed: z.number().int(),
  testFraction: z.number().min(0).max(1),
  created: z.string(),
  /** Labelled cases, sorted by id: 'test', or the fold in which the case validates. */
  cases: z.array(
    z.object({
      caseId: z.string(),
      domain: z.string(),
      pool: z.enum(['train', 'test']),
      fold: z.number().int().min(0).nullable(),
    }),
  ),
});
export type SplitAssignment = z.infer<typeof SplitAssignmentSchema>;

const nullableFinite = finite.nullable();
export const DomainStatisticsSchema = z.object({
  domain: z.string(),
  channel: z.number().int().min(0),
  modality: z.string().nullable(),
  mask: z.enum(['foreground', 'all']),
  caseCount: z.number().int().min(0),
  voxelCount: z.number().int().min(0),
  mean: nullableFinite,
  std: nullableFinite,
  p0_5: nullableFinite,
  p99_5: nullableFinite,
  min: nullableFinite,
  max: nullableFinite,
  percentileMethod: z.enum(['exact', 'histogram']),
  /** `bins` are the n + 1 edges, `counts` the n counts. */
  histogram: z.object({ bins: z.array(finite), counts: z.array(z.number().int().min(0)) }),
  computed: z.string(),
});
export type DomainStatistics = z.infer<typeof DomainStatisticsSchema>;

export const RUN_STATUSES = ['created', 'running', 'paused', 'cancelled', 'failed', 'completed'] as const;
export const RunSummarySchema = z.object({
  id: z.string(),
  fold: z.number().int().min(0).nullable(),
  status: z.enum(RUN_STATUSES),
  backend: z.string(),
  seed: z.number().int(),
  configHash: z.string(),
  datasetHash: z.string(),
  /** Run folder relative to the project ('runs/<id>'). */
  folder: z.string(),
  created: z.string(),
  updated: z.string(),
  message: z.string(),
});
export type RunSummary = z.infer<typeof RunSummarySchema>;

/** One metric of a run over its epochs (catalogue table run_metrics): loss terms, lr, val_dice_<class>, ... */
export const MetricSeriesSchema = z.object({
  name: z.string(),
  /** In step order; value null where it was not finite. */
  points: z.array(z.object({ epoch: z.number().int().min(0), step: z.number().int().min(0), value: nullableFinite })),
});
export type MetricSeries = z.infer<typeof MetricSeriesSchema>;

export const ConfigIssueSchema = z.object({ field: z.string(), problem: z.string() });
export type ConfigIssue = z.infer<typeof ConfigIssueSchema>;

export const PREDICTION_OUTPUTS = ['label', 'probabilities', 'entropy', 'mutual_information', 'variance'] as const;
export const PredictionInfoSchema = z.object({
  id: z.string(),
  runId: z.string().nullable(),
  caseId: z.string(),
  modelPath: z.string(),
  /** Absolute folder of the outputs. */
  folder: z.string(),
  /** Absolute paths of the OME-Zarr stores that exist (open them with volume.open). */
  outputs: z.partialRecord(z.enum(PREDICTION_OUTPUTS), z.string()),
  options: z.unknown(),
  /** Case-level uncertainty used to rank cases for review (higher = less certain), null without uncertainty. */
  uncertaintyScore: nullableFinite,
  created: z.string(),
});
export type PredictionInfo = z.infer<typeof PredictionInfoSchema>;

/** A metric value; JSON has no NaN or infinities, so they travel as strings (as in evaluation summary.json). */
export const MetricValueSchema = z.union([finite, z.enum(['NaN', 'Infinity', '-Infinity'])]);
export type MetricValue = z.infer<typeof MetricValueSchema>;

export const EvaluationInfoSchema = z.object({
  id: z.string(),
  runId: z.string(),
  created: z.string(),
  cases: z.number().int().min(0),
});
export type EvaluationInfo = z.infer<typeof EvaluationInfoSchema>;

export const EvaluationResultSchema = EvaluationInfoSchema.extend({
  /** Class value -1 holds case-level rows (calibration over all classes). */
  classes: z.array(z.object({ value: z.number().int(), name: z.string() })),
  /** One row per (case, class, metric). */
  rows: z.array(z.object({ caseId: z.string(), class: z.number().int(), metric: z.string(), value: MetricValueSchema })),
  /** Cohort summary per (class, metric): finite values only, NaN and infinities counted (main/evaluation/summary.ts). */
  summary: z.array(
    z.object({
      class: z.number().int(),
      className: z.string(),
      metric: z.string(),
      n: z.number().int().min(0),
      nan: z.number().int().min(0),
      infinite: z.number().int().min(0),
      mean: MetricValueSchema,
      median: MetricValueSchema,
      std: MetricValueSchema,
      ciLow: MetricValueSchema,
      ciHigh: MetricValueSchema,
    }),
  ),
});
export type EvaluationResult = z.infer<typeof EvaluationResultSchema>;

// ---------------------------------------------------------------------------------------------------------------------
// Params of the built-in job kinds (job.start {kind, params}); the engine checks them again with these schemas.

const runIdSchema = z.string().regex(/^[A-Za-z0-9._-]{1,200}$/, "must be 1-200 characters of letters, digits, '.', '_' or '-'");

export const TrainJobParamsSchema = z
  .strictObject({
    projectDir: nonEmpty,
    /** A training config (checked against training.configSchema on the engine); not with `resume`. */
    config: z.record(z.string(), z.unknown()).optional(),
    fold: z.number().int().min(0).optional(),
    /** Continue this run from its last checkpoint (its config and fold are kept). */
    resume: runIdSchema.optional(),
    backend: z.enum(['auto', 'cpu', 'webgpu', 'tensorflow']).optional(),
    /** Id of a new run (default: generated). */
    runId: runIdSchema.optional(),
    /** Most 'step' training.progress events a second (epoch events always go out); default 10. */
    stepEventsPerSecond: z.number().positive().max(1000).optional(),
  })
  .refine((p) => (p.config === undefined) !== (p.resume === undefined), { message: 'give exactly one of config or resume', path: ['config'] });
export type TrainJobParams = z.infer<typeof TrainJobParamsSchema>;

export const EvaluateJobParamsSchema = z.strictObject({
  projectDir: nonEmpty,
  /** Evaluates runs/<runId>/predictions/<case>/label.ome.zarr against the cases' labels. */
  runId: runIdSchema,
  /** Bootstrap seed of the cohort summary. */
  seed: z.number().int().optional(),
  surfaceTolerance: z.number().min(0).optional(),
});
export type EvaluateJobParams = z.infer<typeof EvaluateJobParamsSchema>;

// ---------------------------------------------------------------------------------------------------------------------
// report workspace (issue 7): figures captured in the viewer (3D view and slice views) travel with report.export

/** Most slice figures one report takes. */
export const MAX_VIEWER_FIGURES = 6;
/**
 * Base64 characters of all figures of one report.export together (snapshotPng + slicePngs): the whole request must fit
 * one WebSocket message (1 MiB, main/server/webServer.ts), so the page downscales its captures to this budget.
 */
export const MAX_FIGURES_BASE64 = 960 * 1024;
const figureTitle = z.string().min(1, 'must not be empty').max(120, 'must be at most 120 characters');
/** A slice view captured in the viewer, as a PNG file the report job reads (the engine writes it from slicePngs). */
export const ReportSliceFileSchema = z.strictObject({ title: figureTitle, file: nonEmpty });
/** A slice view captured in the viewer, inline: base64 PNG (at most 700 KB decoded, like snapshotPng). */
export const ViewerFigureSchema = z.strictObject({
  title: figureTitle,
  png: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'must be base64').max(Math.ceil((700 * 1024) / 3) * 4, 'figure is too large (700 KB at most)'),
});
export type ViewerFigure = z.infer<typeof ViewerFigureSchema>;

export const ReportJobParamsSchema = z.strictObject({
  projectDir: nonEmpty,
  runId: runIdSchema,
  /** .html or .pdf (printed by Chromium). */
  out: z.string().regex(/\.(html?|pdf)$/i, 'must end in .html or .pdf'),
  /** Case shown in the slice figures (default: the first evaluated case). */
  caseId: nonEmpty.optional(),
  /** PNG file of the current 3D view, captured by the viewer. */
  snapshot: nonEmpty.optional(),
  /** Evaluate again even when the catalogue has an evaluation of the run. */
  reevaluate: z.boolean().optional(),
  /** report workspace: PNG files of slice views captured by the viewer, shown in the report's slice figures. */
  slices: z.array(ReportSliceFileSchema).max(MAX_VIEWER_FIGURES, `at most ${MAX_VIEWER_FIGURES} slice figures`).optional(),
});
export type ReportJobParams = z.infer<typeof ReportJobParamsSchema>;
/** Base64 length of a 700 KB snapshot: WebSocket messages are limited to 1 MiB (main/server/webServer.ts). */
export const MAX_SNAPSHOT_BASE64 = Math.ceil((700 * 1024) / 3) * 4;

// ---------------------------------------------------------------------------------------------------------------------
// Project workspace (issue 7 point 1): the server-side file browser of the import dialog, and what the data plane's
// upload route (`POST /data/uploads?name=FILE`, the bytes of one dropped file as the body) answers.

export const DirEntrySchema = z.object({
  name: z.string(),
  isDir: z.boolean(),
  /** Bytes of a file (0 for a folder). */
  size: z.number().int().min(0),
});
export type DirEntry = z.infer<typeof DirEntrySchema>;

export const DirListingSchema = z.object({
  /** The absolute, normalised folder listed. */
  dir: z.string(),
  /** Its parent, null at a file-system root. */
  parent: z.string().nullable(),
  /** Folders first, then files, each by name. */
  entries: z.array(DirEntrySchema),
  /** True when the folder held more entries than are listed (MAX_DIR_ENTRIES). */
  truncated: z.boolean(),
});
export type DirListing = z.infer<typeof DirListingSchema>;
export const MAX_DIR_ENTRIES = 5000;

export const UPLOAD_ROUTE = '/data/uploads';
export const UploadResultSchema = z.object({
  /** Absolute path of the stored file on the engine's machine (pass it to case.validate / case.import). */
  path: z.string(),
  name: z.string(),
  size: z.number().int().min(0),
});
export type UploadResult = z.infer<typeof UploadResultSchema>;

// ---------------------------------------------------------------------------------------------------------------------
// Errors

export const ERROR_CODES = ['bad_request', 'not_found', 'unauthorized', 'input_error', 'internal'] as const;
export const ErrorCodeSchema = z.enum(ERROR_CODES);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

export const EngineErrorSchema = z.object({
  code: ErrorCodeSchema,
  message: z.string(),
  /** Dotted path of the offending field ('params.volumeId'), or the file an input error is about. */
  field: z.string().optional(),
});
export type EngineError = z.infer<typeof EngineErrorSchema>;

// ---------------------------------------------------------------------------------------------------------------------
// Methods: params -> result

const noParams = z.strictObject({});

export const METHODS = {
  'engine.info': {
    params: noParams,
    result: z.object({
      name: z.literal('segstation'),
      version: z.string(),
      transport: z.enum(['web', 'electron', 'direct']),
      /** Project opened at start (`serve --project`) or last opened, null without one. */
      project: ProjectSummarySchema.nullable(),
      jobKinds: z.array(JobKindInfoSchema),
    }),
  },
  'project.open': {
    params: z.strictObject({ dir: nonEmpty }),
    result: ProjectSummarySchema,
  },
  'project.list': {
    params: noParams,
    result: z.object({ projects: z.array(RecentProjectSchema) }),
  },
  'case.list': {
    params: z.strictObject({ projectDir: nonEmpty }),
    result: z.object({ cases: z.array(CaseEntrySchema) }),
  },
  'volume.open': {
    params: z.strictObject({
      path: nonEmpty,
      role: VolumeRoleSchema,
      /** For a label: the open image it belongs to; its grid must match. */
      imageId: IdSchema.optional(),
      /**
       * Announce it with a 'volume.opened' event so the viewer shows it (default true). A workspace that opens volumes
       * for its own views (results, boundaries) passes false and leaves the viewer as it is.
       */
      announce: z.boolean().optional(),
    }),
    result: VolumeMetaSchema,
  },
  'volume.meta': {
    params: z.strictObject({ volumeId: IdSchema }),
    result: VolumeMetaSchema,
  },
  'volume.list': {
    params: noParams,
    result: z.object({ volumes: z.array(VolumeMetaSchema) }),
  },
  'volume.close': {
    params: z.strictObject({ volumeId: IdSchema }),
    result: z.object({ closed: z.boolean() }),
  },
  'job.start': {
    params: z.strictObject({
      kind: nonEmpty,
      /** Checked by the job kind's own schema on the engine. */
      params: z.record(z.string(), z.unknown()),
    }),
    result: JobInfoSchema,
  },
  'job.cancel': {
    params: z.strictObject({ jobId: IdSchema }),
    result: JobInfoSchema,
  },
  'job.get': {
    params: z.strictObject({ jobId: IdSchema }),
    result: JobInfoSchema,
  },
  'job.list': {
    params: noParams,
    result: z.object({ jobs: z.array(JobInfoSchema) }),
  },
  'job.pause': {
    /** Pauses a running job of a pausable kind (JobKindInfo.pausable) at its next step; its state stays in memory. */
    params: z.strictObject({ jobId: IdSchema }),
    result: JobInfoSchema,
  },
  'job.resume': {
    params: z.strictObject({ jobId: IdSchema }),
    result: JobInfoSchema,
  },
  'project.create': {
    /** A new project in an empty or missing folder (as `segstation project init`); it becomes the current project. */
    params: z.strictObject({ dir: nonEmpty, name: z.string().trim().min(1, 'must not be empty').max(200).optional() }),
    result: ProjectSummarySchema,
  },
  'case.validate': {
    /** Checks each file (readable, a volume; a label: integers on the first image's grid) without importing. */
    params: z.strictObject({ image: z.array(nonEmpty).min(1, 'needs at least one image'), label: nonEmpty.optional() }),
    result: z.object({ ok: z.boolean(), files: z.array(FileCheckSchema) }),
  },
  'case.import': {
    /**
     * Checks the files as case.validate does; when all pass, starts an 'import' job (watch it with job events) and
     * returns it, else returns job null and imports nothing.
     */
    params: CaseImportParamsSchema,
    result: z.object({ ok: z.boolean(), files: z.array(FileCheckSchema), job: JobInfoSchema.nullable() }),
  },
  'classes.set': {
    /** Creates or edits classes (name, colour, description per label value); returns the whole class table. */
    params: z.strictObject({
      projectDir: nonEmpty,
      classes: z
        .array(
          z.strictObject({
            value: z.number().int().min(0),
            name: z.string().trim().min(1, 'must not be empty').max(200),
            color: ColorSchema.optional(),
            description: z.string().max(10_000).optional(),
          }),
        )
        .min(1, 'needs at least one class'),
    }),
    result: z.object({ classes: z.array(ClassInfoSchema) }),
  },
  'domain.list': {
    params: z.strictObject({ projectDir: nonEmpty }),
    result: z.object({ domains: z.array(DomainInfoSchema) }),
  },
  'domain.add': {
    params: z.strictObject({
      projectDir: nonEmpty,
      name: z.string().trim().min(1, 'must not be empty').max(100),
      description: z.string().max(10_000).optional(),
      normalization: z.enum(NORMALIZATION_HINTS).optional(),
    }),
    result: z.object({ domains: z.array(DomainInfoSchema) }),
  },
  'split.get': {
    params: z.strictObject({ projectDir: nonEmpty }),
    result: z.object({ split: SplitAssignmentSchema.nullable() }),
  },
  'split.assign': {
    /** Seeded k-fold split of the labelled cases, stratified by domain, with an optional test set (replaces the current one). */
    params: z.strictObject({
      projectDir: nonEmpty,
      folds: z.number().int().min(2),
      seed: z.number().int(),
      testFraction: z.number().min(0).lt(1, 'must be below 1').optional(),
    }),
    result: z.object({ split: SplitAssignmentSchema }),
  },
  'split.move': {
    /** Hand edit of the current split: one case to another validation fold, or to the test set; the rest stay. */
    params: z.strictObject({
      projectDir: nonEmpty,
      caseId: nonEmpty,
      fold: z.union([z.number().int().min(0), z.literal('test')]),
    }),
    result: z.object({ split: SplitAssignmentSchema }),
  },
  'stats.get': {
    /** The stored per-domain intensity statistics (empty until the 'statistics' job has run since the last import). */
    params: z.strictObject({ projectDir: nonEmpty }),
    result: z.object({ statistics: z.array(DomainStatisticsSchema) }),
  },
  'run.list': {
    params: z.strictObject({ projectDir: nonEmpty }),
    result: z.object({ runs: z.array(RunSummarySchema) }),
  },
  'run.get': {
    params: z.strictObject({ projectDir: nonEmpty, runId: nonEmpty }),
    result: z.object({ run: RunSummarySchema, config: z.record(z.string(), z.unknown()), metrics: z.array(MetricSeriesSchema) }),
  },
  'training.configSchema': {
    /** JSON Schema (draft 2020-12, input side: fields with defaults are optional) of the training config, made from the same zod schema the CLI uses. */
    params: noParams,
    result: z.object({ jsonSchema: z.record(z.string(), z.unknown()), defaults: z.record(z.string(), z.unknown()) }),
  },
  'training.validateConfig': {
    /** Checks a config as `segstation train` would; every problem with its dotted field, for inline form errors. */
    params: z.strictObject({ config: z.record(z.string(), z.unknown()) }),
    result: z.object({ ok: z.boolean(), config: z.record(z.string(), z.unknown()).nullable(), issues: z.array(ConfigIssueSchema) }),
  },
  // Training workspace (issue 7 point 2): the bundled training configs (resources/configs) for the form's "load preset".
  'training.presets': {
    /** Every bundled preset, or only the one named; each config as written in its file (not yet validated). */
    params: z.strictObject({ name: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be 1-100 characters of A-Z a-z 0-9 . _ -').optional() }),
    result: z.object({ presets: z.array(z.object({ name: z.string(), file: z.string(), description: z.string(), config: z.record(z.string(), z.unknown()) })) }),
  },
  'prediction.list': {
    params: z.strictObject({ projectDir: nonEmpty, runId: nonEmpty.optional() }),
    result: z.object({ predictions: z.array(PredictionInfoSchema) }),
  },
  'evaluation.list': {
    params: z.strictObject({ projectDir: nonEmpty, runId: nonEmpty.optional() }),
    result: z.object({ evaluations: z.array(EvaluationInfoSchema) }),
  },
  'evaluation.get': {
    /** The latest evaluation of a run, or the one named by evaluationId. */
    params: z.strictObject({ projectDir: nonEmpty, runId: nonEmpty, evaluationId: nonEmpty.optional() }),
    result: EvaluationResultSchema,
  },
  'report.export': {
    /**
     * Starts a 'report' job writing an HTML or PDF report of a run; returns the job. In web mode the page cannot hand
     * the engine a file, so the current 3D view may come inline as `snapshotPng` (base64 PNG, at most 700 KB decoded).
     */
    params: ReportJobParamsSchema.extend({
      snapshotPng: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'must be base64').max(MAX_SNAPSHOT_BASE64, 'snapshot is too large (700 KB at most)').optional(),
      /** report workspace: slice views captured in the viewer (base64 PNGs, MAX_FIGURES_BASE64 with snapshotPng). */
      slicePngs: z.array(ViewerFigureSchema).max(MAX_VIEWER_FIGURES, `at most ${MAX_VIEWER_FIGURES} slice figures`).optional(),
    })
      .refine((p) => p.snapshot === undefined || p.snapshotPng === undefined, { message: 'give snapshot or snapshotPng, not both', path: ['snapshotPng'] })
      .refine((p) => p.slices === undefined || p.slicePngs === undefined, { message: 'give slices or slicePngs, not both', path: ['slicePngs'] })
      .refine((p) => (p.snapshotPng?.length ?? 0) + (p.slicePngs ?? []).reduce((a, f) => a + f.png.length, 0) <= MAX_FIGURES_BASE64, {
        message: `figures are too large together (${MAX_FIGURES_BASE64} base64 characters at most): downscale them`,
        path: ['slicePngs'],
      }),
    result: JobInfoSchema,
  },
  // Project workspace (issue 7 point 1)
  'fs.list': {
    /** One folder of the engine's file system (names, folder or not, sizes), for the import dialog in web mode. */
    params: z.strictObject({ dir: nonEmpty, hidden: z.boolean().optional() }),
    result: DirListingSchema,
  },
} as const satisfies Record<string, { params: z.ZodType; result: z.ZodType }>;

export type MethodName = keyof typeof METHODS;
export type ParamsOf<M extends MethodName> = z.infer<(typeof METHODS)[M]['params']>;
export type ResultOf<M extends MethodName> = z.infer<(typeof METHODS)[M]['result']>;
export const METHOD_NAMES = Object.keys(METHODS) as MethodName[];

export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(METHODS, name);
}

// ---------------------------------------------------------------------------------------------------------------------
// Events: engine -> renderer

export const EVENTS = {
  'job.progress': z.object({
    jobId: IdSchema,
    kind: z.string(),
    done: z.number().min(0),
    total: z.number().min(0),
    message: z.string(),
    etaSeconds: z.number().min(0).optional(),
  }),
  'job.finished': z.object({
    jobId: IdSchema,
    kind: z.string(),
    status: z.enum(['completed', 'cancelled', 'failed']),
    error: z.string().optional(),
    result: z.unknown().optional(),
  }),
  /** A job changed status other than by finishing (queued -> running, running <-> paused); payload is its JobInfo. */
  'job.state': JobInfoSchema,
  /**
   * Live telemetry of a 'train' job, beside its job.progress (which counts steps over the run). 'step' events are
   * throttled (TrainJobParams.stepEventsPerSecond, default 10/s); every other type is sent. Numbers that were not
   * finite arrive as null.
   */
  'training.progress': z.discriminatedUnion('type', [
    z.object({
      type: z.literal('start'),
      jobId: IdSchema,
      runId: z.string(),
      fold: z.number().int().min(0),
      backend: z.string(),
      batchSize: positiveInt,
      parameters: z.number().int().min(0),
      trainCases: z.array(z.string()),
      valCases: z.array(z.string()),
      epochs: positiveInt,
      stepsPerEpoch: positiveInt,
      resumedFrom: z.object({ epoch: z.number().int().min(0), step: z.number().int().min(0) }).nullable(),
    }),
    z.object({
      type: z.literal('step'),
      jobId: IdSchema,
      runId: z.string(),
      epoch: z.number().int().min(0),
      /** Steps done over the whole run. */
      step: z.number().int().min(0),
      totalSteps: z.number().int().min(0),
      stepInEpoch: z.number().int().min(0),
      stepsPerEpoch: positiveInt,
      loss: nullableFinite,
      /** Every loss term, unweighted. */
      terms: z.record(z.string(), nullableFinite),
      lr: nullableFinite,
      gradNorm: nullableFinite,
      voxelsPerSecond: nullableFinite,
      etaSeconds: nullableFinite,
      memoryBytes: z.number().min(0),
    }),
    z.object({
      type: z.literal('epoch'),
      jobId: IdSchema,
      runId: z.string(),
      epoch: z.number().int().min(0),
      step: z.number().int().min(0),
      /** Epoch means (loss terms 'loss_<term>', lr, voxels_per_s, memory_mb, val_dice_<class>, val_dice_mean). */
      metrics: z.record(z.string(), nullableFinite),
      /** Validation Dice per class name, null in epochs without validation. */
      valDice: z.record(z.string(), nullableFinite).nullable(),
      valDiceMean: nullableFinite,
      best: z.boolean(),
      seconds: z.number().min(0),
    }),
    // Training workspace (issue 7 point 2): sample pictures written after a validation, served by the data plane at
    // /data/runs/<runId>/samples/<file> (middle slice of a validation case: image | truth | prediction).
    z.object({
      type: z.literal('samples'),
      jobId: IdSchema,
      runId: z.string(),
      epoch: z.number().int().min(0),
      step: z.number().int().min(0),
      files: z.array(z.string()),
      cases: z.array(z.string()),
    }),
    z.object({
      type: z.literal('checkpoint'),
      jobId: IdSchema,
      runId: z.string(),
      kind: z.enum(['last', 'best']),
      epoch: z.number().int().min(0),
      step: z.number().int().min(0),
    }),
    z.object({ type: z.enum(['paused', 'resumed']), jobId: IdSchema, runId: z.string(), epoch: z.number().int().min(0), step: z.number().int().min(0) }),
    z.object({
      type: z.literal('end'),
      jobId: IdSchema,
      runId: z.string(),
      status: z.enum(['completed', 'cancelled', 'stopped-early', 'time-limit']),
      epoch: z.number().int().min(0),
      step: z.number().int().min(0),
      bestDice: nullableFinite,
      bestEpoch: z.number().int().min(0).nullable(),
      seconds: z.number().min(0),
    }),
  ]),
  /** A project was opened (also from the Electron menu). */
  'project.opened': ProjectSummarySchema,
  /** A volume was opened (also from the Electron menu); the renderer should show it. */
  'volume.opened': VolumeMetaSchema,
  'volume.closed': z.object({ volumeId: IdSchema }),
} as const satisfies Record<string, z.ZodType>;

export type EventName = keyof typeof EVENTS;
export type PayloadOf<E extends EventName> = z.infer<(typeof EVENTS)[E]>;
export const EVENT_NAMES = Object.keys(EVENTS) as EventName[];
/** A discriminated union of every event. */
export type EngineEvent = { [E in EventName]: { event: E; payload: PayloadOf<E> } }[EventName];

export function isEventName(name: string): name is EventName {
  return Object.prototype.hasOwnProperty.call(EVENTS, name);
}

// ---------------------------------------------------------------------------------------------------------------------
// Binary data plane requests and block header (framing in dataPlane.ts)

const indexInt = z.coerce.number().int().min(0);
export const SliceRequestSchema = z.strictObject({
  volumeId: IdSchema,
  axis: z.coerce.number().int().min(0).max(2).transform((v) => v as Axis),
  index: indexInt,
});
export type SliceRequest = z.infer<typeof SliceRequestSchema>;

export const LevelRequestSchema = z.strictObject({
  volumeId: IdSchema,
  level: indexInt,
});
export type LevelRequest = z.infer<typeof LevelRequestSchema>;

const startInt = z.number().int().min(0);
const sizeInt = z.number().int().min(1);
/** A window (box) of a pyramid level: voxels [start, start + size) along (x, y, z). */
export const RegionRequestSchema = z.strictObject({
  volumeId: IdSchema,
  level: z.number().int().min(0),
  start: z.tuple([startInt, startInt, startInt]),
  size: z.tuple([sizeInt, sizeInt, sizeInt]),
});
export type RegionRequest = z.infer<typeof RegionRequestSchema>;

/** The JSON header of a data-plane frame: a VolumeBlock without its voxels. */
export const BlockHeaderSchema = z.object({
  dtype: DTypeSchema,
  /** (x, y, z); a slice has 1 along its axis. */
  shape: ShapeSchema,
  components: positiveInt,
  spacing: Vec3Schema,
  origin: Vec3Schema,
  direction: Mat3Schema,
  /** Bytes of voxels after the header (shape product x components x bytes per value). */
  byteLength: z.number().int().min(0),
});
export type BlockHeader = z.infer<typeof BlockHeaderSchema>;

// ---------------------------------------------------------------------------------------------------------------------
// Wire messages (WebSocket, Electron IPC)

export const RequestIdSchema = z.union([z.string().max(200), z.number().int()]);
export type RequestId = z.infer<typeof RequestIdSchema>;

/** The envelope only; params are checked against METHODS[method].params afterwards. */
export const RequestMessageSchema = z.object({
  id: RequestIdSchema,
  method: z.string(),
  params: z.unknown().optional(),
});
export type RequestMessage = z.infer<typeof RequestMessageSchema>;

export const ResponseMessageSchema = z.union([
  z.object({ id: RequestIdSchema.nullable(), result: z.unknown() }),
  z.object({ id: RequestIdSchema.nullable(), error: EngineErrorSchema }),
]);
export type ResponseMessage = { id: RequestId | null; result: unknown } | { id: RequestId | null; error: EngineError };

export const EventMessageSchema = z.object({ event: z.string(), payload: z.unknown() });
export type EventMessage = z.infer<typeof EventMessageSchema>;

// ---------------------------------------------------------------------------------------------------------------------
// Validation helpers used by both transports

/** The first issue of a zod error as an EngineError with a dotted field path under `prefix`. */
export function errorFromZod(error: z.ZodError, prefix: string, code: ErrorCode = 'bad_request'): EngineError {
  const issue = error.issues[0];
  const path = [prefix, ...(issue?.path ?? []).map(String)].filter((p) => p !== '').join('.');
  return { code, message: `${path || 'message'}: ${issue?.message ?? 'invalid'}`, ...(path ? { field: path } : {}) };
}

export type CheckedRequest =
  | { ok: true; id: RequestId; method: MethodName; params: unknown }
  | { ok: false; id: RequestId | null; error: EngineError };

/** Checks a request envelope and its params against METHODS; never throws. */
export function checkRequest(raw: unknown): CheckedRequest {
  const envelope = RequestMessageSchema.safeParse(raw);
  if (!envelope.success) return { ok: false, id: idOf(raw), error: errorFromZod(envelope.error, '') };
  const { id, method } = envelope.data;
  if (!isMethodName(method)) {
    return { ok: false, id, error: { code: 'not_found', message: `unknown method '${method}'`, field: 'method' } };
  }
  const params = METHODS[method].params.safeParse(envelope.data.params ?? {});
  if (!params.success) return { ok: false, id, error: errorFromZod(params.error, 'params') };
  return { ok: true, id, method, params: params.data };
}

function idOf(raw: unknown): RequestId | null {
  if (typeof raw === 'object' && raw !== null && 'id' in raw) {
    const parsed = RequestIdSchema.safeParse((raw as { id: unknown }).id);
    if (parsed.success) return parsed.data;
  }
  return null;
}
