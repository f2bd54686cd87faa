import { describe, expect, it } from 'vitest';
import { cutsBatch } from './feed';

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
