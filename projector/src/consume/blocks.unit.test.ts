import type { Hex, LogEntry, SealEntry } from '@tickstream/shared';
import { describe, expect, it } from 'vitest';
import { BlockAssembler } from './blocks';

const hash = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as Hex;
const log = (block: number, logIndex: number): LogEntry => ({
  kind: 'log',
  chainId: 1,
  partition: 0,
  blockNumber: block,
  blockHash: hash(block),
  blockTimestamp: null,
  txIndex: 0,
  txHash: hash(999),
  logIndex,
  address: `0x${'1'.repeat(40)}`,
  topics: [],
  data: '0x',
});
const seal = (block: number, logCount: number): SealEntry => ({
  kind: 'seal',
  chainId: 1,
  partition: 0,
  blockNumber: block,
  blockHash: hash(block),
  parentHash: null,
  timestamp: null,
  logCount,
});

describe('BlockAssembler', () => {
  it('behavior: catch-up logs (older blocks) are held and put before the next sealed block', () => {
    const a = new BlockAssembler(0);
    const old = (block: number, i: number): LogEntry => ({ ...log(block, i), catchUp: true });
    expect(a.push(1, old(2, 0))).toEqual([]);
    expect(a.push(2, old(3, 1))).toEqual([]);
    expect(a.push(3, log(9, 4))).toEqual([]);
    const [unit] = a.push(4, seal(9, 1));
    expect(unit).toMatchObject({
      kind: 'block',
      seq: 4,
      logs: [{ blockNumber: 2 }, { blockNumber: 3 }, { blockNumber: 9 }],
    });
    expect(a.midBlock).toBe(false);
  });
  it('behavior: a rollback drops held catch-up logs above its block', () => {
    const a = new BlockAssembler(0);
    a.push(1, { ...log(2, 0), catchUp: true });
    a.push(2, { ...log(8, 0), catchUp: true });
    a.push(3, { kind: 'rollback', chainId: 1, partition: 0, toBlock: 5, toBlockHash: hash(5), reorgId: 'r' });
    const [unit] = a.push(4, seal(6, 0));
    expect(unit).toMatchObject({ kind: 'block', logs: [{ blockNumber: 2 }] });
  });
  it('default: a block is complete at its seal', () => {
    const a = new BlockAssembler(0);
    expect(a.push(1, log(5, 0))).toEqual([]);
    expect(a.midBlock).toBe(true);
    const [unit] = a.push(2, seal(5, 1));
    expect(unit).toMatchObject({ kind: 'block', seq: 2, logs: [{ logIndex: 0 }] });
    expect(a.midBlock).toBe(false);
  });

  it('behavior: entries at or below the checkpoint are skipped (redelivery)', () => {
    const a = new BlockAssembler(2);
    expect(a.push(1, log(5, 0))).toEqual([]);
    expect(a.push(2, seal(5, 1))).toEqual([]);
    expect(a.push(3, seal(6, 0))).toHaveLength(1);
  });

  it('error: a seal whose count disagrees throws PROJECTION_INVARIANT naming the block', () => {
    const a = new BlockAssembler(0);
    a.push(1, log(5, 0));
    expect(() => a.push(2, seal(5, 2))).toThrow(/seal of block 5 counts 2 logs, 1 arrived/);
  });

  it('error: a log of the next block before the seal throws', () => {
    const a = new BlockAssembler(0);
    a.push(1, log(5, 0));
    expect(() => a.push(2, log(6, 0))).toThrow(/before the seal of block 5/);
  });
});
