/** The project store: a folder with an SQLite catalogue and one OME-Zarr store per imported volume. */
export { initProject, openProject, appVersion, PROJECT_FOLDERS, type InitProjectOptions } from './project.ts';
export { importCase, caseIdFromPath, volumeIdFor, storePathFor, MAX_LABEL_VALUES, type ImportCaseOptions } from './importCase.ts';
export { listCases, getCase } from './cases.ts';
export { listClasses, setClass, DEFAULT_PALETTE, defaultColor, type SetClassOptions } from './classes.ts';
export { listDomains, addDomain, DEFAULT_DOMAIN, type AddDomainOptions } from './domains.ts';
export { assignSplits, getSplits, computeSplit, moveCaseInSplit, type AssignSplitsOptions, type SplitPlacement } from './split.ts';
export {
  computeStatistics,
  type ComputeStatisticsOptions,
  listStatistics,
  EXACT_PERCENTILE_LIMIT,
  FINE_HISTOGRAM_BINS,
  HISTOGRAM_BINS,
} from './statistics.ts';
export { sha256File, sha256Folder, sha256Source } from './hashing.ts';
export { CATALOGUE_FILE, cataloguePath } from './catalogue.ts';
export { LOCK_FILE } from './lock.ts';
export { SCHEMA_VERSION } from './schema.ts';
export * from './types.ts';
