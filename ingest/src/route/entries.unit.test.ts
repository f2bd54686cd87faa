import { type Hex, partitionOfAddress, TOPIC } from '@tickstream/shared';
import { describe, expect, it } from 'vitest';
import type { ChainLog } from '../rpc';
import { blockEntries, createdPool, groupByBlock, type RouteContext } from './entries';

const addr = (c: string) => `0x${c.repeat(40)}` as Hex;
const word = (hex: string) => hex.replace(/^0x/, '').padStart(64, '0');
const topic = (hex: string) => `0x${word(hex)}` as Hex;
const int24 = (n: number) => topic((n < 0 ? 0x1000000 + n : n).toString(16));
const ctx: RouteContext = { chainId: 31337, partitions: 4, factory: addr('f'), positionManager: addr('e') };
const poolA = addr('a');
const blockHash = `0x${'1'.repeat(64)}` as Hex;

let logIndex = 0;
function log(p: Partial<ChainLog>): ChainLog {
  return {
    address: poolA,
    topics: [topic('99')],
    data: '0x',
    blockNumber: 10,
    blockHash,
    blockTimestamp: 1000,
    txHash: `0x${'2'.repeat(64)}`,
    txIndex: 0,
    logIndex: logIndex++,
    ...p,
  };
}

describe('blockEntries', () => {
  it('default: logs in order, then one seal per partition with its log count', () => {
    logIndex = 0;
    const logs = [log({}), log({})];
    const entries = blockEntries(ctx, logs, null);
    expect(entries.map((e) => e.kind)).toEqual(['log', 'log', 'seal', 'seal', 'seal', 'seal', 'seal']);
    const p = partitionOfAddress(poolA, 4);
    const seals = entries.filter((e) => e.kind === 'seal');
    expect(seals.map((s) => s.partition)).toEqual([0, 1, 2, 3, 'tokens']);
    for (const s of seals) expect(s.logCount).toBe(s.partition === p ? 2 : 0);
    expect(seals[0]).toMatchObject({ blockNumber: 10, blockHash, parentHash: null, timestamp: 1000 });
  });

  it("behavior: PoolCreated goes to the created pool's partition", () => {
    const pool = addr('c');
    const l = log({
      address: ctx.factory,
      topics: [TOPIC.PoolCreated, topic('1'), topic('2'), topic('bb8')],
      data: `0x${word('3c')}${word(pool)}`,
    });
    expect(createdPool(l)).toBe(pool);
    expect(blockEntries(ctx, [l], null)[0]).toMatchObject({ partition: partitionOfAddress(pool, 4) });
  });

  it('behavior: position-manager events go to tokens, with the pool context of the same tx', () => {
    const mint = log({ topics: [TOPIC.PoolMint, topic(ctx.positionManager), int24(-600), int24(1200)] });
    const transfer = log({
      address: ctx.positionManager,
      topics: [TOPIC.NpmTransfer, topic('0'), topic('5'), topic('1')],
    });
    const inc = log({ address: ctx.positionManager, topics: [TOPIC.NpmIncreaseLiquidity, topic('1')] });
    const otherTx = log({
      address: ctx.positionManager,
      topics: [TOPIC.NpmCollect, topic('1')],
      txHash: `0x${'3'.repeat(64)}`,
    });
    const entries = blockEntries(ctx, [mint, transfer, inc, otherTx], null);
    expect(entries[1]).toMatchObject({ partition: 'tokens' });
    expect(entries[1]).not.toHaveProperty('context');
    expect(entries[2]).toMatchObject({
      partition: 'tokens',
      context: { pool: poolA, tickLower: -600, tickUpper: 1200 },
    });
    expect(entries[3]).not.toHaveProperty('context');
  });

  it('behavior: a block without logs gets seals only when its header is known', () => {
    expect(blockEntries(ctx, [], null)).toEqual([]);
    const header = { number: 11, hash: blockHash, parentHash: `0x${'4'.repeat(64)}` as Hex, timestamp: 5 };
    const seals = blockEntries(ctx, [], header);
    expect(seals).toHaveLength(5);
    expect(seals[0]).toMatchObject({
      kind: 'seal',
      blockNumber: 11,
      parentHash: header.parentHash,
      logCount: 0,
    });
  });
});

describe('groupByBlock', () => {
  it('default: splits runs by block number', () => {
    const g = groupByBlock([log({ blockNumber: 1 }), log({ blockNumber: 1 }), log({ blockNumber: 3 })]);
    expect(g.map((b) => b.length)).toEqual([2, 1]);
  });
});
