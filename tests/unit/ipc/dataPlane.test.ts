import { describe, expect, it } from 'vitest';
import type { VolumeBlock, VoxelArray } from '../../../ipc/api.ts';
import { DTYPES, type DType } from '../../../ipc/contract.ts';
import { DataPlaneError, decodeBlock, encodeBlock, encodeBlockParts } from '../../../ipc/dataPlane.ts';

const CTORS: Record<DType, new (values: number[]) => VoxelArray> = {
  uint8: Uint8Array, int8: Int8Array, uint16: Uint16Array, int16: Int16Array,
  uint32: Uint32Array, int32: Int32Array, float32: Float32Array, float64: Float64Array,
};

/** Values that exercise sign and high bytes of each type. */
const VALUES: Record<DType, number[]> = {
  uint8: [0, 1, 127, 128, 255, 42],
  int8: [-128, -1, 0, 1, 127, 5],
  uint16: [0, 1, 256, 65535, 4660, 9],
  int16: [-32768, -1, 0, 1, 32767, -300],
  uint32: [0, 1, 65536, 4294967295, 305419896, 7],
  int32: [-2147483648, -1, 0, 1, 2147483647, -70000],
  float32: [-1.5, 0, 1e-3, 3.25, -1e20, 65504],
  float64: [-1.5, 0, Math.PI, 1e300, -1e-300, Number.NaN],
};

function block(dtype: DType, components = 1): VolumeBlock {
  const values = components === 1 ? VALUES[dtype] : [...VALUES[dtype], ...VALUES[dtype]];
  return {
    dtype,
    shape: [3, 2, 1],
    components,
    spacing: [0.5, 0.75, 2],
    origin: [-10, 20.5, 3],
    direction: [0, 1, 0, 1, 0, 0, 0, 0, -1],
    data: new CTORS[dtype](values),
  };
}

describe('data-plane framing', () => {
  it.each(DTYPES.map((d) => [d]))('round-trips %s exactly', (dtype) => {
    for (const components of [1, 2]) {
      const original = block(dtype, components);
      const frame = encodeBlock(original);
      const decoded = decodeBlock(frame);
      expect(decoded.dtype).toBe(dtype);
      expect(decoded.data).toBeInstanceOf(CTORS[dtype]);
      expect(Array.from(decoded.data)).toEqual(Array.from(original.data));
      const { data: _a, ...header } = decoded;
      const { data: _b, ...expected } = original;
      expect(header).toEqual(expected);
    }
  });

  it('lays out: uint32 LE header length, JSON header, zero padding to 8 bytes, little-endian voxels', () => {
    const frame = encodeBlock({ ...block('uint16'), data: new Uint16Array([0x0102, 0x0304, 0, 0, 0, 0xffff]) });
    const view = new DataView(frame.buffer, frame.byteOffset);
    const h = view.getUint32(0, true);
    const header = JSON.parse(new TextDecoder().decode(frame.subarray(4, 4 + h)));
    expect(header).toMatchObject({ dtype: 'uint16', shape: [3, 2, 1], byteLength: 12 });
    expect(header.data).toBeUndefined();
    const start = Math.ceil((4 + h) / 8) * 8;
    expect(Array.from(frame.subarray(4 + h, start)).every((b) => b === 0)).toBe(true);
    expect(Array.from(frame.subarray(start, start + 4))).toEqual([0x02, 0x01, 0x04, 0x03]);
    expect(frame.length).toBe(start + 12);
  });

  it('decodes a frame at an unaligned offset by copying', () => {
    const frame = encodeBlock(block('float64'));
    const shifted = new Uint8Array(frame.length + 3);
    shifted.set(frame, 3);
    const decoded = decodeBlock(shifted.subarray(3));
    expect(Array.from(decoded.data)).toEqual(VALUES.float64);
  });

  it('encodes without copying the voxels (payload is a view)', () => {
    const original = block('int32');
    const { payload } = encodeBlockParts(original);
    expect(payload.buffer).toBe(original.data.buffer);
  });

  it.each([
    ['too short', new Uint8Array([1, 0])],
    ['header length past the end', new Uint8Array([200, 0, 0, 0, 1, 2, 3])],
    ['not JSON', new Uint8Array([2, 0, 0, 0, 0x7b, 0x7b, 0, 0])],
  ])('rejects a frame that is %s', (_name, frame) => {
    expect(() => decodeBlock(frame)).toThrow(DataPlaneError);
  });

  it('rejects a truncated payload and a lying header', () => {
    const frame = encodeBlock(block('uint16'));
    expect(() => decodeBlock(frame.subarray(0, frame.length - 2))).toThrow(/voxel bytes/);
    expect(() => encodeBlock({ ...block('uint8'), data: new Uint8Array(5) })).toThrow(/needs 6/);
    expect(() => encodeBlock({ ...block('uint8'), data: new Int8Array(6) })).toThrow(/not uint8/);
  });
});
