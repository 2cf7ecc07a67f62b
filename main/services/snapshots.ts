/** A 3D-view snapshot sent inline (base64 PNG) with report.export, kept in a temporary file for the report job. */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../util/errors.ts';

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Decodes and checks the PNG, writes it to a new temporary file and returns its path. */
export async function writeSnapshot(base64: string, field = 'params.snapshotPng'): Promise<string> {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length < PNG_MAGIC.length || PNG_MAGIC.some((b, i) => bytes[i] !== b)) throw new InputError(field, 'is not a PNG image');
  const file = path.join(os.tmpdir(), `segstation-snapshot-${randomBytes(6).toString('hex')}.png`);
  await fs.writeFile(file, bytes);
  return file;
}

export async function removeSnapshot(file: string): Promise<void> {
  await fs.rm(file, { force: true });
}
