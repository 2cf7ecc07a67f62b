/** Voxel data types the engine stores. Names follow numpy/zarr so they travel unchanged into OME-Zarr. */
export const DTYPES = ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'float64'] as const;
export type DType = (typeof DTYPES)[number];

export type TypedArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array;

type TypedArrayConstructor = {
  new (length: number): TypedArray;
  new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
};

const CONSTRUCTORS: Record<DType, TypedArrayConstructor> = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
};

export function isDType(value: string): value is DType {
  return (DTYPES as readonly string[]).includes(value);
}

export function bytesPerElement(dtype: DType): number {
  return CONSTRUCTORS[dtype].BYTES_PER_ELEMENT;
}

export function allocate(dtype: DType, length: number): TypedArray {
  return new CONSTRUCTORS[dtype](length);
}

/**
 * A typed view over little-endian bytes. Copies only when the bytes are misaligned for the element size,
 * because typed arrays cannot start at an unaligned offset.
 */
export function viewBytes(dtype: DType, bytes: Uint8Array, length?: number): TypedArray {
  const bpe = bytesPerElement(dtype);
  const n = length ?? Math.floor(bytes.byteLength / bpe);
  if (n * bpe > bytes.byteLength) {
    throw new RangeError(`need ${n * bpe} bytes for ${n} ${dtype} values, got ${bytes.byteLength}`);
  }
  if (bytes.byteOffset % bpe === 0) return new CONSTRUCTORS[dtype](bytes.buffer, bytes.byteOffset, n);
  const copy = new Uint8Array(n * bpe);
  copy.set(bytes.subarray(0, n * bpe));
  return new CONSTRUCTORS[dtype](copy.buffer, 0, n);
}

export function dtypeOf(array: TypedArray): DType {
  for (const [name, ctor] of Object.entries(CONSTRUCTORS)) {
    if (array instanceof ctor) return name as DType;
  }
  throw new TypeError('unsupported typed array');
}

/** Bytes of a typed array as a Uint8Array view (no copy). */
export function asBytes(array: TypedArray): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

/** Reverses byte order in place for each element of `elementSize` bytes (big-endian files). */
export function swapBytesInPlace(bytes: Uint8Array, elementSize: number): void {
  if (elementSize === 1) return;
  for (let i = 0; i + elementSize <= bytes.length; i += elementSize) {
    for (let a = i, b = i + elementSize - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

export function isIntegerDType(dtype: DType): boolean {
  return !dtype.startsWith('float');
}

/** Inclusive value range representable by an integer dtype. */
export function integerRange(dtype: DType): [number, number] {
  switch (dtype) {
    case 'uint8': return [0, 255];
    case 'int8': return [-128, 127];
    case 'uint16': return [0, 65535];
    case 'int16': return [-32768, 32767];
    case 'uint32': return [0, 4294967295];
    case 'int32': return [-2147483648, 2147483647];
    default: return [-Infinity, Infinity];
  }
}
