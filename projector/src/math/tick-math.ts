import { mostSignificantBit } from './bit-math';
import { MAX_UINT256 } from './constants';
import { ensure } from './ensure';

/** The lowest tick whose price fits the Q64.96 range: log base sqrt(1.0001) of 2^-128. */
export const MIN_TICK = -887272;
/** The highest tick: log base sqrt(1.0001) of 2^128. */
export const MAX_TICK = 887272;
/** getSqrtRatioAtTick(MIN_TICK). */
export const MIN_SQRT_RATIO = 4295128739n;
/** getSqrtRatioAtTick(MAX_TICK). */
export const MAX_SQRT_RATIO = 1461446703485210103287273052203988822378723970342n;

const Q32 = 1n << 32n;

/** ratio × c >> 128: one factor sqrt(1.0001)^(−2^i) of the product in getSqrtRatioAtTick. */
function mulShift(ratio: bigint, factor: bigint): bigint {
  return (ratio * factor) >> 128n;
}

/** Most ratios `getSqrtRatioAtTick` keeps: a few MB; pools cross and target the same ticks again and again. */
const RATIO_CACHE_SIZE = 1 << 16;
const ratioCache = new Map<number, bigint>();

/**
 * TickMath.getSqrtRatioAtTick: sqrt(1.0001^tick) × 2^96 as a Q64.96, rounded up so that
 * getTickAtSqrtRatio of the result is `tick`. Throws `T` outside [MIN_TICK, MAX_TICK]. Pure; the
 * results of the last ticks asked are kept (bigints are immutable: sharing them is safe).
 *
 * @example
 * getSqrtRatioAtTick(0); // 79228162514264337593543950336n (2^96)
 */
export function getSqrtRatioAtTick(tick: number): bigint {
  const kept = ratioCache.get(tick);
  if (kept !== undefined) return kept;
  const ratio = sqrtRatioAtTick(tick);
  if (ratioCache.size >= RATIO_CACHE_SIZE) ratioCache.clear();
  ratioCache.set(tick, ratio);
  return ratio;
}

/** getSqrtRatioAtTick, computed. */
function sqrtRatioAtTick(tick: number): bigint {
  const absTick = tick < 0 ? -tick : tick;
  ensure(Number.isInteger(tick) && absTick <= MAX_TICK, 'TickMath: T');

  let ratio = absTick & 0x1 ? 0xfffcb933bd6fad37aa2d162d1a594001n : 0x100000000000000000000000000000000n;
  if (absTick & 0x2) ratio = mulShift(ratio, 0xfff97272373d413259a46990580e213an);
  if (absTick & 0x4) ratio = mulShift(ratio, 0xfff2e50f5f656932ef12357cf3c7fdccn);
  if (absTick & 0x8) ratio = mulShift(ratio, 0xffe5caca7e10e4e61c3624eaa0941cd0n);
  if (absTick & 0x10) ratio = mulShift(ratio, 0xffcb9843d60f6159c9db58835c926644n);
  if (absTick & 0x20) ratio = mulShift(ratio, 0xff973b41fa98c081472e6896dfb254c0n);
  if (absTick & 0x40) ratio = mulShift(ratio, 0xff2ea16466c96a3843ec78b326b52861n);
  if (absTick & 0x80) ratio = mulShift(ratio, 0xfe5dee046a99a2a811c461f1969c3053n);
  if (absTick & 0x100) ratio = mulShift(ratio, 0xfcbe86c7900a88aedcffc83b479aa3a4n);
  if (absTick & 0x200) ratio = mulShift(ratio, 0xf987a7253ac413176f2b074cf7815e54n);
  if (absTick & 0x400) ratio = mulShift(ratio, 0xf3392b0822b70005940c7a398e4b70f3n);
  if (absTick & 0x800) ratio = mulShift(ratio, 0xe7159475a2c29b7443b29c7fa6e889d9n);
  if (absTick & 0x1000) ratio = mulShift(ratio, 0xd097f3bdfd2022b8845ad8f792aa5825n);
  if (absTick & 0x2000) ratio = mulShift(ratio, 0xa9f746462d870fdf8a65dc1f90e061e5n);
  if (absTick & 0x4000) ratio = mulShift(ratio, 0x70d869a156d2a1b890bb3df62baf32f7n);
  if (absTick & 0x8000) ratio = mulShift(ratio, 0x31be135f97d08fd981231505542fcfa6n);
  if (absTick & 0x10000) ratio = mulShift(ratio, 0x9aa508b5b7a84e1c677de54f3e99bc9n);
  if (absTick & 0x20000) ratio = mulShift(ratio, 0x5d6af8dedb81196699c329225ee604n);
  if (absTick & 0x40000) ratio = mulShift(ratio, 0x2216e584f5fa1ea926041bedfe98n);
  if (absTick & 0x80000) ratio = mulShift(ratio, 0x48a170391f7dc42444e8fa2n);

  if (tick > 0) ratio = MAX_UINT256 / ratio;

  // Q128.128 to Q64.96, rounding up.
  return (ratio >> 32n) + (ratio % Q32 === 0n ? 0n : 1n);
}

/**
 * TickMath.getTickAtSqrtRatio: the greatest tick whose ratio is ≤ `sqrtPriceX96`. Throws `R` unless
 * MIN_SQRT_RATIO ≤ sqrtPriceX96 < MAX_SQRT_RATIO. With `hint` (a tick the caller expects, e.g. the
 * one a Swap event reports), `hint` is checked first: it is the answer exactly when
 * getSqrtRatioAtTick(hint) ≤ sqrtPriceX96 < getSqrtRatioAtTick(hint + 1) (the ratio grows strictly with
 * the tick, so one tick fits), two lookups instead of the log2 search. A wrong hint costs the check.
 *
 * @example
 * getTickAtSqrtRatio(79228162514264337593543950336n); // 0
 * getTickAtSqrtRatio(79228162514264337593543950336n, 0); // 0, from the hint
 */
export function getTickAtSqrtRatio(sqrtPriceX96: bigint, hint?: number): number {
  ensure(sqrtPriceX96 >= MIN_SQRT_RATIO && sqrtPriceX96 < MAX_SQRT_RATIO, 'TickMath: R');
  if (
    hint !== undefined &&
    Number.isInteger(hint) &&
    hint >= MIN_TICK &&
    hint < MAX_TICK &&
    getSqrtRatioAtTick(hint) <= sqrtPriceX96 &&
    sqrtPriceX96 < getSqrtRatioAtTick(hint + 1)
  )
    return hint;
  const ratio = sqrtPriceX96 << 32n;

  const msb = mostSignificantBit(ratio);
  let r = msb >= 128 ? ratio >> BigInt(msb - 127) : ratio << BigInt(127 - msb);
  let log2 = BigInt(msb - 128) << 64n;

  // 14 bits of the fractional part of log2, by repeated squaring.
  for (let bit = 63n; bit >= 50n; bit--) {
    r = (r * r) >> 127n;
    const f = r >> 128n;
    log2 |= f << bit;
    r >>= f;
  }

  const logSqrt10001 = log2 * 255738958999603826347141n; // Q128.128
  const tickLow = Number((logSqrt10001 - 3402992956809132418596140100660247210n) >> 128n);
  const tickHigh = Number((logSqrt10001 + 291339464771989622907027621153398088495n) >> 128n);

  if (tickLow === tickHigh) return tickLow;
  return getSqrtRatioAtTick(tickHigh) <= sqrtPriceX96 ? tickHigh : tickLow;
}
