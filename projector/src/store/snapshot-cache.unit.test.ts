import { describe, expect, it } from 'vitest';
import { createPartitionModel } from '../apply';
import { SnapshotCache } from './snapshot-cache';

const ref = (seq: number, blockNumber: number) => ({ seq, blockNumber, blockHash: '0x' });

describe('SnapshotCache', () => {
  it('default: gives a copy of the model kept for exactly that snapshot row', () => {
    const cache = new SnapshotCache(2);
    const model = createPartitionModel(31337, 'tokens');
    cache.put('tokens', ref(10, 32), model);
    const copy = cache.take('tokens', ref(10, 32));
    expect(copy).toEqual(model);
    expect(copy).not.toBe(model);
    expect(cache.take('tokens', ref(11, 32))).toBeNull();
    expect(cache.take('tokens', ref(10, 33))).toBeNull();
    expect(cache.take(0, ref(10, 32))).toBeNull();
  });

  it('behavior: keeps the newest few per partition and forgets those above a rewind', () => {
    const cache = new SnapshotCache(2);
    for (const [seq, block] of [
      [10, 32],
      [20, 64],
      [30, 96],
    ] as const)
      cache.put(0, ref(seq, block), createPartitionModel(31337, 0));
    expect(cache.take(0, ref(10, 32))).toBeNull();
    expect(cache.take(0, ref(20, 64))).not.toBeNull();
    cache.dropAbove(0, 70);
    expect(cache.take(0, ref(30, 96))).toBeNull();
    expect(cache.take(0, ref(20, 64))).not.toBeNull();
  });
});
