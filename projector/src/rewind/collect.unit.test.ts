import { encodeEntry, type Hex, type LedgerEntry, type RollbackEntry } from '@tickstream/shared';
import { describe, expect, it } from 'vitest';
import { blockHash, sealedBlock } from '../apply/test-ledger';
import { ev } from '../fold/test-fixtures';
import { Q96 } from '../math/test-reference';
import { ReplayCollector } from './collect';

/** Entries of a partition-0 block `n` of `fork` with `logs` Initialize logs (content does not matter here). */
function blockEntries(n: number, logs: number, fork = 'a'): LedgerEntry[] {
  const b = sealedBlock(
    0,
    n,
    0,
    Array.from({ length: logs }, () => ev('Initialize', { sqrtPriceX96: Q96, tick: 0 })),
  );
  const hash = blockHash(n, fork);
  return [...b.logs.map((l) => ({ ...l, blockHash: hash })), { ...b.seal, blockHash: hash }];
}

const rollback = (toBlock: number, reorgId: string): RollbackEntry => ({
  kind: 'rollback',
  chainId: 31337,
  partition: 0,
  toBlock,
  toBlockHash: blockHash(toBlock) as Hex,
  reorgId,
});

/** Feeds `entries` with sequences from `from` on; returns the sequence of each entry. */
function feed(c: ReplayCollector, entries: LedgerEntry[], from = 1): number[] {
  const seqs: number[] = [];
  entries.forEach((e, i) => {
    seqs.push(from + i);
    c.push(from + i, e);
  });
  return seqs;
}

const hashes = (c: ReplayCollector) =>
  c.blocks.map((b) => `${b.seal.blockNumber}${b.seal.blockHash.slice(2, 3)}`);

describe('ReplayCollector', () => {
  it('default: whole blocks in order; split at the target', () => {
    const c = new ReplayCollector(0);
    feed(c, [...blockEntries(10, 2), ...blockEntries(11, 0), ...blockEntries(12, 1)]);
    expect(hashes(c)).toEqual(['10a', '11a', '12a']);
    const { fold, above } = c.split(11);
    expect(fold.map((b) => b.seal.blockNumber)).toEqual([10, 11]);
    expect(above.map((b) => b.seal.blockNumber)).toEqual([12]);
    expect(c.unitSeq).toBe(6);
    expect(c.stats).toEqual({ entries: 6, blocks: 3, rollbacks: 0, dropped: 0 });
  });

  it('behavior: a rollback entry on the way drops the blocks above its target collected before it', () => {
    const c = new ReplayCollector(0);
    feed(c, [
      ...blockEntries(10, 1),
      ...blockEntries(11, 1),
      ...blockEntries(12, 1),
      rollback(10, 'r1'),
      ...blockEntries(11, 2, 'b'),
      ...blockEntries(12, 0, 'b'),
    ]);
    expect(hashes(c)).toEqual(['10a', '11b', '12b']);
    expect(c.stats).toMatchObject({ rollbacks: 1, dropped: 2, blocks: 5 });
    expect(c.lowestRollback).toBe(10);
  });

  it('behavior: stops at the rollback entry of its own reorg; what follows (the new fork) is not collected', () => {
    const c = new ReplayCollector(0, 'r2');
    const seqs = feed(c, [
      ...blockEntries(10, 1),
      ...blockEntries(11, 1),
      rollback(10, 'r2'),
      ...blockEntries(11, 1, 'b'),
    ]);
    expect(c.stopped).toBe(true);
    expect(c.unitSeq).toBe(seqs[4]);
    expect(hashes(c)).toEqual(['10a']);
  });

  it('behavior: entries at or below the snapshot sequence are skipped; a block without its seal is not collected', () => {
    const c = new ReplayCollector(2);
    feed(c, [...blockEntries(10, 1), ...blockEntries(11, 1), ...blockEntries(12, 1).slice(0, 1)]);
    expect(hashes(c)).toEqual(['11a']);
    // the checkpoint may stand on the last whole unit, not inside block 12
    expect(c.unitSeq).toBe(4);
  });

  it('behavior: a rewind by command (no rollback entry yet) folds up to the target and leaves the orphaned fork above', () => {
    const c = new ReplayCollector(0, 'r3');
    feed(c, [...blockEntries(20, 1), ...blockEntries(21, 1), ...blockEntries(22, 1)]);
    expect(c.stopped).toBe(false);
    const { fold, above } = c.split(20);
    expect(fold.map((b) => b.seal.blockNumber)).toEqual([20]);
    expect(above.map((b) => b.seal.blockNumber)).toEqual([21, 22]);
  });

  it('behavior: pushBytes decodes what may be folded and only counts the logs of blocks above the target', () => {
    const entries = [
      ...blockEntries(10, 2),
      ...blockEntries(11, 3),
      ...blockEntries(12, 1),
      rollback(11, 'r0'),
      ...blockEntries(12, 2, 'b'),
      ...blockEntries(13, 0, 'b'),
    ];
    const full = new ReplayCollector(0, null, 10);
    const light = new ReplayCollector(0, null, 10);
    entries.forEach((e, i) => {
      full.push(i + 1, e);
      light.pushBytes(i + 1, encodeEntry(e));
    });
    const shape = (c: ReplayCollector) => c.blocks.map((b) => [b.seal.blockNumber, b.seal.blockHash, b.seq]);
    expect(shape(light)).toEqual(shape(full));
    expect(light.split(10).fold).toEqual(full.split(10).fold);
    expect(light.split(10).above.every((b) => b.logs.length === 0)).toBe(true);
    expect(light.unitSeq).toBe(full.unitSeq);
    expect(light.stats).toEqual(full.stats);
  });

  it('error: pushBytes checks the counted logs against their seal', () => {
    const c = new ReplayCollector(0, null, 10);
    const [log1, , seal] = blockEntries(11, 2);
    c.pushBytes(1, encodeEntry(log1!));
    expect(() => c.pushBytes(2, encodeEntry(seal!))).toThrow(
      /1 logs of block 11 are followed by the seal of block 11 counting 2/,
    );
  });
});
