import { entryBlock } from '@tickstream/shared';
import { describe, expect, it } from 'vitest';
import { confirmedThrough } from './head';

describe('ledger head', () => {
  it('entryBlock: a rollback stands at the block it rolls back to', () => {
    expect(
      entryBlock({
        kind: 'rollback',
        chainId: 1,
        partition: 0,
        toBlock: 812,
        toBlockHash: '0x00',
        reorgId: 'r',
      }),
    ).toBe(812);
    expect(
      entryBlock({
        kind: 'seal',
        chainId: 1,
        partition: 0,
        blockNumber: 900,
        blockHash: '0x00',
        parentHash: null,
        timestamp: null,
        logCount: 0,
      }),
    ).toBe(900);
  });

  it('confirmedThrough: FINALITY_DEPTH below the head, none before the head is that deep', () => {
    expect(confirmedThrough(1504, 64)).toBe(1440);
    expect(confirmedThrough(64, 64)).toBe(0);
    expect(confirmedThrough(63, 64)).toBeNull();
    expect(confirmedThrough(null, 64)).toBeNull();
  });
});
