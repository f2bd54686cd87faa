import { MAX_UINT256 } from './constants';
import { ensure } from './ensure';

/**
 * FullMath.mulDiv: floor(a × b ÷ denominator) with a full 512-bit intermediate product. Throws when the
 * denominator is zero or the result does not fit in uint256, like the contract.
 *
 * @example
 * mulDiv(Q128, 35n * Q128, 8n * Q128); // 4.375 × Q128, no phantom overflow
 */
export function mulDiv(a: bigint, b: bigint, denominator: bigint): bigint {
  ensure(denominator > 0n, 'FullMath: denominator is zero');
  const result = (a * b) / denominator;
  ensure(result <= MAX_UINT256, 'FullMath: result overflows uint256');
  return result;
}

/**
 * FullMath.mulDivRoundingUp: ceil(a × b ÷ denominator). Throws when the denominator is zero or the rounded
 * result does not fit in uint256.
 *
 * @example
 * mulDivRoundingUp(Q128, Q128 / 2n, (3n * Q128) / 2n); // Q128 / 3n + 1n
 */
export function mulDivRoundingUp(a: bigint, b: bigint, denominator: bigint): bigint {
  ensure(denominator > 0n, 'FullMath: denominator is zero');
  const product = a * b;
  const result = product / denominator;
  ensure(result <= MAX_UINT256, 'FullMath: result overflows uint256');
  // exact when the quotient multiplies back to the product: a multiplication costs less than `%`
  if (result * denominator === product) return result;
  ensure(result < MAX_UINT256, 'FullMath: rounded result overflows uint256');
  return result + 1n;
}
