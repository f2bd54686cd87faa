import { describe, expect, it } from 'vitest';
import { MAX_UINT256, Q128 } from './constants';
import { mulDiv, mulDivRoundingUp } from './full-math';

describe('mulDiv', () => {
  it('error: denominator is zero', () => {
    expect(() => mulDiv(Q128, 5n, 0n)).toThrow(/denominator is zero/);
    expect(() => mulDiv(Q128, Q128, 0n)).toThrow(/denominator is zero/);
  });

  it('error: result overflows uint256', () => {
    expect(() => mulDiv(Q128, Q128, 1n)).toThrow(/overflows uint256/);
    expect(() => mulDiv(MAX_UINT256, MAX_UINT256, MAX_UINT256 - 1n)).toThrow(/overflows uint256/);
  });

  it('all max inputs', () => {
    expect(mulDiv(MAX_UINT256, MAX_UINT256, MAX_UINT256)).toBe(MAX_UINT256);
  });

  it('accurate without phantom overflow', () => {
    expect(mulDiv(Q128, (50n * Q128) / 100n, (150n * Q128) / 100n)).toBe(Q128 / 3n);
  });

  it('accurate with phantom overflow', () => {
    // Q128 × 35·Q128 needs 263 bits, the result (4.375·Q128) fits.
    expect(mulDiv(Q128, 35n * Q128, 8n * Q128)).toBe((4375n * Q128) / 1000n);
  });

  it('accurate with phantom overflow and repeating decimal', () => {
    expect(mulDiv(Q128, 1000n * Q128, 3000n * Q128)).toBe(Q128 / 3n);
  });
});

describe('mulDivRoundingUp', () => {
  it('error: denominator is zero', () => {
    expect(() => mulDivRoundingUp(Q128, 5n, 0n)).toThrow(/denominator is zero/);
  });

  it('error: result overflows uint256', () => {
    expect(() => mulDivRoundingUp(Q128, Q128, 1n)).toThrow(/overflows/);
    expect(() => mulDivRoundingUp(MAX_UINT256, MAX_UINT256, MAX_UINT256 - 1n)).toThrow(/overflows/);
  });

  it('error: overflows only after rounding up', () => {
    expect(() =>
      mulDivRoundingUp(
        535006138814359n,
        432862656469423142931042426214547535783388063929571229938474969n,
        2n,
      ),
    ).toThrow(/rounded result overflows/);
    expect(() =>
      mulDivRoundingUp(
        115792089237316195423570985008687907853269984659341747863450311749907997002549n,
        115792089237316195423570985008687907853269984659341747863450311749907997002550n,
        115792089237316195423570985008687907853269984653042931687443039491902864365164n,
      ),
    ).toThrow(/rounded result overflows/);
  });

  it('all max inputs', () => {
    expect(mulDivRoundingUp(MAX_UINT256, MAX_UINT256, MAX_UINT256)).toBe(MAX_UINT256);
  });

  it('rounds up by exactly one when there is a remainder', () => {
    expect(mulDivRoundingUp(Q128, (50n * Q128) / 100n, (150n * Q128) / 100n)).toBe(Q128 / 3n + 1n);
    expect(mulDivRoundingUp(Q128, 1000n * Q128, 3000n * Q128)).toBe(Q128 / 3n + 1n);
  });

  it('equals mulDiv when the division is exact, even with phantom overflow', () => {
    expect(mulDivRoundingUp(Q128, 35n * Q128, 8n * Q128)).toBe((4375n * Q128) / 1000n);
    expect(mulDivRoundingUp(6n, 7n, 3n)).toBe(mulDiv(6n, 7n, 3n));
  });
});
