import { MAX_UINT128 } from './constants';
import { ensure } from './ensure';

/**
 * LiquidityMath.addDelta: a uint128 liquidity plus a signed int128 delta. Throws `LS` when the result would
 * go below zero and `LA` when it would exceed uint128.
 *
 * @example
 * addDelta(10n, -3n); // 7n
 */
export function addDelta(x: bigint, y: bigint): bigint {
  const z = x + y;
  if (y < 0n) ensure(z >= 0n, 'LiquidityMath: LS');
  else ensure(z <= MAX_UINT128, 'LiquidityMath: LA');
  return z;
}
