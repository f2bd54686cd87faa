import { describe, expect, it } from 'vitest';
import { isqrt, prng, Q96 } from './test-reference';
import {
  getSqrtRatioAtTick,
  getTickAtSqrtRatio,
  MAX_SQRT_RATIO,
  MAX_TICK,
  MIN_SQRT_RATIO,
  MIN_TICK,
} from './tick-math';

/** floor(sqrt(1.0001^tick) × 2^96), exactly, from 10001^|tick| / 10000^|tick|. */
function exactFloorSqrtRatio(tick: number): bigint {
  const n = BigInt(Math.abs(tick));
  const [num, den] = tick >= 0 ? [10001n ** n, 10000n ** n] : [10000n ** n, 10001n ** n];
  return isqrt((num << 192n) / den);
}

const SEED = Number(process.env.TEST_SEED ?? 20240607);

describe('getSqrtRatioAtTick', () => {
  it('error: T outside [MIN_TICK, MAX_TICK]', () => {
    expect(() => getSqrtRatioAtTick(MIN_TICK - 1)).toThrow(/TickMath: T/);
    expect(() => getSqrtRatioAtTick(MAX_TICK + 1)).toThrow(/TickMath: T/);
  });

  it('bounds', () => {
    expect(getSqrtRatioAtTick(MIN_TICK)).toBe(MIN_SQRT_RATIO);
    expect(getSqrtRatioAtTick(MIN_TICK)).toBe(4295128739n);
    expect(getSqrtRatioAtTick(MIN_TICK + 1)).toBe(4295343490n);
    expect(getSqrtRatioAtTick(MAX_TICK - 1)).toBe(1461373636630004318706518188784493106690254656249n);
    expect(getSqrtRatioAtTick(MAX_TICK)).toBe(MAX_SQRT_RATIO);
    expect(getSqrtRatioAtTick(MAX_TICK)).toBe(1461446703485210103287273052203988822378723970342n);
  });

  it('tick 0 is exactly 2^96', () => {
    expect(getSqrtRatioAtTick(0)).toBe(Q96);
  });

  it('behavior: rounds up: the exact floor plus 0 or 1', () => {
    const ticks = [1, 2, 3, 10, 19, 50, 100, 250, 500, 1000, 2500, 5000, 7000, 13863, 27726];
    for (const tick of ticks.flatMap((t) => [t, -t])) {
      const diff = getSqrtRatioAtTick(tick) - exactFloorSqrtRatio(tick);
      expect(diff >= 0n && diff <= 1n, `tick ${tick}: off by ${diff}`).toBe(true);
    }
  });
});

describe('getTickAtSqrtRatio', () => {
  it('error: R outside [MIN_SQRT_RATIO, MAX_SQRT_RATIO)', () => {
    expect(() => getTickAtSqrtRatio(MIN_SQRT_RATIO - 1n)).toThrow(/TickMath: R/);
    expect(() => getTickAtSqrtRatio(MAX_SQRT_RATIO)).toThrow(/TickMath: R/);
  });

  it('bounds', () => {
    expect(getTickAtSqrtRatio(MIN_SQRT_RATIO)).toBe(MIN_TICK);
    expect(getTickAtSqrtRatio(4295343490n)).toBe(MIN_TICK + 1);
    expect(getTickAtSqrtRatio(1461373636630004318706518188784493106690254656248n)).toBe(MAX_TICK - 2);
    expect(getTickAtSqrtRatio(1461373636630004318706518188784493106690254656249n)).toBe(MAX_TICK - 1);
    expect(getTickAtSqrtRatio(MAX_SQRT_RATIO - 1n)).toBe(MAX_TICK - 1);
  });

  it('around tick 0', () => {
    expect(getTickAtSqrtRatio(Q96)).toBe(0);
    expect(getTickAtSqrtRatio(Q96 + 1n)).toBe(0);
    expect(getTickAtSqrtRatio(Q96 - 1n)).toBe(-1);
  });

  it(`behavior: inverse of getSqrtRatioAtTick over a seeded sweep (seed ${SEED})`, () => {
    const random = prng(SEED);
    for (let i = 0; i < 3000; i++) {
      const tick = MIN_TICK + Math.floor(random() * (MAX_TICK - MIN_TICK));
      const ratio = getSqrtRatioAtTick(tick);
      const next = getSqrtRatioAtTick(tick + 1);
      const inside = ratio + (BigInt(Math.floor(random() * 1e9)) % (next - ratio));
      const where = `seed ${SEED}, tick ${tick}`;
      expect(getTickAtSqrtRatio(ratio), where).toBe(tick);
      expect(getTickAtSqrtRatio(next - 1n), where).toBe(tick);
      expect(getTickAtSqrtRatio(inside), where).toBe(tick);
      if (tick > MIN_TICK) expect(getTickAtSqrtRatio(ratio - 1n), where).toBe(tick - 1);
    }
  });

  it(`behavior: with a hint, the same tick whether the hint is right, off by a few, or wild (seed ${SEED})`, () => {
    const random = prng(SEED + 1);
    for (let i = 0; i < 2000; i++) {
      const tick = MIN_TICK + 1 + Math.floor(random() * (MAX_TICK - MIN_TICK - 2));
      const ratio = getSqrtRatioAtTick(tick);
      const next = getSqrtRatioAtTick(tick + 1);
      const price = ratio + (BigInt(Math.floor(random() * 1e9)) % (next - ratio));
      const where = `seed ${SEED + 1}, tick ${tick}`;
      const off = Math.floor(random() * 5) - 2;
      expect(getTickAtSqrtRatio(price, tick), where).toBe(tick);
      expect(getTickAtSqrtRatio(price, tick + off), where).toBe(tick);
      expect(getTickAtSqrtRatio(ratio, tick - 1), where).toBe(tick);
      expect(getTickAtSqrtRatio(next - 1n, tick + 1), where).toBe(tick);
    }
    expect(getTickAtSqrtRatio(Q96, MAX_TICK)).toBe(0);
    expect(getTickAtSqrtRatio(Q96, MAX_TICK + 5)).toBe(0);
    expect(getTickAtSqrtRatio(Q96, 0.5)).toBe(0);
    expect(getTickAtSqrtRatio(MAX_SQRT_RATIO - 1n, MAX_TICK - 1)).toBe(MAX_TICK - 1);
  });

  it('getSqrtRatioAtTick: a kept ratio is the computed one, and bad ticks still throw', () => {
    for (const tick of [0, 1, -1, 887271, -887272, 60, -60]) {
      const first = getSqrtRatioAtTick(tick);
      expect(getSqrtRatioAtTick(tick)).toBe(first);
      expect(first).toBe(getSqrtRatioAtTick(tick));
    }
    expect(() => getSqrtRatioAtTick(0.5)).toThrow(/TickMath: T/);
    expect(() => getSqrtRatioAtTick(MAX_TICK + 1)).toThrow(/TickMath: T/);
  });
});
