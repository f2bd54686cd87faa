import { describe, expect, it } from 'vitest';
import { crossesSnapshot } from './snapshots';

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
