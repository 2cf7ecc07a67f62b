/** Messages between the boundaries view and its worker (boundaries.worker.ts). */
import type { BoundaryResult } from '../core/boundaries/compute.ts';
import type { VoxelArray } from '../../../ipc/api.ts';

export interface BoundariesRequest {
  requestId: number;
  labels: VoxelArray;
  truth?: VoxelArray;
  shape: [number, number, number];
  spacing: [number, number, number];
  smoothing: number;
}

export type BoundariesReply =
  | { requestId: number; progress: { fraction: number; stage: string } }
  | { requestId: number; result: BoundaryResult }
  | { requestId: number; error: string };
