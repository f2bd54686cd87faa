import { describe, expect, it } from 'vitest';
import { MAX_UINT128, MAX_UINT256, Q128 } from './constants';
import { type PositionInfo, updatePosition } from './position';

function position(liquidity: bigint, last0 = 0n, last1 = 0n, owed0 = 0n, owed1 = 0n): PositionInfo {
  return {
    liquidity,
    feeGrowthInside0LastX128: last0,
    feeGrowthInside1LastX128: last1,
    tokensOwed0: owed0,
    tokensOwed1: owed1,
  };
}

describe('updatePosition', () => {
  it('error: NP, a poke of a position without liquidity', () => {
    expect(() => updatePosition(position(0n), 0n, 0n, 0n)).toThrow(/NP/);
  });

  it('credits fees on the liquidity held before the change, then changes it', () => {
    const p = position(10n);
    // growth of 2.5 per unit in token0, 1/3 in token1
    updatePosition(p, 5n, (5n * Q128) / 2n, Q128 / 3n);
    expect(p).toEqual(position(15n, (5n * Q128) / 2n, Q128 / 3n, 25n, 3n));
  });

  it('poke: records the growth and keeps the liquidity', () => {
    const p = position(4n, Q128, 0n, 1n, 0n);
    updatePosition(p, 0n, 3n * Q128, Q128);
    expect(p).toEqual(position(4n, 3n * Q128, Q128, 9n, 4n));
  });

  it('behavior: the growth difference wraps mod 2^256', () => {
    const p = position(Q128 / 2n, MAX_UINT256, MAX_UINT256 - 1n);
    updatePosition(p, 0n, 1n, 1n); // inside − last ≡ 2 and 3
    expect(p.tokensOwed0).toBe(1n);
    expect(p.tokensOwed1).toBe(1n); // floor(3 / 2)
  });

  it('behavior: tokensOwed wraps mod 2^128', () => {
    const p = position(1n, 0n, 0n, MAX_UINT128, 0n);
    updatePosition(p, 0n, 2n * Q128, 0n);
    expect(p.tokensOwed0).toBe(1n);
  });

  it('behavior: no fees, tokensOwed untouched', () => {
    const p = position(1n, 5n, 5n, 7n, 8n);
    updatePosition(p, 1n, 5n, 5n);
    expect(p).toEqual(position(2n, 5n, 5n, 7n, 8n));
  });
});
