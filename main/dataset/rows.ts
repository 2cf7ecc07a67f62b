/** Catalogue rows -> API objects, each parsed through its zod schema. */
import type { Database } from 'sql.js';
import { jsonColumn, queryAll, queryOne, type Row } from './catalogue.ts';
import {
  CaseDetailSchema,
  CaseSummarySchema,
  ClassRowSchema,
  DomainRowSchema,
  DomainStatisticsSchema,
  LabelCountSchema,
  VolumeRowSchema,
  type CaseDetail,
  type CaseSummary,
  type ClassRow,
  type DomainRow,
  type DomainStatistics,
  type VolumeRow,
} from './types.ts';

const num = (v: Row[string]): number | null => (v === null || v === undefined ? null : Number(v));

export function classFromRow(r: Row): ClassRow {
  return ClassRowSchema.parse({
    value: r.value,
    name: r.name,
    color: [r.color_r, r.color_g, r.color_b],
    description: r.description,
  });
}

export function selectClasses(db: Database): ClassRow[] {
  return queryAll(db, 'SELECT * FROM classes ORDER BY value').map(classFromRow);
}

export function domainFromRow(r: Row): DomainRow {
  return DomainRowSchema.parse({
    name: r.name,
    description: r.description,
    normalization: r.normalization,
    created: r.created,
  });
}

export function selectDomains(db: Database): DomainRow[] {
  return queryAll(db, 'SELECT * FROM domains ORDER BY name COLLATE BINARY').map(domainFromRow);
}

export function volumeFromRow(r: Row): VolumeRow {
  return VolumeRowSchema.parse({
    id: r.id,
    caseId: r.case_id,
    role: r.role,
    channel: num(r.channel),
    modality: r.modality ?? null,
    sourcePath: r.source_path,
    sourceFormat: r.source_format,
    sourceComponent: r.source_component,
    sourceSha256: r.source_sha256,
    storePath: r.store_path,
    shape: jsonColumn(r.shape),
    spacing: jsonColumn(r.spacing),
    origin: jsonColumn(r.origin),
    direction: jsonColumn(r.direction),
    dtype: r.dtype,
    components: r.components,
    min: num(r.min),
    max: num(r.max),
    imported: r.imported,
  });
}

const CASE_SUMMARY_SQL = `
  SELECT c.id, c.domain, c.created, c.note,
    (SELECT COUNT(*) FROM volumes v WHERE v.case_id = c.id AND v.role = 'image') AS channels,
    (SELECT COUNT(*) FROM volumes v WHERE v.case_id = c.id AND v.role = 'label') AS labels
  FROM cases c`;

function summaryFromRow(r: Row): CaseSummary {
  return CaseSummarySchema.parse({
    id: r.id,
    domain: r.domain,
    created: r.created,
    note: r.note,
    channels: r.channels,
    hasLabel: Number(r.labels) > 0,
  });
}

export function selectCases(db: Database): CaseSummary[] {
  return queryAll(db, `${CASE_SUMMARY_SQL} ORDER BY c.id COLLATE BINARY`).map(summaryFromRow);
}

export function selectCase(db: Database, id: string): CaseDetail | undefined {
  const row = queryOne(db, `${CASE_SUMMARY_SQL} WHERE c.id = ?`, [id]);
  if (!row) return undefined;
  const caseId = String(row.id);
  const volumes = queryAll(
    db,
    "SELECT * FROM volumes WHERE case_id = ? ORDER BY role = 'label', channel",
    [caseId],
  ).map(volumeFromRow);
  const labelCounts = queryAll(db, 'SELECT value, voxel_count FROM label_counts WHERE case_id = ? ORDER BY value', [
    caseId,
  ]).map((r) => LabelCountSchema.parse({ value: r.value, count: r.voxel_count }));
  const splits = queryAll(db, 'SELECT fold, subset FROM splits WHERE case_id = ? ORDER BY fold', [caseId]).map((r) => ({
    fold: r.fold,
    subset: r.subset,
  }));
  return CaseDetailSchema.parse({ ...summaryFromRow(row), volumes, labelCounts, splits });
}

export function statisticsFromRow(r: Row): DomainStatistics {
  return DomainStatisticsSchema.parse({
    domain: r.domain,
    channel: r.channel,
    modality: r.modality ?? null,
    mask: r.mask,
    caseCount: r.case_count,
    voxelCount: r.voxel_count,
    mean: num(r.mean),
    std: num(r.std),
    p0_5: num(r.p0_5),
    p99_5: num(r.p99_5),
    min: num(r.min),
    max: num(r.max),
    percentileMethod: r.percentile_method,
    histogram: jsonColumn(r.histogram),
    computed: r.computed,
  });
}

export function selectStatistics(db: Database): DomainStatistics[] {
  return queryAll(db, 'SELECT * FROM domain_statistics ORDER BY domain COLLATE BINARY, channel').map(statisticsFromRow);
}
