import { decodeEntry, encodeEntry, type Hex, partitionOfAddress, TOPIC } from '@tickstream/shared';
import { describe, expect, it } from 'vitest';
import type { RouteContext } from '../route';
import type { ChainLog } from '../rpc';
import type { WatchJob } from '../store';
import { catchUpEntries, recoverFromTail } from './catch-up';

const word = (n: number) => n.toString(16).padStart(64, '0');
const hash = (n: number): Hex => `0x${word(n)}`;
const pool: Hex = '0x00000000000000000000000000000000000000aa';
const factory: Hex = '0x00000000000000000000000000000000000000ff';
const route: RouteContext = {
  chainId: 31337,
  partitions: 4,
  factory,
  positionManager: '0x00000000000000000000000000000000000000ee',
};

function log(over: Partial<ChainLog>): ChainLog {
  return {
    address: pool,
    blockNumber: 10,
    blockHash: hash(10),
    txHash: hash(99),
    txIndex: 0,
    logIndex: 0,
    topics: [hash(1)],
    data: '0x',
    ...over,
  } as ChainLog;
}

function job(over: Partial<WatchJob> = {}): WatchJob {
  return {
    address: pool,
    kind: 'pool',
    fromBlock: 5,
    doneTo: 9,
    skipLogIndex: -1,
    joinedAt: null,
    logs: 0,
    pools: new Map(),
    ...over,
  };
}

describe('catchUpEntries', () => {
  it('default: flagged logs routed to their pool, a PoolCreated to the pool it creates', () => {
    const created = log({
      address: factory,
      topics: [TOPIC.PoolCreated as Hex, hash(2), hash(3), hash(500)],
      data: `0x${word(10)}${'0'.repeat(24)}${pool.slice(2)}`,
      logIndex: 1,
    });
    const entries = catchUpEntries(route, [created, log({ logIndex: 2 })]);
    expect(entries.map((e) => [e.partition, e.catchUp])).toEqual([
      [partitionOfAddress(pool, 4), true],
      [partitionOfAddress(pool, 4), true],
    ]);
  });
  it('behavior: the flag survives the wire form', () => {
    const [e] = catchUpEntries(route, [log({ blockTimestamp: 7 })]);
    expect(decodeEntry(encodeEntry(e!))).toEqual(e);
    const { catchUp: _, ...live } = e!;
    expect(decodeEntry(encodeEntry(live))).toEqual(live);
  });
});

describe('recoverFromTail', () => {
  const tail = (e: ReturnType<typeof catchUpEntries>[number]) => ({ seq: 1, msgId: 'x', entry: e });
  it('behavior: a chunk cut short resumes right after its last appended log', () => {
    const j = job();
    const [e] = catchUpEntries(route, [log({ blockNumber: 14, logIndex: 3 })]);
    expect(recoverFromTail(new Map([[pool, j]]), tail(e!))).toBe(j);
    expect([j.doneTo, j.skipLogIndex]).toEqual([13, 3]);
  });
  it('behavior: a tail already covered by saved progress changes nothing', () => {
    const j = job({ doneTo: 20 });
    const [e] = catchUpEntries(route, [log({ blockNumber: 14, logIndex: 3 })]);
    recoverFromTail(new Map([[pool, j]]), tail(e!));
    expect([j.doneTo, j.skipLogIndex]).toEqual([20, -1]);
  });
  it('behavior: a live tail is not a catch-up', () => {
    const [e] = catchUpEntries(route, [log({})]);
    const { catchUp: _, ...live } = e!;
    expect(recoverFromTail(new Map([[pool, job()]]), tail(live as typeof e & object))).toBeNull();
  });
});
