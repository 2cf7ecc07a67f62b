import { describe, expect, it } from 'vitest';
import { BlockLru } from '../../../renderer/src/data/blockLru.ts';
import type { VolumeBlock } from '../../../ipc/api.ts';

function block(bytes: number): VolumeBlock {
  return { dtype: 'uint8', shape: [bytes, 1, 1], components: 1, spacing: [1, 1, 1], origin: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], data: new Uint8Array(bytes) };
}

describe('BlockLru', () => {
  it('evicts the least recently used blocks beyond its byte budget', () => {
    const lru = new BlockLru(100);
    lru.set('a', block(40));
    lru.set('b', block(40));
    expect(lru.get('a')).toBeDefined(); // a is now the most recent
    lru.set('c', block(40));
    expect(lru.get('b')).toBeUndefined();
    expect(lru.get('a')).toBeDefined();
    expect(lru.get('c')).toBeDefined();
    expect(lru.byteSize).toBe(80);
  });

  it('keeps a single block larger than the budget and replaces a key in place', () => {
    const lru = new BlockLru(10);
    lru.set('big', block(50));
    expect(lru.size).toBe(1);
    lru.set('big', block(5));
    expect(lru.byteSize).toBe(5);
  });

  it('drops the blocks of one volume', () => {
    const lru = new BlockLru(1000);
    lru.set('v1|s|0|3', block(10));
    lru.set('v2|s|0|3', block(10));
    lru.dropWhere((k) => k.startsWith('v1|'));
    expect(lru.size).toBe(1);
    expect(lru.byteSize).toBe(10);
  });
});
