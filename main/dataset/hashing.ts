/**
 * Source fingerprints recorded at import.
 *
 * A file: SHA-256 of its bytes (what `sha256sum` prints).
 * A folder (DICOM series, TIFF slices, OME-Zarr store): SHA-256 over every regular file below it, recursively, in
 * order of their relative paths ('/' separated, compared as UTF-8 bytes), each contributing
 *   UTF-8 relative path, one 0x00 byte, its size as 8 bytes little-endian, its bytes.
 * The separator and size make the encoding unambiguous, so renaming, moving or editing any file changes the hash, and
 * the result does not depend on the platform or the order the file system lists entries in. Symbolic links are
 * followed; other special files are skipped.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { InputError } from '../util/errors.ts';

async function feedFile(hash: Hash, file: string): Promise<void> {
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  for await (const chunk of stream) hash.update(chunk as Buffer);
}

/** Hex SHA-256 of a file's bytes. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await feedFile(hash, file);
  return hash.digest('hex');
}

async function listFiles(root: string, relative: string, out: { rel: string; abs: string; size: number }[]): Promise<void> {
  const dir = path.join(root, relative);
  for (const entry of await fs.readdir(dir)) {
    const rel = relative ? `${relative}/${entry}` : entry;
    const abs = path.join(dir, entry);
    const stat = await fs.stat(abs);
    if (stat.isDirectory()) await listFiles(root, rel, out);
    else if (stat.isFile()) out.push({ rel, abs, size: stat.size });
  }
}

function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Hex SHA-256 of a folder's files, as defined above. */
export async function sha256Folder(dir: string): Promise<string> {
  const files: { rel: string; abs: string; size: number }[] = [];
  await listFiles(dir, '', files);
  files.sort((a, b) => compareUtf8(a.rel, b.rel));
  const hash = createHash('sha256');
  const size = Buffer.alloc(8);
  for (const file of files) {
    hash.update(Buffer.from(file.rel, 'utf8'));
    hash.update(Buffer.from([0]));
    size.writeBigUInt64LE(BigInt(file.size));
    hash.update(size);
    await feedFile(hash, file.abs);
  }
  return hash.digest('hex');
}

/** sha256File or sha256Folder, by what `source` is. */
export async function sha256Source(source: string): Promise<string> {
  let stat;
  try {
    stat = await fs.stat(source);
  } catch {
    throw new InputError(source, 'no such file or folder');
  }
  return stat.isDirectory() ? sha256Folder(source) : sha256File(source);
}
