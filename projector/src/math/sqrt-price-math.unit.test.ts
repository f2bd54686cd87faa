import { describe, expect, it } from 'vitest';
import { MAX_UINT256 } from './constants';
import {
  getAmount0Delta,
  getAmount0DeltaSigned,
  getAmount1Delta,
  getAmount1DeltaSigned,
  getNextSqrtPriceFromInput,
  getNextSqrtPriceFromOutput,
} from './sqrt-price-math';
import { amount1Between, ceilDiv, E18, encodePriceSqrt, prng, Q96 } from './test-reference';

const price1 = encodePriceSqrt(1n, 1n);

describe('getNextSqrtPriceFromInput', () => {
  it('error: price or liquidity is zero', () => {
    expect(() => getNextSqrtPriceFromInput(0n, 0n, E18 / 10n, false)).toThrow(/price is zero/);
    expect(() => getNextSqrtPriceFromInput(1n, 0n, E18 / 10n, true)).toThrow(/liquidity is zero/);
  });

  it('error: input overflows the price', () => {
    expect(() => getNextSqrtPriceFromInput(2n ** 160n - 1n, 1024n, 1024n, false)).toThrow(/uint160/);
  });

  it('any input amount cannot underflow the price', () => {
    expect(getNextSqrtPriceFromInput(1n, 1n, 2n ** 255n, true)).toBe(1n);
  });

  it('zero input returns the input price', () => {
    expect(getNextSqrtPriceFromInput(price1, E18 / 10n, 0n, true)).toBe(price1);
    expect(getNextSqrtPriceFromInput(price1, E18 / 10n, 0n, false)).toBe(price1);
  });

  it('0.1 token1 in: price rounds down (2^96 + floor(2^96 / 10))', () => {
    expect(getNextSqrtPriceFromInput(Q96, E18, E18 / 10n, false)).toBe(Q96 + Q96 / 10n);
    expect(getNextSqrtPriceFromInput(price1, E18, E18 / 10n, false)).toBe(87150978765690771352898345369n);
  });

  it('0.1 token0 in: price rounds up (ceil(2^96 / 1.1))', () => {
    expect(getNextSqrtPriceFromInput(Q96, E18, E18 / 10n, true)).toBe(ceilDiv(Q96 * 10n, 11n));
    expect(getNextSqrtPriceFromInput(price1, E18, E18 / 10n, true)).toBe(72025602285694852357767227579n);
  });

  it('amountIn > type(uint96).max, zeroForOne', () => {
    expect(getNextSqrtPriceFromInput(price1, 10n * E18, 2n ** 100n, true)).toBe(624999999995069620n);
  });

  it('can return 1 with enough input', () => {
    expect(getNextSqrtPriceFromInput(price1, 1n, MAX_UINT256 / 2n, true)).toBe(1n);
  });

  it('sqrtP × sqrtQ overflows: falls back to the division form', () => {
    const sqrtP = 1025574284609383690408304870162715216695788925244n;
    const liquidity = 50015962439936049619261659728067971248n;
    const sqrtQ = getNextSqrtPriceFromInput(sqrtP, liquidity, 406n, true);
    expect(sqrtQ).toBe(1025574284609383582644711336373707553698163132913n);
    expect(getAmount0Delta(sqrtP, sqrtQ, liquidity, true)).toBe(406n);
  });
});

describe('getNextSqrtPriceFromOutput', () => {
  // √P = 2^104 = 256 × 2^96: at L = 1024 the virtual reserves are 1024 / 256 = 4 token0, 1024 × 256 token1
  const price = 20282409603651670423947251286016n;

  it('error: output is at or above the virtual reserves of token0', () => {
    expect(() => getNextSqrtPriceFromOutput(price, 1024n, 4n, false)).toThrow(/exceeds reserves/);
    expect(() => getNextSqrtPriceFromOutput(price, 1024n, 5n, false)).toThrow(/exceeds reserves/);
  });

  it('error: output is at or above the virtual reserves of token1 (the price cannot reach 0)', () => {
    expect(() => getNextSqrtPriceFromOutput(price, 1024n, 262144n, true)).toThrow(/exceeds reserves/);
    expect(() => getNextSqrtPriceFromOutput(price, 1024n, 262145n, true)).toThrow(/exceeds reserves/);
  });

  it('zero output returns the input price', () => {
    expect(getNextSqrtPriceFromOutput(price1, E18 / 10n, 0n, true)).toBe(price1);
    expect(getNextSqrtPriceFromOutput(price1, E18 / 10n, 0n, false)).toBe(price1);
  });

  it('0.1 token0 out: price rounds up (ceil(2^96 / 0.9))', () => {
    expect(getNextSqrtPriceFromOutput(Q96, E18, E18 / 10n, false)).toBe(ceilDiv(Q96 * 10n, 9n));
    expect(getNextSqrtPriceFromOutput(price1, E18, E18 / 10n, false)).toBe(88031291682515930659493278152n);
  });

  it('0.1 token1 out: price rounds down (2^96 − ceil(2^96 / 10))', () => {
    expect(getNextSqrtPriceFromOutput(Q96, E18, E18 / 10n, true)).toBe(Q96 - ceilDiv(Q96, 10n));
    expect(getNextSqrtPriceFromOutput(price1, E18, E18 / 10n, true)).toBe(71305346262837903834189555302n);
  });

  it('error: impossible output in either direction', () => {
    expect(() => getNextSqrtPriceFromOutput(price1, 1n, MAX_UINT256, true)).toThrow();
    expect(() => getNextSqrtPriceFromOutput(price1, 1n, MAX_UINT256, false)).toThrow();
  });
});

describe('getAmount0Delta / getAmount1Delta', () => {
  it('zero when liquidity is zero or prices are equal', () => {
    expect(getAmount0Delta(encodePriceSqrt(2n, 1n), price1, 0n, true)).toBe(0n);
    expect(getAmount0Delta(price1, price1, E18, true)).toBe(0n);
    expect(getAmount1Delta(price1, encodePriceSqrt(2n, 1n), 0n, true)).toBe(0n);
    expect(getAmount1Delta(price1, price1, E18, true)).toBe(0n);
  });

  it('hand-computed: L = 3 between prices 1 and 4 (√ 2^96 → 2^97)', () => {
    // token0 = 3 × (1 − 1/2) = 1.5, token1 = 3 × (2 − 1) = 3
    expect(getAmount0Delta(Q96, 2n * Q96, 3n, true)).toBe(2n);
    expect(getAmount0Delta(Q96, 2n * Q96, 3n, false)).toBe(1n);
    expect(getAmount1Delta(Q96, 2n * Q96, 3n, true)).toBe(3n);
    expect(getAmount1Delta(Q96, 2n * Q96, 3n, false)).toBe(3n);
    expect(getAmount0Delta(2n * Q96, Q96, 3n, true)).toBe(2n); // order does not matter
  });

  it('hand-computed: one unit of √price moves 1/2^96 of token1', () => {
    expect(getAmount1Delta(Q96, Q96 + 1n, 1n, true)).toBe(1n);
    expect(getAmount1Delta(Q96, Q96 + 1n, 1n, false)).toBe(0n);
  });

  it('price 1 → 1.21: round up and round down differ by exactly 1', () => {
    const p121 = encodePriceSqrt(121n, 100n);
    expect(getAmount0Delta(p121, price1, E18, true)).toBe(90909090909090910n);
    expect(getAmount0Delta(p121, price1, E18, false)).toBe(90909090909090909n);
    expect(getAmount1Delta(price1, p121, E18, true)).toBe(100000000000000000n);
    expect(getAmount1Delta(price1, p121, E18, false)).toBe(99999999999999999n);
  });

  it('works for prices whose product overflows', () => {
    const a = encodePriceSqrt(2n ** 96n, 1n);
    const b = encodePriceSqrt(2n ** 90n, 1n);
    expect(getAmount0Delta(a, b, E18, true)).toBe(getAmount0Delta(a, b, E18, false) + 1n);
  });

  it('error: a zero price', () => {
    expect(() => getAmount0Delta(0n, Q96, E18, true)).toThrow(/price is zero/);
  });

  it('behavior: a seeded sweep of token1 amounts equals L × |ΔP| ÷ 2^96 floored and ceiled', () => {
    const seed = 20240611;
    const next = prng(seed);
    const bits = (n: number) => {
      let v = 0n;
      for (let i = 0; i < n; i += 16) v = (v << 16n) | BigInt(Math.floor(next() * 65536));
      return v >> BigInt(Math.floor(next() * n));
    };
    for (let i = 0; i < 500; i++) {
      const [a, b, liquidity] = [bits(160) + 1n, bits(160) + 1n, bits(128)];
      const [lo, hi] = a < b ? [a, b] : [b, a];
      const label = `seed ${seed}, case ${i}`;
      expect(getAmount1Delta(a, b, liquidity, false), label).toBe(amount1Between(lo, hi, liquidity, false));
      expect(getAmount1Delta(a, b, liquidity, true), label).toBe(amount1Between(lo, hi, liquidity, true));
    }
  });
});

describe('signed getAmount0Delta / getAmount1Delta (Pool._modifyPosition)', () => {
  it('adding liquidity rounds up (owed to the pool), removing rounds down and negates', () => {
    expect(getAmount0DeltaSigned(Q96, 2n * Q96, 3n)).toBe(2n);
    expect(getAmount0DeltaSigned(Q96, 2n * Q96, -3n)).toBe(-1n);
    expect(getAmount1DeltaSigned(Q96, Q96 + 1n, 1n)).toBe(1n);
    expect(getAmount1DeltaSigned(Q96, Q96 + 1n, -1n)).toBe(0n);
    expect(getAmount1DeltaSigned(Q96, 2n * Q96, -3n)).toBe(-3n);
  });
});
