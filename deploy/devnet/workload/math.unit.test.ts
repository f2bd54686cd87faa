import { describe, expect, it } from 'vitest';
import {
  alignTick,
  amountInForTicks,
  amountOutForTicks,
  amountsForLiquidity,
  fullRange,
  getSqrtRatioAtTick,
  MAX_SQRT_RATIO,
  MAX_TICK,
  MIN_SQRT_RATIO,
  MIN_TICK,
  Q96,
} from './math';

describe('getSqrtRatioAtTick', () => {
  it('default: matches TickMath at the bounds and at 0', () => {
    expect(getSqrtRatioAtTick(0)).toBe(Q96);
    expect(getSqrtRatioAtTick(MIN_TICK)).toBe(MIN_SQRT_RATIO);
    expect(getSqrtRatioAtTick(MAX_TICK)).toBe(MAX_SQRT_RATIO);
  });

  it('behavior: known values from the v3-core tests', () => {
    // TickMath.spec.ts: getSqrtRatioAtTick(-50) and (50) snapshots, and the price of tick 1.
    expect(getSqrtRatioAtTick(1)).toBe(79232123823359799118286999568n);
    expect(getSqrtRatioAtTick(-1)).toBe(79224201403219477170569942574n);
    expect(getSqrtRatioAtTick(MIN_TICK + 1)).toBe(4295343490n);
    expect(getSqrtRatioAtTick(MAX_TICK - 1)).toBe(1461373636630004318706518188784493106690254656249n);
  });

  it('behavior: strictly increasing', () => {
    let prev = 0n;
    for (let t = -2000; t <= 2000; t += 7) {
      const s = getSqrtRatioAtTick(t);
      expect(s > prev).toBe(true);
      prev = s;
    }
  });

  it('error: out of range or not an integer', () => {
    expect(() => getSqrtRatioAtTick(MAX_TICK + 1)).toThrow(RangeError);
    expect(() => getSqrtRatioAtTick(1.5)).toThrow(RangeError);
  });
});

describe('ticks and amounts', () => {
  it('fullRange and alignTick respect the spacing', () => {
    expect(fullRange(60)).toEqual({ tickLower: -887220, tickUpper: 887220 });
    expect(alignTick(-15, 10)).toBe(-20);
    expect(alignTick(15, 10)).toBe(10);
    expect(alignTick(10_000_000, 200)).toBe(887200);
  });

  it('amountsForLiquidity: one token below or above the range, both inside', () => {
    const a = getSqrtRatioAtTick(-100);
    const b = getSqrtRatioAtTick(100);
    const L = 10n ** 18n;
    expect(amountsForLiquidity(getSqrtRatioAtTick(-200), a, b, L).amount1).toBe(0n);
    expect(amountsForLiquidity(getSqrtRatioAtTick(200), a, b, L).amount0).toBe(0n);
    const mid = amountsForLiquidity(Q96, a, b, L);
    expect(mid.amount0 > 0n && mid.amount1 > 0n).toBe(true);
    // Symmetric range around price 1: about the same of each (within rounding).
    expect(mid.amount0 - mid.amount1 < 10n ** 13n).toBe(true);
  });

  it('swap sizing: more ticks need more input and give more output', () => {
    const L = 10n ** 20n;
    expect(amountInForTicks(Q96, L, 200, true) > amountInForTicks(Q96, L, 100, true)).toBe(true);
    expect(amountOutForTicks(Q96, L, 200, false) > amountOutForTicks(Q96, L, 100, false)).toBe(true);
    // Moving 100 ticks at price 1 with L = 1e20 takes about L * (1.0001^50 - 1) ≈ 5.0e17.
    const x = amountInForTicks(Q96, L, 100, false);
    expect(x > 49n * 10n ** 16n && x < 51n * 10n ** 16n).toBe(true);
  });
});
