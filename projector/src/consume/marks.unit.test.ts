import type { Hex, RollbackEntry } from '@tickstream/shared';
import { describe, expect, it } from 'vitest';
import { sealedBlock } from '../apply/test-ledger';
import type { Rollback } from './blocks';
import { actionFor, marksAfter, NO_MARKS, type ReorgMarks } from './marks';

const block = (n: number) => sealedBlock(0, n, n * 10, []);
const rollback = (reorgId: string, toBlock: number): Rollback => {
  const entry: RollbackEntry = {
    kind: 'rollback',
    chainId: 31337,
    partition: 0,
    toBlock,
    toBlockHash: `0x${'0'.repeat(64)}` as Hex,
    reorgId,
  };
  return { kind: 'rollback', entry, seq: 999 };
};

describe('actionFor / marksAfter (skip until the rollback entry)', () => {
  const skipping: ReorgMarks = { skip: { reorgId: 'r1', toBlock: 100 }, lastReorgId: 'r1' };

  it('default: without marks blocks are applied and a rollback entry rewinds', () => {
    expect(actionFor(NO_MARKS, block(101))).toBe('apply');
    expect(actionFor(NO_MARKS, rollback('r1', 100))).toBe('rewind');
  });

  it('behavior: after a rewind by command, blocks above its target are skipped, not those at or below', () => {
    expect(actionFor(skipping, block(101))).toBe('skip');
    expect(actionFor(skipping, block(140))).toBe('skip');
    expect(actionFor(skipping, block(100))).toBe('apply');
  });

  it("behavior: the reorg's own rollback entry is passed and ends the skipping", () => {
    const unit = rollback('r1', 100);
    expect(actionFor(skipping, unit)).toBe('pass');
    const after = marksAfter(skipping, unit);
    expect(after).toEqual({ skip: null, lastReorgId: 'r1' });
    expect(actionFor(after, block(101))).toBe('apply');
    // met again (a duplicate), it is still only passed
    expect(actionFor(after, unit)).toBe('pass');
  });

  it('behavior: a rollback entry of another reorg while skipping rewinds (the ledger decides) and ends the skipping', () => {
    const unit = rollback('r2', 90);
    expect(actionFor(skipping, unit)).toBe('rewind');
    expect(marksAfter(skipping, unit)).toEqual({ skip: null, lastReorgId: 'r2' });
  });

  it('behavior: blocks leave the marks as they are', () => {
    expect(marksAfter(skipping, block(101))).toBe(skipping);
  });
});
