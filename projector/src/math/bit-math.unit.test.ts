import { describe, expect, it } from 'vitest';
import { leastSignificantBit, mostSignificantBit } from './bit-math';
import { MAX_UINT256 } from './constants';

describe('mostSignificantBit', () => {
  it('error: zero', () => {
    expect(() => mostSignificantBit(0n)).toThrow(/zero/);
  });

  it('known values', () => {
    expect(mostSignificantBit(1n)).toBe(0);
    expect(mostSignificantBit(2n)).toBe(1);
    expect(mostSignificantBit(3n)).toBe(1);
    expect(mostSignificantBit(MAX_UINT256)).toBe(255);
  });

  it('every power of two, and one less', () => {
    for (let i = 0; i < 256; i++) {
      expect(mostSignificantBit(1n << BigInt(i))).toBe(i);
      if (i > 0) expect(mostSignificantBit((1n << BigInt(i)) - 1n)).toBe(i - 1);
    }
  });
});

describe('leastSignificantBit', () => {
  it('error: zero', () => {
    expect(() => leastSignificantBit(0n)).toThrow(/zero/);
  });

  it('known values', () => {
    expect(leastSignificantBit(1n)).toBe(0);
    expect(leastSignificantBit(2n)).toBe(1);
    expect(leastSignificantBit(0b1100n)).toBe(2);
    expect(leastSignificantBit(MAX_UINT256)).toBe(0);
  });

  it('every power of two, alone and with the top bit set', () => {
    for (let i = 0; i < 256; i++) {
      expect(leastSignificantBit(1n << BigInt(i))).toBe(i);
      expect(leastSignificantBit((1n << BigInt(i)) | (1n << 255n))).toBe(i);
    }
  });
});
