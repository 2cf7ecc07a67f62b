/**
 * Framing of the binary data plane, used by the engine to encode and by both clients to decode:
 *   uint32 LE header length H | H bytes of UTF-8 JSON (BlockHeader) | zero padding to a multiple of 8 | voxels (LE)
 * The padding lets the decoder view the voxels in place (a typed array must start at a multiple of its element size).
 * Browser-safe.
 */
import type { VolumeBlock, VoxelArray } from './api.ts';
import { BlockHeaderSchema, type BlockHeader, type DType } from './contract.ts';

const CONSTRUCTORS = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
} as const satisfies Record<DType, { BYTES_PER_ELEMENT: number }>;

export const DATA_PLANE_MIME = 'application/octet-stream';
/** Refuse absurd headers before decoding them. */
export const MAX_HEADER_BYTES = 64 * 1024;

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function bytesPerValue(dtype: DType): number {
  return CONSTRUCTORS[dtype].BYTES_PER_ELEMENT;
}

export class DataPlaneError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataPlaneError';
  }
}

function dtypeOfArray(data: VoxelArray): DType {
  for (const [name, ctor] of Object.entries(CONSTRUCTORS)) {
    if (data instanceof ctor) return name as DType;
  }
  throw new DataPlaneError('unsupported voxel array type');
}

function swapped(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += size) for (let b = 0; b < size; b++) out[i + b] = bytes[i + size - 1 - b];
  return out;
}

/** Byte length of the frame prefix (length word + header + padding) for a header of `headerBytes` bytes. */
function prefixLength(headerBytes: number): number {
  return Math.ceil((4 + headerBytes) / 8) * 8;
}

/** The frame's header and payload parts, so a server can write them without concatenating. */
export function encodeBlockParts(block: VolumeBlock): { prefix: Uint8Array; payload: Uint8Array } {
  const { data, ...rest } = block;
  if (dtypeOfArray(data) !== block.dtype) throw new DataPlaneError(`data is not ${block.dtype}`);
  const expected = block.shape[0] * block.shape[1] * block.shape[2] * block.components;
  if (data.length !== expected) {
    throw new DataPlaneError(`data has ${data.length} values, shape x components needs ${expected}`);
  }
  const header: BlockHeader = {
    dtype: rest.dtype,
    shape: rest.shape,
    components: rest.components,
    spacing: rest.spacing,
    origin: rest.origin,
    direction: rest.direction,
    byteLength: data.byteLength,
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const prefix = new Uint8Array(prefixLength(json.length));
  new DataView(prefix.buffer).setUint32(0, json.length, true);
  prefix.set(json, 4);
  let payload = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (!LITTLE_ENDIAN_HOST) payload = swapped(payload, data.BYTES_PER_ELEMENT);
  return { prefix, payload };
}

/** One contiguous frame. */
export function encodeBlock(block: VolumeBlock): Uint8Array {
  const { prefix, payload } = encodeBlockParts(block);
  const out = new Uint8Array(prefix.length + payload.length);
  out.set(prefix, 0);
  out.set(payload, prefix.length);
  return out;
}

/** Decodes a frame. Views the voxels in place when aligned, copies otherwise. Throws DataPlaneError on a bad frame. */
export function decodeBlock(frame: ArrayBuffer | Uint8Array): VolumeBlock {
  const bytes = frame instanceof Uint8Array ? frame : new Uint8Array(frame);
  if (bytes.length < 4) throw new DataPlaneError(`frame of ${bytes.length} bytes is shorter than its length word`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
  if (headerLength > MAX_HEADER_BYTES || 4 + headerLength > bytes.length) {
    throw new DataPlaneError(`header length ${headerLength} does not fit a frame of ${bytes.length} bytes`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + headerLength)));
  } catch {
    throw new DataPlaneError('header is not JSON');
  }
  const header = BlockHeaderSchema.safeParse(parsed);
  if (!header.success) throw new DataPlaneError(`header: ${header.error.issues[0]?.message ?? 'invalid'}`);
  const { byteLength, ...geometry } = header.data;
  const start = prefixLength(headerLength);
  const ctor = CONSTRUCTORS[geometry.dtype];
  const count = geometry.shape[0] * geometry.shape[1] * geometry.shape[2] * geometry.components;
  if (byteLength !== count * ctor.BYTES_PER_ELEMENT) {
    throw new DataPlaneError(`header says ${byteLength} bytes, shape x components x ${geometry.dtype} needs ${count * ctor.BYTES_PER_ELEMENT}`);
  }
  if (start + byteLength !== bytes.length) {
    throw new DataPlaneError(`frame has ${bytes.length - start} voxel bytes, header says ${byteLength}`);
  }
  let payload = bytes.subarray(start, start + byteLength);
  if (!LITTLE_ENDIAN_HOST) payload = swapped(payload, ctor.BYTES_PER_ELEMENT);
  const aligned = (payload.byteOffset % ctor.BYTES_PER_ELEMENT) === 0;
  const source = aligned ? payload : payload.slice();
  const data = new ctor(source.buffer as ArrayBuffer, source.byteOffset, count) as VoxelArray;
  return { ...geometry, data };
}
