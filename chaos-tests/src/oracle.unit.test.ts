import type { LedgerEntry } from '@tickstream/shared';
import { describe, expect, it } from 'vitest';
import { canonicalEntries, jsonDiff, type StoredEntry } from './oracle';

const H = (n: number, fork = 'a') => `0x${fork.repeat(2)}${String(n).padStart(62, '0')}` as const;

function log(seq: number, partition: number | 'tokens', block: number, fork = 'a'): StoredEntry {
  const entry = {
    kind: 'log',
    chainId: 1,
    partition,
    blockNumber: block,
    blockHash: H(block, fork),
    blockTimestamp: null,
    txIndex: 0,
    logIndex: seq,
    txHash: H(seq, 'f'),
    address: '0x0000000000000000000000000000000000000001',
    topics: [],
    data: '0x',
  } as unknown as LedgerEntry;
  return { seq, msgId: `m${seq}`, entry };
}

function rollback(seq: number, partition: number | 'tokens', toBlock: number): StoredEntry {
  const entry: LedgerEntry = {
    kind: 'rollback',
    chainId: 1,
    partition,
    toBlock,
    toBlockHash: H(toBlock),
    reorgId: `r${seq}`,
  };
  return { seq, msgId: `m${seq}`, entry };
}

describe('canonicalEntries', () => {
  it('default: without rollbacks, every entry in stream order', () => {
    const xs = [log(1, 0, 10), log(2, 1, 10), log(3, 0, 11)];
    expect(canonicalEntries(xs).map((s) => s.seq)).toEqual([1, 2, 3]);
  });

  it('behavior: a rollback drops its own partition’s entries above toBlock that came before it', () => {
    const xs = [
      log(1, 0, 10),
      log(2, 1, 11),
      log(3, 0, 11),
      log(4, 0, 12),
      rollback(5, 0, 10),
      log(6, 0, 11, 'b'),
    ];
    // partition 1's block 11 stays until partition 1's own rollback; the rollback entry itself is not canonical.
    expect(canonicalEntries(xs).map((s) => s.seq)).toEqual([1, 2, 6]);
  });

  it('behavior: rollbacks stack (a second, deeper reorg drops the first fork’s replacement too)', () => {
    const xs = [
      log(1, 0, 10),
      log(2, 0, 11),
      log(3, 0, 12),
      rollback(4, 0, 11),
      log(5, 0, 12, 'b'),
      rollback(6, 0, 10),
      log(7, 0, 11, 'c'),
    ];
    expect(canonicalEntries(xs).map((s) => s.seq)).toEqual([1, 7]);
  });
});

describe('jsonDiff', () => {
  it('default: names each differing leaf with its path', () => {
    const out: string[] = [];
    jsonDiff('pool', { a: '1', b: { c: 2 } }, { a: '1', b: { c: 3 } }, out);
    expect(out).toEqual(['pool.b.c: 2 != chain 3']);
  });
});
