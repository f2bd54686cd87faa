/**
 * The little Uniswap V3 math the workload needs to size its transactions. `getSqrtRatioAtTick` is the
 * exact port of TickMath; the amount helpers round up (they size deposits, they are not an oracle).
 */

export const MIN_TICK = -887272;
export const MAX_TICK = 887272;
export const MIN_SQRT_RATIO = 4295128739n;
export const MAX_SQRT_RATIO = 1461446703485210103287273052203988822378723970342n;
export const Q96 = 1n << 96n;
const MAX_UINT256 = (1n << 256n) - 1n;

const FACTORS: readonly (readonly [number, bigint])[] = [
  [0x2, 0xfff97272373d413259a46990580e213an],
  [0x4, 0xfff2e50f5f656932ef12357cf3c7fdccn],
  [0x8, 0xffe5caca7e10e4e61c3624eaa0941cd0n],
  [0x10, 0xffcb9843d60f6159c9db58835c926644n],
  [0x20, 0xff973b41fa98c081472e6896dfb254c0n],
  [0x40, 0xff2ea16466c96a3843ec78b326b52861n],
  [0x80, 0xfe5dee046a99a2a811c461f1969c3053n],
  [0x100, 0xfcbe86c7900a88aedcffc83b479aa3a4n],
  [0x200, 0xf987a7253ac413176f2b074cf7815e54n],
  [0x400, 0xf3392b0822b70005940c7a398e4b70f3n],
  [0x800, 0xe7159475a2c29b7443b29c7fa6e889d9n],
  [0x1000, 0xd097f3bdfd2022b8845ad8f792aa5825n],
  [0x2000, 0xa9f746462d870fdf8a65dc1f90e061e5n],
  [0x4000, 0x70d869a156d2a1b890bb3df62baf32f7n],
  [0x8000, 0x31be135f97d08fd981231505542fcfa6n],
  [0x10000, 0x9aa508b5b7a84e1c677de54f3e99bc9n],
  [0x20000, 0x5d6af8dedb81196699c329225ee604n],
  [0x40000, 0x2216e584f5fa1ea926041bedfe98n],
  [0x80000, 0x48a170391f7dc42444e8fa2n],
];

/** TickMath.getSqrtRatioAtTick: sqrt(1.0001^tick) as a Q64.96, exactly as the contract computes it. */
export function getSqrtRatioAtTick(tick: number): bigint {
  if (!Number.isInteger(tick) || tick < MIN_TICK || tick > MAX_TICK) {
    throw new RangeError(`tick out of range: ${tick}`);
  }
  const abs = Math.abs(tick);
  let ratio = (abs & 0x1) !== 0 ? 0xfffcb933bd6fad37aa2d162d1a594001n : 0x100000000000000000000000000000000n;
  for (const [mask, factor] of FACTORS) {
    if ((abs & mask) !== 0) ratio = (ratio * factor) >> 128n;
  }
  if (tick > 0) ratio = MAX_UINT256 / ratio;
  return (ratio >> 32n) + (ratio % (1n << 32n) === 0n ? 0n : 1n);
}

/** Lowest and highest usable ticks for a tick spacing (the full-range position). */
export function fullRange(tickSpacing: number): { tickLower: number; tickUpper: number } {
  const tickUpper = Math.floor(MAX_TICK / tickSpacing) * tickSpacing;
  return { tickLower: -tickUpper, tickUpper };
}

/** Rounds `tick` down to a multiple of `tickSpacing` and clamps it to the usable range. */
export function alignTick(tick: number, tickSpacing: number): number {
  const { tickLower, tickUpper } = fullRange(tickSpacing);
  const aligned = Math.floor(tick / tickSpacing) * tickSpacing;
  return Math.min(tickUpper, Math.max(tickLower, aligned));
}

/**
 * Token amounts (rounded up) that a position of `liquidity` over [sqrtA, sqrtB] holds at price
 * `sqrtPrice` (all Q64.96).
 */
export function amountsForLiquidity(
  sqrtPrice: bigint,
  sqrtA: bigint,
  sqrtB: bigint,
  liquidity: bigint,
): { amount0: bigint; amount1: bigint } {
  const p = sqrtPrice < sqrtA ? sqrtA : sqrtPrice > sqrtB ? sqrtB : sqrtPrice;
  const amount0 = p < sqrtB ? ceilDiv(ceilDiv(liquidity * Q96 * (sqrtB - p), sqrtB), p) : 0n;
  const amount1 = p > sqrtA ? ceilDiv(liquidity * (p - sqrtA), Q96) : 0n;
  return { amount0, amount1 };
}

/**
 * Input needed to move the price of a pool with (constant) `liquidity` by `ticks` ticks: token0 in when
 * the price goes down (`zeroForOne`), token1 in when it goes up. Fees and crossed ticks are ignored: the
 * workload only uses it to size swaps.
 */
export function amountInForTicks(
  sqrtPrice: bigint,
  liquidity: bigint,
  ticks: number,
  zeroForOne: boolean,
): bigint {
  const ratio = getSqrtRatioAtTick(ticks); // sqrt(1.0001^ticks) in Q96
  if (zeroForOne) {
    const target = (sqrtPrice * Q96) / ratio;
    return ceilDiv(ceilDiv(liquidity * Q96 * (sqrtPrice - target), sqrtPrice), target);
  }
  const target = (sqrtPrice * ratio) / Q96;
  return ceilDiv(liquidity * (target - sqrtPrice), Q96);
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

/** Output of a swap that moves the price of a pool with (constant) `liquidity` by `ticks` ticks. */
export function amountOutForTicks(
  sqrtPrice: bigint,
  liquidity: bigint,
  ticks: number,
  zeroForOne: boolean,
): bigint {
  const ratio = getSqrtRatioAtTick(ticks);
  if (zeroForOne) {
    const target = (sqrtPrice * Q96) / ratio;
    return (liquidity * (sqrtPrice - target)) / Q96; // token1 out
  }
  const target = (sqrtPrice * ratio) / Q96;
  return (liquidity * Q96 * (target - sqrtPrice)) / target / sqrtPrice; // token0 out
}
