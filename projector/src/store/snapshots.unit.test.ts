import { describe, expect, it } from 'vitest';
import { crossesSnapshot, snapshotDue } from './snapshots';

describe('crossesSnapshot', () => {
  it('default: a batch whose last block reaches a new multiple of the interval takes a snapshot', () => {
    expect(crossesSnapshot(31, 32, 32)).toBe(true);
    expect(crossesSnapshot(20, 100, 32)).toBe(true);
    expect(crossesSnapshot(32, 63, 32)).toBe(false);
  });

  it('behavior: the first batch of a partition takes one', () => {
    expect(crossesSnapshot(null, 5, 32)).toBe(true);
  });
});

describe('snapshotDue', () => {
  const live = { before: 7, after: 9, deep: false, near: true, handover: false, pending: 40 };
  const deep = { ...live, before: 60, after: 70, deep: true };

  it('default: followed blocks near the head snapshot at every multiple of SNAPSHOT_EVERY_BLOCKS', () => {
    expect(snapshotDue(live, 8, 64)).toBe(true);
    expect(snapshotDue({ ...live, before: 9, after: 15 }, 8, 64)).toBe(false);
    expect(snapshotDue({ ...live, near: false }, 8, 64)).toBe(false);
  });

  it('behavior: backfilled blocks snapshot at the handover to following, not at their windows', () => {
    expect(snapshotDue(deep, 8, 64)).toBe(false); // crosses 64, but more is in the stream
    expect(snapshotDue({ ...deep, before: 65, handover: true }, 8, 64)).toBe(true);
    expect(snapshotDue({ ...deep, handover: true, near: false }, 8, 64)).toBe(false);
  });

  it('behavior: a backfilled block at the end of the ledger snapshots once per FINALITY_DEPTH window', () => {
    expect(snapshotDue({ ...deep, pending: 0 }, 8, 64)).toBe(true);
    expect(snapshotDue({ ...deep, before: 65, after: 100, pending: 0 }, 8, 64)).toBe(false);
  });
});
