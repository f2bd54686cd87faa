import { describe, expect, it } from 'vitest';
import type { Checkpoint } from '../read/checkpoints';
import { assessReadiness, expectedPartitions } from './readiness';

const cp = (partition: string, n: number): Checkpoint => ({
  partition,
  block: { number: n, hash: `0x${n}` },
});

describe('assessReadiness', () => {
  it('default: head is the highest checkpoint; lags within the limit are ready', () => {
    const r = assessReadiness([cp('0', 100), cp('1', 97), cp('tokens', 99)], undefined, 5, []);
    expect(r).toEqual({
      ready: true,
      head: { number: 100, hash: '0x100' },
      partitions: [
        { partition: '0', blockNumber: 100, lag: 0 },
        { partition: '1', blockNumber: 97, lag: 3 },
        { partition: 'tokens', blockNumber: 99, lag: 1 },
      ],
      missing: [],
      reason: '',
    });
  });

  it('behavior: a published head above the checkpoints counts', () => {
    const r = assessReadiness([cp('0', 100), cp('1', 97)], { number: 103, hash: '0xh' }, 5, []);
    expect(r.ready).toBe(false);
    expect(r.head).toEqual({ number: 103, hash: '0xh' });
    expect(r.reason).toBe('partition 1 at block 97 is 6 blocks behind head 103 (max 5)');
  });

  it('behavior: a published head below the checkpoints is ignored', () => {
    const r = assessReadiness([cp('0', 100)], { number: 50, hash: '0xold' }, 0, []);
    expect(r.ready).toBe(true);
    expect(r.head).toEqual({ number: 100, hash: '0x100' });
  });

  it('error: no checkpoints at all', () => {
    const r = assessReadiness([], { number: 3, hash: '0x3' }, 5, []);
    expect(r.ready).toBe(false);
    expect(r.reason).toBe('no partition has a checkpoint yet');
  });

  it('error: an expected partition without a checkpoint', () => {
    const r = assessReadiness([cp('0', 10), cp('tokens', 10)], undefined, 5, expectedPartitions(2));
    expect(r.ready).toBe(false);
    expect(r.missing).toEqual(['1']);
    expect(r.reason).toBe('no checkpoint yet for partition 1');
  });
});

describe('expectedPartitions', () => {
  it('default: 0..P-1 and tokens; nothing when unknown', () => {
    expect(expectedPartitions(3)).toEqual(['0', '1', '2', 'tokens']);
    expect(expectedPartitions(undefined)).toEqual([]);
  });
});
