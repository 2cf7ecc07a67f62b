/**
 * Chunk-level I/O shared by the writers and the lazy reader: writing whole chunk rows of a Zarr v3 array straight to
 * disk (so memory stays at one slab plus a few chunks), and copying chunks into an interleaved (x fastest,
 * components innermost) region buffer.
 *
 * Arrays are written with the codecs [bytes (little endian), gzip]. zarrita can decode gzip (through
 * DecompressionStream) but has no gzip encoder, so chunks are encoded here with node:zlib on the libuv thread pool.
 * zstd and blosc exist in zarrita's registry only as WebAssembly builds (numcodecs); they read fine but gzip is
 * faster to write with a native encoder and every NGFF reader can decode it. Chunks that are entirely zero bytes
 * (the fill value) are not written, as zarr-python does by default.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { allocate, asBytes, type DType, type TypedArray } from '../../volume/dtype.ts';
import type { Vec3 } from '../../volume/volume.ts';

const gzip = promisify(zlib.gzip);

export const GZIP_LEVEL = 1;
/** Chunks encoded and written at the same time. */
export const WRITE_CONCURRENCY = 4;
/** Chunks read and decoded at the same time. */
export const READ_CONCURRENCY = 8;

/** Runs `fn` on the items an iterator yields, at most `limit` at a time; stops at the first failure. */
export async function runPool<T>(items: Iterable<T>, limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const it = items[Symbol.iterator]();
  let failed = false;
  let failure: unknown;
  const worker = async () => {
    for (;;) {
      if (failed) return;
      const next = it.next();
      if (next.done) return;
      try {
        await fn(next.value);
      } catch (error) {
        if (!failed) {
          failed = true;
          failure = error;
        }
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, worker));
  if (failed) throw failure;
}

/** Zarr array metadata (zarr.json, v3) for a level in our layout. */
export function arrayMetadataV3(spec: LevelArraySpec): Record<string, unknown> {
  const withC = spec.components > 1;
  const [nx, ny, nz] = spec.shape;
  const [cx, cy, cz] = spec.chunkShape;
  return {
    zarr_format: 3,
    node_type: 'array',
    shape: withC ? [spec.components, nz, ny, nx] : [nz, ny, nx],
    data_type: spec.dtype,
    chunk_grid: { name: 'regular', configuration: { chunk_shape: withC ? [1, cz, cy, cx] : [cz, cy, cx] } },
    chunk_key_encoding: { name: 'default', configuration: { separator: '/' } },
    fill_value: 0,
    codecs: [
      { name: 'bytes', configuration: { endian: 'little' } },
      { name: 'gzip', configuration: { level: GZIP_LEVEL } },
    ],
    dimension_names: withC ? ['c', 'z', 'y', 'x'] : ['z', 'y', 'x'],
    attributes: {},
  };
}

export interface LevelArraySpec {
  /** (x, y, z) */
  shape: Vec3;
  components: number;
  dtype: DType;
  /** (x, y, z), already clipped to the shape */
  chunkShape: Vec3;
}

/** Chunk shape (x, y, z) of a level: the requested one clipped to the level's shape. */
export function clipChunkShape(chunk: Vec3, shape: Vec3): Vec3 {
  return [Math.min(chunk[0], shape[0]), Math.min(chunk[1], shape[1]), Math.min(chunk[2], shape[2])];
}

function allZeroBytes(bytes: Uint8Array): boolean {
  const words = bytes.byteOffset % 4 === 0 ? Math.floor(bytes.byteLength / 4) : 0;
  if (words > 0) {
    const w = new Uint32Array(bytes.buffer, bytes.byteOffset, words);
    for (let i = 0; i < words; i++) if (w[i] !== 0) return false;
  }
  for (let i = words * 4; i < bytes.byteLength; i++) if (bytes[i] !== 0) return false;
  return true;
}

/**
 * Writes chunk rows of one level array (whose zarr.json is written separately) directly as chunk files.
 * `writeRows(zStart, data)` takes full x/y planes starting at a chunk boundary, interleaved components.
 */
export class ChunkRowWriter {
  readonly dir: string;
  readonly spec: LevelArraySpec;
  readonly #madeDirs = new Set<string>();
  #chunksWritten = 0;

  constructor(dir: string, spec: LevelArraySpec) {
    this.dir = dir;
    this.spec = spec;
  }

  get chunksWritten(): number {
    return this.#chunksWritten;
  }

  /** Number of planes in `data` (a whole number of full x/y planes). */
  planesIn(data: TypedArray): number {
    const [nx, ny] = this.spec.shape;
    return data.length / (nx * ny * this.spec.components);
  }

  async writeRows(zStart: number, data: TypedArray): Promise<void> {
    const { shape, chunkShape, components: C } = this.spec;
    const [nx, ny, nz] = shape;
    const [cx, cy, cz] = chunkShape;
    const planes = this.planesIn(data);
    const zEnd = zStart + planes;
    const rows = Math.ceil(planes / cz);
    const gx = Math.ceil(nx / cx);
    const gy = Math.ceil(ny / cy);
    const z0Row = zStart / cz;
    const spec = this.spec;
    function* tasks() {
      for (let r = 0; r < rows; r++) {
        for (let yi = 0; yi < gy; yi++) {
          for (let xi = 0; xi < gx; xi++) {
            for (let c = 0; c < C; c++) yield { zi: z0Row + r, yi, xi, c };
          }
        }
      }
    }
    const planeStride = nx * ny * C;
    await runPool(tasks(), WRITE_CONCURRENCY, async ({ zi, yi, xi, c }) => {
      const chunk = allocate(spec.dtype, cx * cy * cz);
      const zA = zi * cz;
      const zB = Math.min(zA + cz, zEnd, nz);
      const yA = yi * cy;
      const yB = Math.min(yA + cy, ny);
      const xA = xi * cx;
      const xB = Math.min(xA + cx, nx);
      const w = xB - xA;
      for (let z = zA; z < zB; z++) {
        for (let y = yA; y < yB; y++) {
          const srcRow = (z - zStart) * planeStride + y * nx * C;
          const dst = ((z - zA) * cy + (y - yA)) * cx;
          if (C === 1) {
            chunk.set(data.subarray(srcRow + xA, srcRow + xB), dst);
          } else {
            let s = srcRow + xA * C + c;
            for (let x = 0; x < w; x++, s += C) chunk[dst + x] = data[s];
          }
        }
      }
      const bytes = asBytes(chunk);
      if (allZeroBytes(bytes)) return;
      const encoded = await gzip(bytes, { level: GZIP_LEVEL });
      const parts = C > 1 ? [String(c), String(zi), String(yi)] : [String(zi), String(yi)];
      const folder = path.join(this.dir, 'c', ...parts);
      if (!this.#madeDirs.has(folder)) {
        await fs.mkdir(folder, { recursive: true });
        this.#madeDirs.add(folder);
      }
      await fs.writeFile(path.join(folder, String(xi)), encoded);
      this.#chunksWritten++;
    });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Reading

/** What each dimension of a stored array is, in the engine's terms. */
export type DimRole = { kind: 'space'; axis: 0 | 1 | 2 } | { kind: 'component'; stride: number };

export interface DecodedChunk {
  data: TypedArray;
  shape: readonly number[];
  stride: readonly number[];
}

export interface RegionSource {
  /** Array shape, store dimension order. */
  shape: readonly number[];
  /** Chunk shape, store dimension order. */
  chunks: readonly number[];
  dims: readonly DimRole[];
  components: number;
  dtype: DType;
  getChunk(coords: number[]): Promise<DecodedChunk>;
}

/**
 * Reads region [start, start + size) (x, y, z) into a new buffer, x fastest, components interleaved, fetching only
 * the chunks that intersect it.
 */
export async function readRegionFrom(source: RegionSource, start: Vec3, size: Vec3): Promise<TypedArray> {
  const { shape, chunks, dims, components: C } = source;
  const n = shape.length;
  const out = allocate(source.dtype, size[0] * size[1] * size[2] * C);
  const outAxisStride: Vec3 = [C, C * size[0], C * size[0] * size[1]];
  const lo: number[] = [];
  const hi: number[] = [];
  const ostride: number[] = [];
  for (let d = 0; d < n; d++) {
    const role = dims[d];
    if (role.kind === 'space') {
      lo.push(start[role.axis]);
      hi.push(start[role.axis] + size[role.axis]);
      ostride.push(outAxisStride[role.axis]);
    } else {
      lo.push(0);
      hi.push(shape[d]);
      ostride.push(role.stride);
    }
  }
  if (out.length === 0) return out;
  const c0 = lo.map((v, d) => Math.floor(v / chunks[d]));
  const c1 = hi.map((v, d) => Math.ceil(v / chunks[d]));
  function* chunkCoords(): Generator<number[]> {
    const idx = c0.slice();
    for (;;) {
      yield idx.slice();
      let d = n - 1;
      while (d >= 0) {
        idx[d]++;
        if (idx[d] < c1[d]) break;
        idx[d] = c0[d];
        d--;
      }
      if (d < 0) return;
    }
  }
  await runPool(chunkCoords(), READ_CONCURRENCY, async (coords) => {
    const chunk = await source.getChunk(coords);
    copyChunk(chunk, coords, chunks, lo, hi, ostride, out);
  });
  return out;
}

function copyChunk(
  chunk: DecodedChunk,
  coords: readonly number[],
  chunks: readonly number[],
  lo: readonly number[],
  hi: readonly number[],
  ostride: readonly number[],
  out: TypedArray,
): void {
  const n = coords.length;
  const a: number[] = new Array(n);
  const b: number[] = new Array(n);
  for (let d = 0; d < n; d++) {
    const base = coords[d] * chunks[d];
    a[d] = Math.max(lo[d], base);
    b[d] = Math.min(hi[d], base + chunks[d]);
    if (b[d] <= a[d]) return;
  }
  const cs = chunk.stride;
  const src = chunk.data;
  const last = n - 1;
  const len = b[last] - a[last];
  const sIn = cs[last];
  const oIn = ostride[last];
  const idx = a.slice();
  for (;;) {
    let s = 0;
    let o = 0;
    for (let d = 0; d < last; d++) {
      s += (idx[d] - coords[d] * chunks[d]) * cs[d];
      o += (idx[d] - lo[d]) * ostride[d];
    }
    s += (a[last] - coords[last] * chunks[last]) * sIn;
    o += (a[last] - lo[last]) * oIn;
    if (sIn === 1 && oIn === 1) {
      out.set(src.subarray(s, s + len), o);
    } else {
      for (let k = 0; k < len; k++, s += sIn, o += oIn) out[o] = src[s];
    }
    let d = last - 1;
    while (d >= 0) {
      idx[d]++;
      if (idx[d] < b[d]) break;
      idx[d] = a[d];
      d--;
    }
    if (d < 0) return;
  }
}
