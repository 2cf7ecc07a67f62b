/** A least-recently-used map of voxel blocks bounded by their total bytes (the newest entry always stays). */
import type { VolumeBlock } from '../../../ipc/api.ts';

export class BlockLru {
  private readonly entries = new Map<string, VolumeBlock>();
  private bytes = 0;
  constructor(private readonly maxBytes: number) {}

  get(key: string): VolumeBlock | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, block: VolumeBlock): void {
    const old = this.entries.get(key);
    if (old) {
      this.bytes -= old.data.byteLength;
      this.entries.delete(key);
    }
    this.entries.set(key, block);
    this.bytes += block.data.byteLength;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes || this.entries.size <= 1) break;
      this.entries.delete(k);
      this.bytes -= v.data.byteLength;
    }
  }

  dropWhere(predicate: (key: string) => boolean): void {
    for (const [k, v] of [...this.entries]) {
      if (predicate(k)) {
        this.entries.delete(k);
        this.bytes -= v.data.byteLength;
      }
    }
  }

  get size(): number {
    return this.entries.size;
  }

  get byteSize(): number {
    return this.bytes;
  }
}
