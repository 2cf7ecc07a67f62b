/**
 * The engine API the renderer programs against. Two implementations: Electron's preload (`window.segstation`) and
 * `createWebClient` (web mode). Browser-safe.
 */
import type { Axis, BlockHeader, DType, EngineError, EngineEvent, MethodName, ParamsOf, ResultOf } from './contract.ts';

export type { Axis, DType, EngineError, EngineEvent, MethodName, ParamsOf, ResultOf } from './contract.ts';

export type VoxelArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array;

/**
 * Voxels with their grid. x fastest, components interleaved. A slice is a block with one voxel along its axis, whose
 * origin is the world position of its first voxel, so it can be placed in 3D without knowing the slice index.
 */
export interface VolumeBlock extends Omit<BlockHeader, 'byteLength'> {
  dtype: DType;
  data: VoxelArray;
}

export interface EngineApi {
  request<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>>;
  /** Subscribes to engine events; returns the unsubscribe function. */
  onEvent(listener: (event: EngineEvent) => void): () => void;
  /** A full-resolution slice normal to index axis `axis`. */
  fetchSlice(volumeId: string, axis: Axis, index: number): Promise<VolumeBlock>;
  /** A whole pyramid level (0 = full resolution, higher = coarser). */
  fetchLevel(volumeId: string, level: number): Promise<VolumeBlock>;
  /**
   * A window of a level: voxels [start, start + size) along (x, y, z), its origin the world position of voxel `start`.
   * Both transports implement it; optional so that test doubles of the API need not.
   */
  fetchRegion?(volumeId: string, level: number, start: [number, number, number], size: [number, number, number]): Promise<VolumeBlock>;
}

/** What a failed `request` (or fetch) rejects with: the engine's typed error. */
export class EngineRequestError extends Error {
  readonly code: EngineError['code'];
  readonly field: string | undefined;
  constructor(error: EngineError) {
    super(error.message);
    this.name = 'EngineRequestError';
    this.code = error.code;
    this.field = error.field;
  }

  toJSON(): EngineError {
    return { code: this.code, message: this.message, ...(this.field !== undefined ? { field: this.field } : {}) };
  }
}
