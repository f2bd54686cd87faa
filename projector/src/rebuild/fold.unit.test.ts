import { encodeEntry, type RollbackEntry } from '@tickstream/shared';
import { describe, expect, it } from 'vitest';
import { applyBlock, type BlockChanges, createPartitionModel } from '../apply';
import { blockHash, poolScenario } from '../apply/test-ledger';
import type { SealedBlock } from '../consume';
import { PartitionFold, type RowSink } from './fold';
import { projectionOf } from './projections';
import { eventLine, poolHistoryLine, tickHistoryLine } from './rows';

/** The wire entries of sealed blocks, logs at seal seq - logs … seal seq - 1. */
function entries(blocks: readonly SealedBlock[]): [number, Uint8Array][] {
  return blocks.flatMap((b) => [
    ...b.logs.map((l, i): [number, Uint8Array] => [b.seq - b.logs.length + i, encodeEntry(l)]),
    [b.seq, encodeEntry(b.seal)] as [number, Uint8Array],
  ]);
}

function rollback(toBlock: number, reorgId: string): Uint8Array {
  const e: RollbackEntry = {
    kind: 'rollback',
    chainId: 31337,
    partition: 0,
    toBlock,
    toBlockHash: blockHash(toBlock),
    reorgId,
  };
  return encodeEntry(e);
}

function collect(): RowSink & { blocks: BlockChanges[] } {
  const blocks: BlockChanges[] = [];
  return { blocks, block: (_p, ch) => blocks.push(ch) };
}

describe('PartitionFold', () => {
  it('default: folds like applyBlock, block by block, and keeps the latest row of each key', () => {
    const { blocks } = poolScenario();
    const fold = new PartitionFold(31337, 0, 64);
    for (const [seq, bytes] of entries(blocks)) fold.push(seq, bytes);
    const sink = collect();
    fold.foldUpTo(Number.POSITIVE_INFINITY, true, sink);

    const model = createPartitionModel(31337, 0);
    const expected = blocks.map((b) => applyBlock(model, b));
    expect(sink.blocks).toEqual(expected);
    expect(fold.position).toEqual({
      seq: 120,
      block: { number: 12, hash: blockHash(12) },
      lastReorgId: null,
    });
    expect(fold.logs).toBe(5);
    expect([...fold.pools.values()]).toEqual([expected[2]!.pools[0] ?? expected[0]!.pools[0]]);
    expect(
      [...fold.ticks.values()]
        .filter((t) => !t.cleared)
        .map((t) => t.tick)
        .sort((a, b) => a - b),
    ).toEqual([-120, 60]);
  });

  it('behavior: holds the newest blocks back, and never folds past the target', () => {
    const { blocks } = poolScenario();
    const fold = new PartitionFold(31337, 0, 1);
    for (const [seq, bytes] of entries(blocks)) fold.push(seq, bytes);
    fold.foldUpTo(Number.POSITIVE_INFINITY, false, collect());
    expect(fold.position.seq).toBe(110); // block 12 is within 1 block of the newest
    expect(fold.queued).toBe(1);
    const other = new PartitionFold(31337, 0, 0);
    for (const [seq, bytes] of entries(blocks)) other.push(seq, bytes);
    other.foldUpTo(100, true, collect());
    expect(other.position.seq).toBe(100);
  });

  it('behavior: a rollback entry drops the held blocks above its target, like the live rewind', () => {
    const { blocks } = poolScenario();
    const fold = new PartitionFold(31337, 0, 5);
    for (const [seq, bytes] of entries(blocks)) fold.push(seq, bytes);
    fold.push(130, rollback(10, 'r-11-0xab'));
    const sink = collect();
    fold.foldUpTo(Number.POSITIVE_INFINITY, true, sink);
    expect(sink.blocks.map((b) => b.block.number)).toEqual([10]);
    expect(fold.dropped).toBe(2);
    expect(fold.position).toEqual({
      seq: 130,
      block: { number: 10, hash: blockHash(10) },
      lastReorgId: 'r-11-0xab',
    });
  });

  it('behavior: catch-up logs (older, part of no block) go before the next block, like BlockAssembler', () => {
    const { blocks } = poolScenario();
    const b = blocks[0]!;
    const created = { ...b.logs[0]!, blockNumber: 5, blockHash: blockHash(5), catchUp: true as const };
    const fold = new PartitionFold(31337, 0, 0);
    fold.push(1, encodeEntry(created));
    fold.push(2, encodeEntry(b.logs[1]!));
    fold.push(3, encodeEntry(b.logs[2]!));
    fold.push(4, encodeEntry({ ...b.seal, logCount: 2 }));
    const sink = collect();
    fold.foldUpTo(Number.POSITIVE_INFINITY, true, sink);
    expect(sink.blocks[0]!.events.map((e) => [e.type, e.blockNumber])).toEqual([
      ['PoolCreated', 5],
      ['Initialize', 10],
      ['Mint', 10],
    ]);
    expect(fold.pools.size).toBe(1);
  });

  it('error: a rollback entry below a folded block is NOT_READY (run again)', () => {
    const { blocks } = poolScenario();
    const fold = new PartitionFold(31337, 0, 0);
    for (const [seq, bytes] of entries(blocks)) fold.push(seq, bytes);
    fold.foldUpTo(Number.POSITIVE_INFINITY, true, collect());
    expect(() => fold.push(130, rollback(10, 'r-11-0xab'))).toThrow(
      /NOT_READY|comes after block 12 was folded/,
    );
  });

  it('error: a seal counting other logs than arrived is PROJECTION_INVARIANT', () => {
    const { blocks } = poolScenario();
    const b = blocks[0]!;
    const fold = new PartitionFold(31337, 0, 0);
    fold.push(1, encodeEntry(b.logs[0]!));
    expect(() => fold.push(2, encodeEntry(b.seal))).toThrow(/counts 3 logs, 1 arrived/);
  });
});

describe('rows and projections', () => {
  it('default: COPY lines carry the values and status, null as \\N', () => {
    const { blocks } = poolScenario();
    const changes = applyBlock(createPartitionModel(31337, 0), blocks[0]!);
    const pool = poolHistoryLine(31337, changes.pools[0]!, 'confirmed').split('\t');
    expect(pool.length).toBe(14);
    expect(pool.at(-1)).toBe('confirmed\n');
    const tick = tickHistoryLine(31337, changes.ticks[0]!, 'unconfirmed');
    expect(tick.endsWith('\tunconfirmed\n')).toBe(true);
    const event = eventLine(31337, '0', changes.events[0]!, 'unconfirmed').split('\t');
    expect(event[8]).toBe('PoolCreated');
    expect(JSON.parse(event[9]!)).toMatchObject({ fee: 3000, tickSpacing: 60 });
  });

  it('args: projections name their partitions and tables', () => {
    expect(projectionOf(undefined, 2).partitions).toEqual([0, 1, 'tokens']);
    expect(projectionOf('pools', 2).tables.map((t) => t.name)).toContain('tick_history');
    expect(projectionOf('tokens', 2).tables.map((t) => t.name)).toEqual(['nft_positions', 'events']);
    expect(() => projectionOf('ticks', 2)).toThrow(/unknown projection 'ticks'/);
  });
});
