/**
 * The catalogue's SQL schema. Its version is SQLite's `PRAGMA user_version`; `MIGRATIONS[i]` takes a catalogue from
 * version i to i + 1, so a new release appends a migration and never edits an old one. Version 0 is an empty database.
 *
 * Conventions: timestamps are ISO 8601 UTC text; vectors and matrices (shape, spacing, origin, direction) are JSON
 * arrays in the engine's conventions (x, y, z index order, LPS millimetres, row-major direction); case, volume and
 * domain names compare case-insensitively so that two of them can never collide as file names on macOS or Windows.
 */
import type { Database } from 'sql.js';

const V1 = `
CREATE TABLE project (
  id              INTEGER PRIMARY KEY CHECK (id = 1),
  name            TEXT    NOT NULL,
  created         TEXT    NOT NULL,
  schema_version  INTEGER NOT NULL,
  app_version     TEXT    NOT NULL
);

-- Classes (phases, tissues): one row per label value.
CREATE TABLE classes (
  value        INTEGER PRIMARY KEY CHECK (value >= 0),
  name         TEXT    NOT NULL,
  color_r      INTEGER NOT NULL CHECK (color_r BETWEEN 0 AND 255),
  color_g      INTEGER NOT NULL CHECK (color_g BETWEEN 0 AND 255),
  color_b      INTEGER NOT NULL CHECK (color_b BETWEEN 0 AND 255),
  description  TEXT    NOT NULL DEFAULT ''
);

-- User-defined acquisition domains (scanner, protocol, material batch).
CREATE TABLE domains (
  name           TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
  description    TEXT NOT NULL DEFAULT '',
  normalization  TEXT NOT NULL DEFAULT 'auto' CHECK (normalization IN ('auto', 'zscore', 'ct', 'rescale01', 'none')),
  created        TEXT NOT NULL
);

CREATE TABLE cases (
  id       TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
  domain   TEXT NOT NULL REFERENCES domains (name) ON UPDATE CASCADE,
  created  TEXT NOT NULL,
  note     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX cases_domain ON cases (domain);

CREATE TABLE volumes (
  id                TEXT    NOT NULL PRIMARY KEY COLLATE NOCASE,
  case_id           TEXT    NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  role              TEXT    NOT NULL CHECK (role IN ('image', 'label')),
  channel           INTEGER CHECK (channel >= 0),
  modality          TEXT,
  source_path       TEXT    NOT NULL,
  source_format     TEXT    NOT NULL,
  source_component  INTEGER NOT NULL DEFAULT 0,
  source_sha256     TEXT    NOT NULL,
  store_path        TEXT    NOT NULL UNIQUE COLLATE NOCASE,
  shape             TEXT    NOT NULL,
  spacing           TEXT    NOT NULL,
  origin            TEXT    NOT NULL,
  direction         TEXT    NOT NULL,
  dtype             TEXT    NOT NULL,
  components        INTEGER NOT NULL CHECK (components >= 1),
  min               REAL,
  max               REAL,
  imported          TEXT    NOT NULL,
  CHECK ((role = 'image') = (channel IS NOT NULL)),
  UNIQUE (case_id, role, channel)
);
CREATE UNIQUE INDEX volumes_one_label_per_case ON volumes (case_id) WHERE role = 'label';

-- Voxel count of every value of a case's label map.
CREATE TABLE label_counts (
  case_id      TEXT    NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  value        INTEGER NOT NULL REFERENCES classes (value),
  voxel_count  INTEGER NOT NULL CHECK (voxel_count >= 0),
  PRIMARY KEY (case_id, value)
);

-- The parameters of the current split (at most one row).
CREATE TABLE split_settings (
  id             INTEGER PRIMARY KEY CHECK (id = 1),
  folds          INTEGER NOT NULL CHECK (folds >= 2),
  seed           INTEGER NOT NULL,
  test_fraction  REAL    NOT NULL CHECK (test_fraction >= 0 AND test_fraction < 1),
  created        TEXT    NOT NULL
);

-- One row per (case, fold): the case's role when training fold 'fold'. A test case is 'test' in every fold, a
-- cross-validation case is 'val' in exactly one fold and 'train' in the others.
CREATE TABLE splits (
  case_id  TEXT    NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  fold     INTEGER NOT NULL CHECK (fold >= 0),
  subset   TEXT    NOT NULL CHECK (subset IN ('train', 'val', 'test')),
  seed     INTEGER NOT NULL,
  created  TEXT    NOT NULL,
  PRIMARY KEY (case_id, fold)
);
CREATE INDEX splits_fold_subset ON splits (fold, subset);

-- Intensity statistics per domain and image channel (see statistics.ts for the definitions).
CREATE TABLE domain_statistics (
  domain             TEXT    NOT NULL REFERENCES domains (name) ON DELETE CASCADE ON UPDATE CASCADE,
  channel            INTEGER NOT NULL CHECK (channel >= 0),
  modality           TEXT,
  mask               TEXT    NOT NULL CHECK (mask IN ('foreground', 'all')),
  case_count         INTEGER NOT NULL,
  voxel_count        INTEGER NOT NULL,
  mean               REAL,
  std                REAL,
  p0_5               REAL,
  p99_5              REAL,
  min                REAL,
  max                REAL,
  percentile_method  TEXT    NOT NULL CHECK (percentile_method IN ('exact', 'histogram')),
  histogram          TEXT    NOT NULL,
  computed           TEXT    NOT NULL,
  PRIMARY KEY (domain, channel)
);
`;


/** Version 2: training runs with their metric history, predictions and evaluations. */
const V2 = `
-- A training run: its validated config (JSON), where its folder is, and how it ended.
CREATE TABLE runs (
  id           TEXT    NOT NULL PRIMARY KEY COLLATE NOCASE,
  kind         TEXT    NOT NULL DEFAULT 'train' CHECK (kind IN ('train')),
  fold         INTEGER CHECK (fold >= 0),
  config       TEXT    NOT NULL,
  config_hash  TEXT    NOT NULL,
  dataset_hash TEXT    NOT NULL,
  backend      TEXT    NOT NULL,
  seed         INTEGER NOT NULL,
  status       TEXT    NOT NULL CHECK (status IN ('created', 'running', 'paused', 'cancelled', 'failed', 'completed')),
  folder       TEXT    NOT NULL,
  created      TEXT    NOT NULL,
  updated      TEXT    NOT NULL,
  message      TEXT    NOT NULL DEFAULT ''
);

-- Metric history of a run: one row per (run, step, name), e.g. loss terms, lr, val_dice_<class>.
CREATE TABLE run_metrics (
  run_id  TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  epoch   INTEGER NOT NULL CHECK (epoch >= 0),
  step    INTEGER NOT NULL CHECK (step >= 0),
  name    TEXT    NOT NULL,
  value   REAL,
  PRIMARY KEY (run_id, step, name)
);

-- A prediction of one case by a model (a run's checkpoint or an imported ONNX model); outputs are OME-Zarr stores
-- under runs/<run>/predictions/<case>/ (label, probabilities, entropy, mutual_information, variance).
CREATE TABLE predictions (
  id                 TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
  run_id             TEXT REFERENCES runs (id) ON DELETE CASCADE,
  model_path         TEXT NOT NULL,
  case_id            TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  folder             TEXT NOT NULL,
  options            TEXT NOT NULL,
  uncertainty_score  REAL,
  created            TEXT NOT NULL
);
CREATE INDEX predictions_run ON predictions (run_id);

-- Metrics of one prediction against the case's label: one row per (evaluation, case, class, metric).
CREATE TABLE evaluations (
  id        TEXT    NOT NULL COLLATE NOCASE,
  run_id    TEXT    REFERENCES runs (id) ON DELETE CASCADE,
  case_id   TEXT    NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  class     INTEGER NOT NULL,
  metric    TEXT    NOT NULL,
  value     REAL,
  created   TEXT    NOT NULL,
  PRIMARY KEY (id, case_id, class, metric)
);
CREATE INDEX evaluations_run ON evaluations (run_id);
`;

/** MIGRATIONS[i] upgrades a catalogue from schema version i to i + 1. */
export const MIGRATIONS: readonly string[] = [V1, V2];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function schemaVersionOf(db: Database): number {
  const result = db.exec('PRAGMA user_version');
  return Number(result[0]?.values[0]?.[0] ?? 0);
}

/**
 * Brings `db` to SCHEMA_VERSION inside the caller's transaction. Returns the version it started from. The caller has
 * checked that the catalogue is not newer than this build.
 */
export function migrate(db: Database): number {
  const from = schemaVersionOf(db);
  for (let v = from; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]);
  if (from < SCHEMA_VERSION) {
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    // The project row exists from version 1 on; a fresh database gets it from initProject.
    db.run('UPDATE project SET schema_version = ?', [SCHEMA_VERSION]);
  }
  return from;
}

/** Tables a catalogue of the current version must have; a database without them is not ours. */
export const REQUIRED_TABLES = [
  'project',
  'classes',
  'domains',
  'cases',
  'volumes',
  'label_counts',
  'split_settings',
  'splits',
  'domain_statistics',
  'runs',
  'run_metrics',
  'predictions',
  'evaluations',
] as const;
