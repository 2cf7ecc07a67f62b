import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

function tempSibling(target: string, tag: string): string {
  const dir = path.dirname(target);
  return path.join(dir, `.${path.basename(target)}.${tag}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Writes a file so that readers see either the old or the new content, never a partial one. */
export async function writeFileAtomic(target: string, data: Uint8Array | string): Promise<void> {
  await fs.mkdir(path.dirname(target), { recursive: true });
  const tmp = tempSibling(target, 'tmp');
  try {
    const handle = await fs.open(tmp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, target);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw error;
  }
}

/**
 * Builds a directory (an OME-Zarr store, a folder of slices) in a temporary sibling and moves it into place only when
 * `build` succeeds; an existing directory at `target` is replaced as a whole.
 */
export async function writeDirAtomic(target: string, build: (tmpDir: string) => Promise<void>): Promise<void> {
  await fs.mkdir(path.dirname(target), { recursive: true });
  const tmp = tempSibling(target, 'tmp');
  await fs.mkdir(tmp);
  try {
    await build(tmp);
  } catch (error) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw error;
  }
  let old: string | undefined;
  try {
    await fs.access(target);
    old = tempSibling(target, 'old');
    await fs.rename(target, old);
  } catch {
    old = undefined;
  }
  try {
    await fs.rename(tmp, target);
  } catch (error) {
    if (old) await fs.rename(old, target);
    await fs.rm(tmp, { recursive: true, force: true });
    throw error;
  }
  if (old) await fs.rm(old, { recursive: true, force: true });
}
