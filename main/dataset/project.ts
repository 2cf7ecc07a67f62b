/**
 * A project folder:
 *   catalogue.sqlite   the catalogue (schema.ts)
 *   volumes/           one OME-Zarr store per imported volume, <volumeId>.ome.zarr
 *   runs/              training and inference runs
 *   reports/           exported reports
 *   .segstation.lock   present only while a mutation runs (lock.ts)
 * A folder is a project exactly when it has catalogue.sqlite; initProject writes it last.
 */
import { existsSync, readFileSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { InputError } from '../util/errors.ts';
import { CATALOGUE_FILE, cataloguePath, newDatabase, nowIso, persistCatalogue, queryOne, readCatalogue, transaction } from './catalogue.ts';
import { DEFAULT_CLASS_ZERO, insertClass } from './classes.ts';
import { DEFAULT_DOMAIN, insertDomain } from './domains.ts';
import { parseOptions } from './input.ts';
import { LOCK_FILE, withLock } from './lock.ts';
import { migrate, SCHEMA_VERSION } from './schema.ts';
import { ProjectInfoSchema, type ProjectInfo } from './types.ts';

export const PROJECT_FOLDERS = ['volumes', 'runs', 'reports'] as const;
export const VOLUMES_FOLDER = 'volumes';

let cachedVersion: string | undefined;

/** Version from package.json ('0.0.0' when it cannot be found, e.g. in an unusual bundle). */
export function appVersion(): string {
  if (cachedVersion) return cachedVersion;
  cachedVersion = '0.0.0';
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'package.json');
    if (existsSync(candidate)) {
      try {
        const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: unknown; version?: unknown };
        if (pkg.name === 'segstation' && typeof pkg.version === 'string') {
          cachedVersion = pkg.version;
          break;
        }
      } catch {
        // keep looking
      }
    }
    dir = path.dirname(dir);
  }
  return cachedVersion;
}

const InitSchema = z.object({ name: z.string().trim().min(1, 'must not be empty').max(200).optional() });
export type InitProjectOptions = z.input<typeof InitSchema>;

/** True when a folder holds nothing, or only empty project sub-folders (what an interrupted init leaves). */
async function isEffectivelyEmpty(dir: string, entries: string[]): Promise<boolean> {
  for (const entry of entries) {
    if (entry === LOCK_FILE) continue;
    if (!(PROJECT_FOLDERS as readonly string[]).includes(entry)) return false;
    const inner = path.join(dir, entry);
    const stat = await fs.stat(inner);
    if (!stat.isDirectory() || (await fs.readdir(inner)).length > 0) return false;
  }
  return true;
}

/**
 * Creates a project in `dir` (created if missing). Refuses a folder that is already a project and a non-empty folder
 * that is not one.
 */
export async function initProject(dir: string, options: InitProjectOptions = {}): Promise<ProjectInfo> {
  const input = parseOptions(InitSchema, options, 'project');
  const abs = path.resolve(dir);
  let entries: string[] = [];
  try {
    const stat = await fs.stat(abs);
    if (!stat.isDirectory()) throw new InputError(abs, 'exists and is not a folder');
    entries = await fs.readdir(abs);
  } catch (error) {
    if (error instanceof InputError) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (entries.includes(CATALOGUE_FILE)) throw new InputError(abs, 'already a Segstation project');
  if (!(await isEffectivelyEmpty(abs, entries))) {
    throw new InputError(abs, 'folder is not empty and is not a Segstation project; choose a new or empty folder');
  }
  await fs.mkdir(abs, { recursive: true });
  const name = input.name ?? path.basename(abs);
  return withLock(abs, 'init project', async () => {
    if (existsSync(cataloguePath(abs))) throw new InputError(abs, 'already a Segstation project');
    for (const folder of PROJECT_FOLDERS) await fs.mkdir(path.join(abs, folder), { recursive: true });
    const db = await newDatabase();
    try {
      const created = nowIso();
      transaction(db, () => {
        migrate(db);
        db.run('INSERT INTO project (id, name, created, schema_version, app_version) VALUES (1, ?, ?, ?, ?)', [
          name,
          created,
          SCHEMA_VERSION,
          appVersion(),
        ]);
        insertClass(db, { ...DEFAULT_CLASS_ZERO, color: [...DEFAULT_CLASS_ZERO.color] });
        insertDomain(db, { name: DEFAULT_DOMAIN, description: 'cases imported without a domain', normalization: 'auto', created });
      });
      await persistCatalogue({ dir: abs, file: cataloguePath(abs), db, original: new Uint8Array(0) });
    } finally {
      db.close();
    }
    return openProject(abs);
  });
}

/** Checks that `dir` is a project with a readable catalogue and describes it. */
export async function openProject(dir: string): Promise<ProjectInfo> {
  return readCatalogue(dir, (db, catalogue) => {
    const row = queryOne(db, 'SELECT name, created, app_version FROM project WHERE id = 1');
    return ProjectInfoSchema.parse({
      dir: catalogue.dir,
      name: row?.name,
      created: row?.created,
      schemaVersion: SCHEMA_VERSION,
      appVersion: row?.app_version,
      catalogue: catalogue.file,
    });
  });
}
