/** OME-Zarr: write v0.5 (Zarr v3), read v0.4 (Zarr v2) and v0.5, lazily or whole levels. */
export { omeZarrReader } from './reader.ts';
export {
  omeZarrWriter,
  createOmeZarrStore,
  planOmeZarrLevels,
  DEFAULT_CHUNK_SHAPE,
  OME_ZARR_EXTENSIONS,
  type OmeZarrStoreBuilder,
  type OmeZarrLevelLayout,
} from './writer.ts';
export {
  openOmeZarr,
  DEFAULT_CACHE_BYTES,
  type LazyVolume,
  type LazyLevel,
  type CacheStats,
  type SliceData,
  type OpenOmeZarrOptions,
} from './lazy.ts';
export { planPyramid, downsample, PYRAMID_STOP_SIDE, type DownsampleMode, type PyramidLevelPlan } from './pyramid.ts';
export {
  buildGroupAttributes,
  parseGroupAttributes,
  levelGeometry,
  levelTranslation,
  type NgffVersion,
  type OmeGroupMetadata,
} from './layout.ts';
