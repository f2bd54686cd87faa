import { describe, expect, it } from 'vitest';
import { leftoverTestStreams } from './streams';

describe('leftoverTestStreams', () => {
  it('default: the streams tests named and created during the run', () => {
    const now = [
      'TPOOL415FC3_31337',
      'TPREWINDA1B2C3_31337',
      'FEEDTEST_MWRQ1NUTLU55',
      'LINKTEST_K2J4',
      'E2E1795345224671_31337',
    ];
    expect(leftoverTestStreams(new Set(), now)).toEqual(now);
  });

  it('behavior: streams there before the run, the product stream, kept bench ledgers and chaos clusters stay', () => {
    const before = new Set(['TPOOL415FC3_31337']);
    const now = [
      'TPOOL415FC3_31337',
      'TICKSTREAM_31337',
      'PBENCH_S7_T72000_B100_P4_31337',
      'SYNC_31337',
      'CHAOSBENCH0F1E2D_31337',
    ];
    expect(leftoverTestStreams(before, now)).toEqual([]);
  });
});
