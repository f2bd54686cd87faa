import { MAX_UINT160, MAX_UINT256, Q96 } from './constants';
import { ensure } from './ensure';
import { mulDiv, mulDivRoundingUp } from './full-math';
import { addUint256 } from './low-gas-safe-math';
import { toInt256, toUint160 } from './safe-cast';
import { divRoundingUp } from './unsafe-math';

/** SqrtPriceMath.getNextSqrtPriceFromAmount0RoundingUp: the price after adding/removing token0, rounded up. */
function nextSqrtPriceFromAmount0RoundingUp(
  sqrtPX96: bigint,
  liquidity: bigint,
  amount: bigint,
  add: boolean,
): bigint {
  // amount == 0 short-circuits: the formula would not return the input price exactly.
  if (amount === 0n) return sqrtPX96;
  const numerator1 = liquidity << 96n;
  const product = amount * sqrtPX96;

  if (add) {
    if (product <= MAX_UINT256) {
      const denominator = numerator1 + product;
      if (denominator <= MAX_UINT256) return mulDivRoundingUp(numerator1, sqrtPX96, denominator);
    }
    return divRoundingUp(numerator1, addUint256(numerator1 / sqrtPX96, amount));
  }
  // If the product overflows, the denominator underflows.
  ensure(product <= MAX_UINT256 && numerator1 > product, 'SqrtPriceMath: token0 output exceeds reserves');
  return toUint160(mulDivRoundingUp(numerator1, sqrtPX96, numerator1 - product));
}

/** SqrtPriceMath.getNextSqrtPriceFromAmount1RoundingDown: the price after adding/removing token1, rounded down. */
function nextSqrtPriceFromAmount1RoundingDown(
  sqrtPX96: bigint,
  liquidity: bigint,
  amount: bigint,
  add: boolean,
): bigint {
  if (add) {
    const quotient = amount <= MAX_UINT160 ? (amount << 96n) / liquidity : mulDiv(amount, Q96, liquidity);
    return toUint160(addUint256(sqrtPX96, quotient));
  }
  const quotient =
    amount <= MAX_UINT160
      ? divRoundingUp(amount << 96n, liquidity)
      : mulDivRoundingUp(amount, Q96, liquidity);
  ensure(sqrtPX96 > quotient, 'SqrtPriceMath: token1 output exceeds reserves');
  return sqrtPX96 - quotient;
}

/**
 * SqrtPriceMath.getNextSqrtPriceFromInput: the price after `amountIn` of token0 (zeroForOne) or token1 enters
 * at `liquidity`, rounded so that it never passes the true target price.
 *
 * @example
 * getNextSqrtPriceFromInput(Q96, 10n ** 18n, 10n ** 17n, false); // 87150978765690771352898345369n
 */
export function getNextSqrtPriceFromInput(
  sqrtPX96: bigint,
  liquidity: bigint,
  amountIn: bigint,
  zeroForOne: boolean,
): bigint {
  ensure(sqrtPX96 > 0n, 'SqrtPriceMath: price is zero');
  ensure(liquidity > 0n, 'SqrtPriceMath: liquidity is zero');
  return zeroForOne
    ? nextSqrtPriceFromAmount0RoundingUp(sqrtPX96, liquidity, amountIn, true)
    : nextSqrtPriceFromAmount1RoundingDown(sqrtPX96, liquidity, amountIn, true);
}

/**
 * SqrtPriceMath.getNextSqrtPriceFromOutput: the price after `amountOut` of token1 (zeroForOne) or token0
 * leaves at `liquidity`, rounded so that it always reaches the true target price.
 *
 * @example
 * getNextSqrtPriceFromOutput(Q96, 10n ** 18n, 10n ** 17n, true); // 71305346262837903834189555302n
 */
export function getNextSqrtPriceFromOutput(
  sqrtPX96: bigint,
  liquidity: bigint,
  amountOut: bigint,
  zeroForOne: boolean,
): bigint {
  ensure(sqrtPX96 > 0n, 'SqrtPriceMath: price is zero');
  ensure(liquidity > 0n, 'SqrtPriceMath: liquidity is zero');
  return zeroForOne
    ? nextSqrtPriceFromAmount1RoundingDown(sqrtPX96, liquidity, amountOut, false)
    : nextSqrtPriceFromAmount0RoundingUp(sqrtPX96, liquidity, amountOut, false);
}

/**
 * SqrtPriceMath.getAmount0Delta (unsigned): liquidity × (1/√A − 1/√B) of token0 between two prices, in
 * either order, rounded up or down.
 *
 * @example
 * getAmount0Delta(Q96, 2n * Q96, 3n, true); // 2n (exactly 1.5, rounded up)
 */
export function getAmount0Delta(
  sqrtRatioAX96: bigint,
  sqrtRatioBX96: bigint,
  liquidity: bigint,
  roundUp: boolean,
): bigint {
  const lower = sqrtRatioAX96 < sqrtRatioBX96 ? sqrtRatioAX96 : sqrtRatioBX96;
  const upper = sqrtRatioAX96 < sqrtRatioBX96 ? sqrtRatioBX96 : sqrtRatioAX96;
  const numerator1 = liquidity << 96n;
  const numerator2 = upper - lower;
  ensure(lower > 0n, 'SqrtPriceMath: price is zero');
  return roundUp
    ? divRoundingUp(mulDivRoundingUp(numerator1, numerator2, upper), lower)
    : mulDiv(numerator1, numerator2, upper) / lower;
}

/**
 * SqrtPriceMath.getAmount1Delta (unsigned): liquidity × (√B − √A) of token1 between two prices, in either
 * order, rounded up or down.
 *
 * @example
 * getAmount1Delta(Q96, Q96 + 1n, 1n, true); // 1n (round down gives 0n)
 */
export function getAmount1Delta(
  sqrtRatioAX96: bigint,
  sqrtRatioBX96: bigint,
  liquidity: bigint,
  roundUp: boolean,
): bigint {
  const difference =
    sqrtRatioAX96 < sqrtRatioBX96 ? sqrtRatioBX96 - sqrtRatioAX96 : sqrtRatioAX96 - sqrtRatioBX96;
  return roundUp ? mulDivQ96RoundingUp(liquidity, difference) : mulDivQ96(liquidity, difference);
}

/** mulDiv(a, b, Q96) for a, b ≥ 0 by a shift (the same floor, no division). */
function mulDivQ96(a: bigint, b: bigint): bigint {
  const product = a * b;
  if (product < 0n) return mulDiv(a, b, Q96); // outside uint256: `/` truncates where `>>` floors
  const result = product >> 96n;
  ensure(result <= MAX_UINT256, 'FullMath: result overflows uint256');
  return result;
}

/** mulDivRoundingUp(a, b, Q96) for a, b ≥ 0 by shifts. */
function mulDivQ96RoundingUp(a: bigint, b: bigint): bigint {
  const product = a * b;
  if (product < 0n) return mulDivRoundingUp(a, b, Q96);
  const result = product >> 96n;
  ensure(result <= MAX_UINT256, 'FullMath: result overflows uint256');
  if (result << 96n === product) return result;
  ensure(result < MAX_UINT256, 'FullMath: rounded result overflows uint256');
  return result + 1n;
}

/**
 * SqrtPriceMath.getAmount0Delta (signed, as used by Pool._modifyPosition): rounds up what the pool is owed
 * when liquidity is added, rounds down (and negates) what it pays out when liquidity is removed.
 *
 * @example
 * getAmount0DeltaSigned(Q96, 2n * Q96, -3n); // -1n
 */
export function getAmount0DeltaSigned(
  sqrtRatioAX96: bigint,
  sqrtRatioBX96: bigint,
  liquidity: bigint,
): bigint {
  return liquidity < 0n
    ? -toInt256(getAmount0Delta(sqrtRatioAX96, sqrtRatioBX96, -liquidity, false))
    : toInt256(getAmount0Delta(sqrtRatioAX96, sqrtRatioBX96, liquidity, true));
}

/**
 * SqrtPriceMath.getAmount1Delta (signed): like getAmount0DeltaSigned, for token1.
 *
 * @example
 * getAmount1DeltaSigned(Q96, Q96 + 1n, -1n); // 0n (rounded down before negating)
 */
export function getAmount1DeltaSigned(
  sqrtRatioAX96: bigint,
  sqrtRatioBX96: bigint,
  liquidity: bigint,
): bigint {
  return liquidity < 0n
    ? -toInt256(getAmount1Delta(sqrtRatioAX96, sqrtRatioBX96, -liquidity, false))
    : toInt256(getAmount1Delta(sqrtRatioAX96, sqrtRatioBX96, liquidity, true));
}
