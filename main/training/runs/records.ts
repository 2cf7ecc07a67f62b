/**
 * Runs in the catalogue: one `runs` row per training run and its metric history in `run_metrics` (schema v2). Every
 * write is a short catalogue mutation; the project lock is retried for a while because the CLI or the app may hold
 * it briefly.
 */
import type { SqlValue } from 'sql.js';
import { mutateCatalogue, nowIso, queryAll, readCatalogue } from '../../dataset/catalogue.ts';
import { InputError, isInputError } from '../../util/errors.ts';

export type RunStatus = 'created' | 'running' | 'paused' | 'cancelled' | 'failed' | 'completed';

export interface RunRecord {
  id: string;
  fold: number | null;
  config: unknown;
  configHash: string;
  datasetHash: string;
  backend: string;
  seed: number;
  status: RunStatus;
  folder: string;
  created: string;
  updated: string;
  message: string;
}

export interface MetricRow {
  epoch: number;
  step: number;
  name: string;
  value: number | null;
}

async function withRetry<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!(isInputError(error) && /locked/.test(error.message)) || attempt >= 50) throw error;
      await new Promise((r) => setTimeout(r, 100 + 50 * attempt));
    }
  }
}

export async function insertRun(dir: string, run: Omit<RunRecord, 'created' | 'updated'>): Promise<void> {
  await withRetry(() =>
    mutateCatalogue(dir, 'record run', (db) => {
      const now = nowIso();
      db.run(
        `INSERT INTO runs (id, kind, fold, config, config_hash, dataset_hash, backend, seed, status, folder, created, updated, message)
         VALUES (?, 'train', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [run.id, run.fold, JSON.stringify(run.config), run.configHash, run.datasetHash, run.backend, run.seed, run.status, run.folder, now, now, run.message],
      );
    }),
  );
}

export async function updateRun(dir: string, id: string, fields: { status?: RunStatus; message?: string; backend?: string }): Promise<void> {
  await withRetry(() =>
    mutateCatalogue(dir, 'update run', (db) => {
      const sets: string[] = ['updated = ?'];
      const values: SqlValue[] = [nowIso()];
      for (const [k, v] of Object.entries(fields)) {
        if (v === undefined) continue;
        sets.push(`${k} = ?`);
        values.push(v);
      }
      db.run(`UPDATE runs SET ${sets.join(', ')} WHERE id = ?`, [...values, id]);
    }),
  );
}

/**
 * Makes the run's history in the catalogue equal to `history` up to `throughStep`: rows after it (from an epoch a
 * killed run did not finish checkpointing) are removed, the given rows written (idempotent).
 */
export async function syncMetrics(dir: string, id: string, history: readonly MetricRow[], throughStep: number): Promise<void> {
  await withRetry(() =>
    mutateCatalogue(dir, 'record run metrics', (db) => {
      db.run('DELETE FROM run_metrics WHERE run_id = ? AND step > ?', [id, throughStep]);
      const insert = db.prepare('INSERT OR REPLACE INTO run_metrics (run_id, epoch, step, name, value) VALUES (?, ?, ?, ?, ?)');
      try {
        for (const m of history) insert.run([id, m.epoch, m.step, m.name, m.value !== null && Number.isFinite(m.value) ? m.value : null]);
      } finally {
        insert.free();
      }
      db.run('UPDATE runs SET updated = ? WHERE id = ?', [nowIso(), id]);
    }),
  );
}

function recordFromRow(r: Record<string, SqlValue>): RunRecord {
  return {
    id: String(r.id),
    fold: r.fold === null ? null : Number(r.fold),
    config: JSON.parse(String(r.config)),
    configHash: String(r.config_hash),
    datasetHash: String(r.dataset_hash),
    backend: String(r.backend),
    seed: Number(r.seed),
    status: String(r.status) as RunStatus,
    folder: String(r.folder),
    created: String(r.created),
    updated: String(r.updated),
    message: String(r.message),
  };
}

export async function listRuns(dir: string): Promise<RunRecord[]> {
  return readCatalogue(dir, (db) => queryAll(db, 'SELECT * FROM runs ORDER BY created').map(recordFromRow));
}

export async function getRun(dir: string, id: string): Promise<RunRecord> {
  const runs = await readCatalogue(dir, (db) => queryAll(db, 'SELECT * FROM runs WHERE id = ?', [id]).map(recordFromRow));
  if (runs.length === 0) throw new InputError(`run ${id}`, `no such run in project ${dir}`);
  return runs[0];
}

export async function getRunMetrics(dir: string, id: string): Promise<MetricRow[]> {
  return readCatalogue(dir, (db) =>
    queryAll(db, 'SELECT epoch, step, name, value FROM run_metrics WHERE run_id = ? ORDER BY step, name', [id]).map((r) => ({
      epoch: Number(r.epoch),
      step: Number(r.step),
      name: String(r.name),
      value: r.value === null ? null : Number(r.value),
    })),
  );
}
