import { describe, expect, test } from 'vitest';
import { type Pending, pickNext } from './intake';

const report = (reorgId: string, revision: number): Pending => ({
  type: 'report',
  key: `/reports/${reorgId}`,
  revision,
  report: { reorgId, targetBlock: 10, newHead: { number: 12, hash: '0x1' }, at: '2025-01-01T00:00:00Z' },
});

describe('pickNext', () => {
  test('default: nothing waiting, nothing to do', () => {
    expect(pickNext([])).toBeUndefined();
  });

  test('behavior: first come, first served across reports and operator requests', () => {
    const pending: Pending[] = [
      report('r2', 30),
      { type: 'rollback', key: '/requests/rollback', revision: 20, toBlock: 5 },
      { type: 'pause', key: '/requests/pause', revision: 40 },
      report('r1', 10),
    ];
    expect(pickNext(pending)).toMatchObject({
      type: 'reorg',
      start: { reorgId: 'r1', origin: 'report' },
      consume: '/reports/r1',
    });
    expect(pickNext(pending.slice(0, 3))).toEqual({
      type: 'reorg',
      start: { reorgId: 'op-rollback-20', origin: 'operator', targetBlock: 5, newHead: null },
      consume: '/requests/rollback',
    });
    expect(pickNext(pending.slice(2, 3))).toEqual({
      type: 'pause',
      opId: 'op-pause-40',
      consume: '/requests/pause',
    });
  });
});
