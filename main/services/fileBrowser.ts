/**
 * `fs.list`: one folder of the engine's file system for the import dialog in web mode, where the page cannot see the
 * engine's files. Read-only and listing only (names, folder or not, sizes): it never opens a file. The engine is a
 * local, token-protected process that can already open any file its user can (volume.open), so the listing is not
 * confined to a folder; it takes absolute paths only, because a relative one would depend on the engine's cwd.
 */
import type { Dirent } from 'node:fs';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MAX_DIR_ENTRIES, type DirEntry, type DirListing } from '../../ipc/contract.ts';
import { InputError } from '../util/errors.ts';

export interface ListDirectoryOptions {
  /** Include names starting with '.' (default false). */
  hidden?: boolean;
  /** Most entries returned (default MAX_DIR_ENTRIES); the listing says when it held more. */
  maxEntries?: number;
}

function codeOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
}

/** Why a folder cannot be listed, in words, from a Node file-system error. */
function unreadable(dir: string, error: unknown): InputError {
  const code = codeOf(error);
  if (code === 'ENOENT') return new InputError(dir, 'no such folder');
  if (code === 'ENOTDIR') return new InputError(dir, 'is not a folder');
  if (code === 'EACCES' || code === 'EPERM') return new InputError(dir, 'cannot be read (permission denied)');
  return new InputError(dir, `cannot be listed (${error instanceof Error ? error.message : String(error)})`);
}

/** Folder or not, following a symbolic link; null for a broken link or an entry that vanished meanwhile. */
async function isFolder(dir: string, entry: Dirent): Promise<boolean | null> {
  if (!entry.isSymbolicLink()) return entry.isDirectory();
  try {
    return (await fs.stat(path.join(dir, entry.name))).isDirectory();
  } catch {
    return null;
  }
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await fs.stat(file)).size;
  } catch {
    return 0;
  }
}

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name, 'en', { numeric: true });

export async function listDirectory(dir: string, options: ListDirectoryOptions = {}): Promise<DirListing> {
  if (dir.includes('\0')) throw new InputError('params.dir', 'must not contain a NUL character');
  if (!path.isAbsolute(dir)) throw new InputError('params.dir', `must be an absolute path, got '${dir}'`);
  const abs = path.resolve(dir);
  const maxEntries = options.maxEntries ?? MAX_DIR_ENTRIES;
  let dirents: Dirent[];
  try {
    dirents = await fs.readdir(abs, { withFileTypes: true });
  } catch (error) {
    throw unreadable(abs, error);
  }
  const visible = options.hidden ? dirents : dirents.filter((d) => !d.name.startsWith('.'));
  const typed = await Promise.all(visible.map(async (d) => ({ name: d.name, isDir: await isFolder(abs, d) })));
  const present = typed.filter((e): e is { name: string; isDir: boolean } => e.isDir !== null);
  const sorted = [...present.filter((e) => e.isDir).sort(byName), ...present.filter((e) => !e.isDir).sort(byName)];
  const kept = sorted.slice(0, maxEntries);
  const entries: DirEntry[] = await Promise.all(
    kept.map(async (e) => ({ name: e.name, isDir: e.isDir, size: e.isDir ? 0 : await sizeOf(path.join(abs, e.name)) })),
  );
  const parent = path.dirname(abs);
  return { dir: abs, parent: parent === abs ? null : parent, entries, truncated: sorted.length > kept.length };
}
