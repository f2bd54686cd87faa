import { describe, expect, it } from 'vitest';
import { MAX_UINT128, MAX_UINT256 } from './constants';
import { divRoundingUp, wrapUint128, wrapUint256 } from './unsafe-math';

describe('divRoundingUp', () => {
  it('rounds up only when there is a remainder', () => {
    expect(divRoundingUp(6n, 3n)).toBe(2n);
    expect(divRoundingUp(7n, 3n)).toBe(3n);
    expect(divRoundingUp(0n, 3n)).toBe(0n);
  });

  it('behavior: division by zero is 0, as in the EVM', () => {
    expect(divRoundingUp(7n, 0n)).toBe(0n);
  });
});

describe('wrapUint256 / wrapUint128', () => {
  it('reduces mod 2^256 in both directions', () => {
    expect(wrapUint256(MAX_UINT256 + 1n)).toBe(0n);
    expect(wrapUint256(-1n)).toBe(MAX_UINT256);
    expect(wrapUint256(15n - (MAX_UINT256 - 3n) - 3n)).toBe(16n);
  });

  it('reduces mod 2^128', () => {
    expect(wrapUint128(MAX_UINT128 + 2n)).toBe(1n);
    expect(wrapUint128(MAX_UINT128)).toBe(MAX_UINT128);
  });
});
