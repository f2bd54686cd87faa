import { MAX_UINT128, MAX_UINT256 } from './constants';

/**
 * UnsafeMath.divRoundingUp: ceil(x ÷ y) with EVM semantics, so division by zero yields 0 (no throw).
 *
 * @example
 * divRoundingUp(7n, 2n); // 4n
 */
export function divRoundingUp(x: bigint, y: bigint): bigint {
  if (y === 0n) return 0n;
  const quotient = x / y;
  return x % y > 0n ? quotient + 1n : quotient;
}

/**
 * Unchecked uint256 arithmetic (Solidity 0.7 `+`/`-` outside SafeMath): reduce mod 2^256. Fee growth
 * accumulators and their differences rely on this wraparound.
 *
 * @example
 * wrapUint256(15n - (MAX_UINT256 - 3n) - 3n); // 16n
 */
export function wrapUint256(x: bigint): bigint {
  return x & MAX_UINT256;
}

/**
 * Unchecked uint128 arithmetic and the `uint128(x)` cast: reduce mod 2^128 (tokens owed, protocol fees).
 *
 * @example
 * wrapUint128(MAX_UINT128 + 2n); // 1n
 */
export function wrapUint128(x: bigint): bigint {
  return x & MAX_UINT128;
}
