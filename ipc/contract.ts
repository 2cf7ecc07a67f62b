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

export const JOB_STATUSES = ['queued', 'running', 'completed', 'cancelled', 'failed'] as const;
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
});
export type JobInfo = z.infer<typeof JobInfoSchema>;

export const JobKindInfoSchema = z.object({
  kind: z.string(),
  description: z.string(),
});
export type JobKindInfo = z.infer<typeof JobKindInfoSchema>;

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
