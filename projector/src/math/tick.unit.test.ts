import { describe, expect, it } from 'vitest';
import { MAX_UINT128, MAX_UINT256 } from './constants';
import {
  clearTick,
  crossTick,
  getFeeGrowthInside,
  type TickInfo,
  type Ticks,
  tickSpacingToMaxLiquidityPerTick,
  updateTick,
} from './tick';

function tick(outside0: bigint, outside1: bigint): TickInfo {
  return {
    liquidityGross: 1n,
    liquidityNet: 0n,
    feeGrowthOutside0X128: outside0,
    feeGrowthOutside1X128: outside1,
    initialized: true,
  };
}

describe('tickSpacingToMaxLiquidityPerTick', () => {
  it('the fee tiers and the extremes', () => {
    expect(tickSpacingToMaxLiquidityPerTick(10)).toBe(1917569901783203986719870431555990n);
    expect(tickSpacingToMaxLiquidityPerTick(60)).toBe(11505743598341114571880798222544994n);
    expect(tickSpacingToMaxLiquidityPerTick(200)).toBe(38350317471085141830651933667504588n);
    expect(tickSpacingToMaxLiquidityPerTick(887272)).toBe(MAX_UINT128 / 3n);
    expect(tickSpacingToMaxLiquidityPerTick(2302)).toBe(441351967472034323558203122479595605n);
    // 60: ±14787 spaced ticks → 29575 ticks
    expect(tickSpacingToMaxLiquidityPerTick(60)).toBe(MAX_UINT128 / 29575n);
  });
});

describe('getFeeGrowthInside', () => {
  it('uninitialized ticks, current inside: all of the global growth', () => {
    expect(getFeeGrowthInside(new Map(), -2, 2, 0, 15n, 15n)).toEqual({
      feeGrowthInside0X128: 15n,
      feeGrowthInside1X128: 15n,
    });
  });

  it('uninitialized ticks, current above or below: none', () => {
    expect(getFeeGrowthInside(new Map(), -2, 2, 4, 15n, 15n).feeGrowthInside0X128).toBe(0n);
    expect(getFeeGrowthInside(new Map(), -2, 2, -4, 15n, 15n).feeGrowthInside1X128).toBe(0n);
  });

  it('subtracts growth below and above', () => {
    const ticks: Ticks = new Map([
      [-2, tick(2n, 3n)],
      [2, tick(4n, 1n)],
    ]);
    expect(getFeeGrowthInside(ticks, -2, 2, 0, 15n, 15n)).toEqual({
      feeGrowthInside0X128: 9n,
      feeGrowthInside1X128: 11n,
    });
  });

  it('behavior: wraps mod 2^256 like the contract', () => {
    const ticks: Ticks = new Map([
      [-2, tick(MAX_UINT256 - 3n, MAX_UINT256 - 2n)],
      [2, tick(3n, 5n)],
    ]);
    // 15 − (2^256 − 4) − 3 ≡ 16 and 15 − (2^256 − 3) − 5 ≡ 13 (mod 2^256)
    expect(getFeeGrowthInside(ticks, -2, 2, 0, 15n, 15n)).toEqual({
      feeGrowthInside0X128: 16n,
      feeGrowthInside1X128: 13n,
    });
  });
});

describe('updateTick', () => {
  const max = 3n;

  it('flips from zero to non-zero and back, not in between', () => {
    const ticks: Ticks = new Map();
    expect(updateTick(ticks, 0, 0, 1n, 0n, 0n, false, max)).toBe(true);
    expect(updateTick(ticks, 0, 0, 1n, 0n, 0n, false, max)).toBe(false);
    expect(updateTick(ticks, 0, 0, -1n, 0n, 0n, false, max)).toBe(false);
    expect(updateTick(ticks, 0, 0, -1n, 0n, 0n, false, max)).toBe(true);
    expect(ticks.get(0)?.liquidityGross).toBe(0n);
  });

  it('error: LO above the maximum liquidity per tick', () => {
    const ticks: Ticks = new Map();
    updateTick(ticks, 0, 0, 2n, 0n, 0n, false, max);
    expect(() => updateTick(ticks, 0, 0, 2n, 0n, 0n, true, max)).toThrow(/LO/);
  });

  it('liquidityNet: added for a lower bound, subtracted for an upper bound', () => {
    const ticks: Ticks = new Map();
    updateTick(ticks, 0, 0, 2n, 0n, 0n, false, 10n);
    updateTick(ticks, 0, 0, 1n, 0n, 0n, true, 10n);
    updateTick(ticks, 0, 0, 3n, 0n, 0n, true, 10n);
    expect(ticks.get(0)).toMatchObject({ liquidityGross: 6n, liquidityNet: -2n });
  });

  it('behavior: a tick at or below the current tick takes the global growth as outside, above it zero', () => {
    const ticks: Ticks = new Map();
    updateTick(ticks, 1, 1, 1n, 7n, 9n, false, max);
    updateTick(ticks, 2, 1, 1n, 7n, 9n, true, max);
    expect(ticks.get(1)).toMatchObject({
      feeGrowthOutside0X128: 7n,
      feeGrowthOutside1X128: 9n,
      initialized: true,
    });
    expect(ticks.get(2)).toMatchObject({
      feeGrowthOutside0X128: 0n,
      feeGrowthOutside1X128: 0n,
      initialized: true,
    });
  });

  it('behavior: does not touch fee growth outside of an initialized tick', () => {
    const ticks: Ticks = new Map();
    updateTick(ticks, 1, 1, 1n, 7n, 9n, false, max);
    updateTick(ticks, 1, 1, 1n, 70n, 90n, false, max);
    expect(ticks.get(1)).toMatchObject({ feeGrowthOutside0X128: 7n, feeGrowthOutside1X128: 9n });
  });
});

describe('clearTick / crossTick', () => {
  it('clear deletes the tick', () => {
    const ticks: Ticks = new Map([[2, tick(1n, 1n)]]);
    clearTick(ticks, 2);
    expect(ticks.has(2)).toBe(false);
  });

  it('cross flips fee growth outside (mod 2^256) and returns liquidityNet', () => {
    const ticks: Ticks = new Map([[2, { ...tick(5n, 100n), liquidityNet: -7n }]]);
    expect(crossTick(ticks, 2, 3n, 300n)).toBe(-7n);
    expect(ticks.get(2)).toMatchObject({
      feeGrowthOutside0X128: MAX_UINT256 - 1n,
      feeGrowthOutside1X128: 200n,
    });
  });

  it('error: crossing a tick that is not initialized', () => {
    expect(() => crossTick(new Map(), 2, 0n, 0n)).toThrow(/not initialized/);
  });
});
