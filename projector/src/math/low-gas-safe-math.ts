import { MAX_INT256, MAX_UINT256, MIN_INT256 } from './constants';
import { ensure } from './ensure';

/**
 * LowGasSafeMath.add(uint256, uint256): x + y, throws on overflow.
 *
 * @example
 * addUint256(1n, 2n); // 3n
 */
export function addUint256(x: bigint, y: bigint): bigint {
  const z = x + y;
  ensure(z <= MAX_UINT256, 'LowGasSafeMath: uint256 addition overflows');
  return z;
}

/**
 * LowGasSafeMath.sub(uint256, uint256): x − y, throws on underflow.
 *
 * @example
 * subUint256(3n, 2n); // 1n
 */
export function subUint256(x: bigint, y: bigint): bigint {
  ensure(y <= x, 'LowGasSafeMath: uint256 subtraction underflows');
  return x - y;
}

/**
 * LowGasSafeMath.mul(uint256, uint256): x × y, throws on overflow.
 *
 * @example
 * mulUint256(3n, 4n); // 12n
 */
export function mulUint256(x: bigint, y: bigint): bigint {
  const z = x * y;
  ensure(z <= MAX_UINT256, 'LowGasSafeMath: uint256 multiplication overflows');
  return z;
}

/**
 * LowGasSafeMath.add(int256, int256): x + y, throws when the result leaves the int256 range.
 *
 * @example
 * addInt256(-5n, 3n); // -2n
 */
export function addInt256(x: bigint, y: bigint): bigint {
  const z = x + y;
  ensure(z >= MIN_INT256 && z <= MAX_INT256, 'LowGasSafeMath: int256 addition overflows');
  return z;
}

/**
 * LowGasSafeMath.sub(int256, int256): x − y, throws when the result leaves the int256 range.
 *
 * @example
 * subInt256(-5n, 3n); // -8n
 */
export function subInt256(x: bigint, y: bigint): bigint {
  const z = x - y;
  ensure(z >= MIN_INT256 && z <= MAX_INT256, 'LowGasSafeMath: int256 subtraction overflows');
  return z;
}
