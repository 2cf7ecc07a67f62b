/**
 * The project lock: `<project>/.segstation.lock`, created with O_EXCL around every mutation so that two processes (the
 * CLI and the desktop app, two CLI runs) can never interleave read-modify-write cycles of the catalogue or write the
 * same store. It holds JSON naming its owner. A lock whose owner process no longer runs on this machine is stale and
 * is taken over; a lock from another machine (a project on a network share) is never presumed stale.
 *
 * Within one process the lock also serialises: a second mutation started while the first runs fails the same way.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../util/errors.ts';

export const LOCK_FILE = '.segstation.lock';

/** A lock file that cannot be parsed is presumed to be mid-creation for this long, then stale. */
const UNREADABLE_GRACE_MS = 30_000;

export interface LockOwner {
  pid: number;
  host: string;
  operation: string;
  since: string;
  token: string;
}

export function lockPath(dir: string): string {
  return path.join(dir, LOCK_FILE);
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseOwner(text: string): LockOwner | null {
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (typeof value.pid === 'number' && typeof value.host === 'string') {
      return {
        pid: value.pid,
        host: value.host,
        operation: String(value.operation ?? 'unknown'),
        since: String(value.since ?? 'unknown'),
        token: String(value.token ?? ''),
      };
    }
  } catch {
    // fall through
  }
  return null;
}

/** Why the current lock is held, or null when it is stale (or gone). */
async function liveOwner(file: string): Promise<{ owner: LockOwner | null; text: string } | null> {
  let text: string;
  let mtimeMs: number;
  try {
    text = await fs.readFile(file, 'utf8');
    mtimeMs = (await fs.stat(file)).mtimeMs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const owner = parseOwner(text);
  if (!owner) return Date.now() - mtimeMs < UNREADABLE_GRACE_MS ? { owner: null, text } : null;
  if (owner.host !== os.hostname()) return { owner, text };
  return processRuns(owner.pid) ? { owner, text } : null;
}

function lockedError(file: string, owner: LockOwner | null): InputError {
  if (!owner) return new InputError(file, 'project is locked by another process (its lock is being written); try again');
  const where = owner.host === os.hostname() ? `process ${owner.pid}` : `process ${owner.pid} on ${owner.host}`;
  return new InputError(
    file,
    `project is locked by ${where} (${owner.operation}, since ${owner.since}); wait for it to finish, ` +
      'or delete this file if that process no longer runs',
  );
}

/**
 * Takes the lock or throws an InputError naming the holder. Returns the function that releases it; release removes the
 * file only while it still holds this lock's token.
 */
export async function acquireLock(dir: string, operation: string): Promise<() => Promise<void>> {
  const file = lockPath(dir);
  const owner: LockOwner = {
    pid: process.pid,
    host: os.hostname(),
    operation,
    since: new Date().toISOString(),
    token: randomBytes(8).toString('hex'),
  };
  const text = `${JSON.stringify(owner)}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await fs.open(file, 'wx');
      try {
        await handle.writeFile(text);
      } finally {
        await handle.close();
      }
      return async () => {
        try {
          const current = await fs.readFile(file, 'utf8');
          if (parseOwner(current)?.token === owner.token) await fs.rm(file, { force: true });
        } catch {
          // already gone
        }
      };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new InputError(dir, 'no such folder');
      if (code !== 'EEXIST') throw error;
    }
    const live = await liveOwner(file);
    if (live) throw lockedError(file, live.owner);
    // Stale: its owner is gone. Another process may judge it stale at the same moment; both remove it and only one
    // wins the O_EXCL create of the next attempt.
    await fs.rm(file, { force: true });
  }
  const live = await liveOwner(file);
  throw lockedError(file, live?.owner ?? null);
}

/** Runs `fn` holding the project lock. */
export async function withLock<T>(dir: string, operation: string, fn: () => Promise<T>): Promise<T> {
  const release = await acquireLock(dir, operation);
  try {
    return await fn();
  } finally {
    await release();
  }
}
