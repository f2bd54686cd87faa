/**
 * Test-only reference arithmetic, written from the formulas of the whitepaper rather than from the
 * contract's code paths, to derive expected numbers independently of the port under test.
 */

export const Q96 = 2n ** 96n;
export const Q128 = 2n ** 128n;
export const E18 = 10n ** 18n;

/** floor(sqrt(n)) by Newton's method. */
export function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt((n.toString(2).length >> 1) + 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** floor(sqrt(reserve1 / reserve0) × 2^96), like v3-core's test helper encodePriceSqrt. */
export function encodePriceSqrt(reserve1: bigint, reserve0: bigint): bigint {
  return isqrt((reserve1 << 192n) / reserve0);
}

export function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

/** token0 between √A < √B: L × 2^96 × (√B − √A) / √B / √A, two divisions rounded the same way. */
export function amount0Between(sqrtA: bigint, sqrtB: bigint, liquidity: bigint, roundUp: boolean): bigint {
  const numerator = liquidity * Q96 * (sqrtB - sqrtA);
  return roundUp ? ceilDiv(ceilDiv(numerator, sqrtB), sqrtA) : numerator / sqrtB / sqrtA;
}

/** token1 between √A < √B: L × (√B − √A) / 2^96. */
export function amount1Between(sqrtA: bigint, sqrtB: bigint, liquidity: bigint, roundUp: boolean): bigint {
  const numerator = liquidity * (sqrtB - sqrtA);
  return roundUp ? ceilDiv(numerator, Q96) : numerator / Q96;
}

/** A swap step that reaches its target: input rounded up, output down, fee = ceil(in × f / (1e6 − f)). */
export function fullStep(from: bigint, to: bigint, liquidity: bigint, feePips: bigint) {
  const [lo, hi] = from < to ? [from, to] : [to, from];
  const zeroForOne = to < from;
  const amountIn = zeroForOne
    ? amount0Between(lo, hi, liquidity, true)
    : amount1Between(lo, hi, liquidity, true);
  const amountOut = zeroForOne
    ? amount1Between(lo, hi, liquidity, false)
    : amount0Between(lo, hi, liquidity, false);
  return { amountIn, amountOut, fee: ceilDiv(amountIn * feePips, 1_000_000n - feePips) };
}

/** A deterministic PRNG (mulberry32) for seeded sweeps; print the seed on failure. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
