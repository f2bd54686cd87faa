import { describe, expect, it } from 'vitest';
import { batchState, cutsBatch } from './feed';

describe('cutsBatch', () => {
  it('default: near the head, the first block of a new window ends the batch', () => {
    expect(cutsBatch(63, 64, 32, 0, 100)).toBe(true);
    expect(cutsBatch(60, 70, 32, 0, 100)).toBe(true);
    expect(cutsBatch(64, 65, 32, 0, 100)).toBe(false);
  });

  it('behavior: far behind (more pending than the limit) or without a previous block, it does not', () => {
    expect(cutsBatch(63, 64, 32, 101, 100)).toBe(false);
    expect(cutsBatch(null, 64, 32, 0, 100)).toBe(false);
  });
});

describe('batchState', () => {
  const b = { units: 2, entries: 30, pending: 5, max: 100, cut: false, lastDeep: false };

  it('default: more on its way waits; nothing more after a block at the head hands over now', () => {
    expect(batchState(b)).toBe('wait');
    expect(batchState({ ...b, pending: 0 })).toBe('now');
  });

  it('behavior: nothing more after a backfilled block holds; full or cut hands over now, even when deep', () => {
    expect(batchState({ ...b, pending: 0, lastDeep: true })).toBe('hold');
    expect(batchState({ ...b, pending: 0, lastDeep: true, entries: 100 })).toBe('now');
    expect(batchState({ ...b, pending: 3, lastDeep: true, cut: true })).toBe('now');
    expect(batchState({ ...b, pending: 3, entries: 100 })).toBe('now');
  });

  it('edge: no whole unit yet waits, whatever else holds', () => {
    expect(batchState({ ...b, units: 0, pending: 0, entries: 100, cut: true })).toBe('wait');
  });
});
