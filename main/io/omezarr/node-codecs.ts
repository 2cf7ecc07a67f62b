/**
 * Replaces zarrita's gzip and zlib codecs with Node's native zlib. zarrita decodes them through web streams on the main
 * thread and cannot encode at all; node:zlib's async calls run in libuv's thread pool, so several chunks decode in
 * parallel and the event loop stays free. Same bytes in, same bytes out: only speed changes.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import * as zarr from 'zarrita';

const gunzip = promisify(zlib.gunzip);
const gzip = promisify(zlib.gzip);
const inflate = promisify(zlib.inflate);
const deflate = promisify(zlib.deflate);

const asBytes = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

class NodeGzipCodec {
  readonly kind = 'bytes_to_bytes' as const;
  constructor(private readonly level: number) {}
  static fromConfig(config: { level?: number } | undefined): NodeGzipCodec {
    return new NodeGzipCodec(config?.level ?? 1);
  }
  async encode(bytes: Uint8Array): Promise<Uint8Array> {
    return asBytes(await gzip(bytes, { level: this.level }));
  }
  async decode(bytes: Uint8Array): Promise<Uint8Array> {
    return asBytes(await gunzip(bytes));
  }
}

class NodeZlibCodec {
  readonly kind = 'bytes_to_bytes' as const;
  constructor(private readonly level: number) {}
  static fromConfig(config: { level?: number } | undefined): NodeZlibCodec {
    return new NodeZlibCodec(config?.level ?? 1);
  }
  async encode(bytes: Uint8Array): Promise<Uint8Array> {
    return asBytes(await deflate(bytes, { level: this.level }));
  }
  async decode(bytes: Uint8Array): Promise<Uint8Array> {
    return asBytes(await inflate(bytes));
  }
}

type CodecFactory = Parameters<typeof zarr.registry.set>[1];

for (const name of ['gzip', 'numcodecs.gzip']) zarr.registry.set(name, (() => NodeGzipCodec) as unknown as CodecFactory);
for (const name of ['zlib', 'numcodecs.zlib']) zarr.registry.set(name, (() => NodeZlibCodec) as unknown as CodecFactory);
