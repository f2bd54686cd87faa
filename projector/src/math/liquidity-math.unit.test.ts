import { describe, expect, it } from 'vitest';
import { MAX_UINT128 } from './constants';
import { addDelta } from './liquidity-math';

describe('addDelta', () => {
  it('adds and subtracts', () => {
    expect(addDelta(1n, 0n)).toBe(1n);
    expect(addDelta(1n, -1n)).toBe(0n);
    expect(addDelta(1n, 1n)).toBe(2n);
    expect(addDelta(MAX_UINT128 - 15n, 15n)).toBe(MAX_UINT128);
  });

  it('error: LA above uint128', () => {
    expect(() => addDelta(MAX_UINT128 - 14n, 15n)).toThrow(/LA/);
  });

  it('error: LS below zero', () => {
    expect(() => addDelta(0n, -1n)).toThrow(/LS/);
    expect(() => addDelta(3n, -4n)).toThrow(/LS/);
  });
});
