import { MAX_INT128, MAX_INT256, MAX_UINT160, MIN_INT128 } from './constants';
import { ensure } from './ensure';

/**
 * SafeCast.toUint160: throws unless 0 ≤ y < 2^160.
 *
 * @example
 * toUint160(Q96); // Q96
 */
export function toUint160(y: bigint): bigint {
  ensure(y >= 0n && y <= MAX_UINT160, 'SafeCast: does not fit uint160');
  return y;
}

/**
 * SafeCast.toInt128: throws unless −2^127 ≤ y < 2^127.
 *
 * @example
 * toInt128(-1n); // -1n
 */
export function toInt128(y: bigint): bigint {
  ensure(y >= MIN_INT128 && y <= MAX_INT128, 'SafeCast: does not fit int128');
  return y;
}

/**
 * SafeCast.toInt256 (from uint256): throws unless y < 2^255.
 *
 * @example
 * toInt256(5n); // 5n
 */
export function toInt256(y: bigint): bigint {
  ensure(y <= MAX_INT256, 'SafeCast: does not fit int256');
  return y;
}
