/**
 * The catalogue: `<project>/catalogue.sqlite`, an SQLite database handled in memory by sql.js (SQLite compiled to
 * wasm, no native build). Every call loads the file, works on the in-memory copy and, for a mutation, writes the
 * whole database back with writeFileAtomic, so readers always see a complete catalogue and never need the lock.
 * Mutations run inside the project lock (lock.ts) and inside one SQL transaction.
 */
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import initSqlJs, { type BindParams, type Database, type SqlJsStatic, type SqlValue } from 'sql.js';
import { writeFileAtomic } from '../util/atomic.ts';
import { errorMessage, InputError } from '../util/errors.ts';
import { withLock } from './lock.ts';
import { migrate, REQUIRED_TABLES, SCHEMA_VERSION, schemaVersionOf } from './schema.ts';

export const CATALOGUE_FILE = 'catalogue.sqlite';

export type Row = Record<string, SqlValue>;

let sqlJs: Promise<SqlJsStatic> | undefined;

/** The sql.js module, loaded once per process. */
export function loadSqlJs(): Promise<SqlJsStatic> {
  if (!sqlJs) {
    const require = createRequire(import.meta.url);
    sqlJs = initSqlJs({ locateFile: (file: string) => require.resolve(`sql.js/dist/${file}`) });
    sqlJs.catch(() => {
      sqlJs = undefined;
    });
  }
  return sqlJs;
}

export function cataloguePath(dir: string): string {
  return path.join(dir, CATALOGUE_FILE);
}

export interface Catalogue {
  /** Absolute project folder. */
  dir: string;
  /** Absolute path of catalogue.sqlite. */
  file: string;
  db: Database;
  /** The file's bytes as loaded: what a failed mutation restores. */
  original: Uint8Array;
}

/** Opens an in-memory database with foreign keys enforced. */
export async function newDatabase(bytes?: Uint8Array): Promise<Database> {
  const SQL = await loadSqlJs();
  const db = new SQL.Database(bytes);
  db.exec('PRAGMA foreign_keys = ON');
  return db;
}

/** Checks that `dir` is a project and loads its catalogue (migrated in memory when it is older than this build). */
export async function loadCatalogue(dir: string): Promise<Catalogue> {
  const abs = path.resolve(dir);
  let stat;
  try {
    stat = await fs.stat(abs);
  } catch {
    throw new InputError(abs, 'no such folder');
  }
  if (!stat.isDirectory()) throw new InputError(abs, 'not a folder, so not a Segstation project');
  const file = cataloguePath(abs);
  let original: Uint8Array;
  try {
    original = new Uint8Array(await fs.readFile(file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new InputError(abs, `not a Segstation project (no ${CATALOGUE_FILE}); create one with 'segstation project init'`);
    }
    throw new InputError(file, `cannot read the catalogue: ${errorMessage(error)}`, { cause: error });
  }
  const db = await openCatalogueBytes(file, original);
  return { dir: abs, file, db, original };
}

/** Parses catalogue bytes; any sign of damage becomes an InputError naming `file`. */
async function openCatalogueBytes(file: string, bytes: Uint8Array): Promise<Database> {
  if (bytes.length === 0) throw new InputError(file, 'catalogue is corrupt: the file is empty');
  let db: Database | undefined;
  try {
    db = await newDatabase(bytes);
    const check = db.exec('PRAGMA quick_check');
    const verdict = String(check[0]?.values[0]?.[0] ?? '');
    if (verdict !== 'ok') throw new Error(`integrity check failed: ${verdict}`);
    const version = schemaVersionOf(db);
    if (version > SCHEMA_VERSION) {
      db.close();
      throw new InputError(
        file,
        `catalogue has schema version ${version}, newer than this Segstation supports (${SCHEMA_VERSION}); update Segstation`,
      );
    }
    if (version < 1) throw new Error('not a Segstation catalogue (schema version 0)');
    if (version < SCHEMA_VERSION) transaction(db, () => migrate(db as Database));
    const tables = new Set(queryAll(db, "SELECT name FROM sqlite_master WHERE type = 'table'").map((r) => String(r.name)));
    const missing = REQUIRED_TABLES.filter((t) => !tables.has(t));
    if (missing.length > 0) throw new Error(`not a Segstation catalogue (missing tables: ${missing.join(', ')})`);
    if (queryAll(db, 'SELECT id FROM project').length !== 1) throw new Error('the project row is missing');
    return db;
  } catch (error) {
    if (error instanceof InputError) throw error;
    db?.close();
    throw new InputError(file, `catalogue is corrupt: ${errorMessage(error)}`, { cause: error });
  }
}

/** Runs `fn` in one SQL transaction: committed when it returns, rolled back when it throws. */
export function transaction<T>(db: Database, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = fn();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    try {
      db.exec('ROLLBACK');
    } catch {
      // the failure already ended the transaction
    }
    throw error;
  }
}

/** Writes the in-memory catalogue to its file atomically. */
export async function persistCatalogue(catalogue: Catalogue): Promise<void> {
  const bytes = catalogue.db.export();
  // export() reopens the database, which resets pragmas.
  catalogue.db.exec('PRAGMA foreign_keys = ON');
  await writeFileAtomic(catalogue.file, bytes);
}

/** Loads the catalogue, runs a read-only `fn`, closes it. No lock: files are only ever replaced atomically. */
export async function readCatalogue<T>(dir: string, fn: (db: Database, catalogue: Catalogue) => T | Promise<T>): Promise<T> {
  const catalogue = await loadCatalogue(dir);
  try {
    return await fn(catalogue.db, catalogue);
  } finally {
    catalogue.db.close();
  }
}

/**
 * Holds the lock, loads the catalogue and passes it to `fn`; `fn` does its own transactions and persisting. For
 * mutations that also write files (import) and must undo them on failure.
 */
export async function withCatalogueLocked<T>(dir: string, operation: string, fn: (catalogue: Catalogue) => Promise<T>): Promise<T> {
  const abs = path.resolve(dir);
  // Fail with "not a project" before touching the folder with a lock file.
  (await loadCatalogue(abs)).db.close();
  return withLock(abs, operation, async () => {
    const catalogue = await loadCatalogue(abs);
    try {
      return await fn(catalogue);
    } finally {
      catalogue.db.close();
    }
  });
}

/** A plain catalogue mutation: lock, load, `fn` in one transaction, persist atomically. */
export async function mutateCatalogue<T>(dir: string, operation: string, fn: (db: Database) => T): Promise<T> {
  return withCatalogueLocked(dir, operation, async (catalogue) => {
    const result = transaction(catalogue.db, () => fn(catalogue.db));
    await persistCatalogue(catalogue);
    return result;
  });
}

export function queryAll(db: Database, sql: string, params?: BindParams): Row[] {
  const statement = db.prepare(sql);
  try {
    if (params) statement.bind(params);
    const rows: Row[] = [];
    while (statement.step()) rows.push(statement.getAsObject());
    return rows;
  } finally {
    statement.free();
  }
}

export function queryOne(db: Database, sql: string, params?: BindParams): Row | undefined {
  return queryAll(db, sql, params)[0];
}

/** Parses a JSON text column. */
export function jsonColumn(value: SqlValue): unknown {
  return JSON.parse(String(value));
}

export function nowIso(): string {
  return new Date().toISOString();
}
