/**
 * Voxel blocks fetched from the engine, kept outside the reactive stores (stores hold ids; views derive data from
 * here). Slices sit in a byte-bounded LRU; pyramid levels in a small per-volume map. Concurrent requests for the same
 * block share one fetch.
 */
import type { Axis, VolumeBlock } from '../../../ipc/api.ts';
import { BlockLru } from './blockLru.ts';
import { getEngine } from './engine.ts';
import { track } from './activity.ts';

const slices = new BlockLru(256 * 1024 * 1024);
const levels = new Map<string, VolumeBlock>();
const inflight = new Map<string, Promise<VolumeBlock>>();

function shared(key: string, load: () => Promise<VolumeBlock>, store: (b: VolumeBlock) => void): Promise<VolumeBlock> {
  const running = inflight.get(key);
  if (running) return running;
  const p = track(load()).then(
    (block) => {
      inflight.delete(key);
      store(block);
      return block;
    },
    (error: unknown) => {
      inflight.delete(key);
      throw error;
    },
  );
  inflight.set(key, p);
  return p;
}

export function getSlice(volumeId: string, axis: Axis, index: number): Promise<VolumeBlock> {
  const key = `${volumeId}|s|${axis}|${index}`;
  const hit = slices.get(key);
  if (hit) return Promise.resolve(hit);
  return shared(key, () => getEngine().fetchSlice(volumeId, axis, index), (b) => slices.set(key, b));
}

export function getLevel(volumeId: string, level: number): Promise<VolumeBlock> {
  const key = `${volumeId}|l|${level}`;
  const hit = levels.get(key);
  if (hit) return Promise.resolve(hit);
  return shared(key, () => getEngine().fetchLevel(volumeId, level), (b) => levels.set(key, b));
}

/** Forgets a closed volume's blocks. */
export function dropVolume(volumeId: string): void {
  slices.dropWhere((k) => k.startsWith(`${volumeId}|`));
  for (const k of [...levels.keys()]) if (k.startsWith(`${volumeId}|`)) levels.delete(k);
}
