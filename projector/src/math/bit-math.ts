import { ensure } from './ensure';

/**
 * BitMath.mostSignificantBit: the index of the highest set bit of a non-zero uint256 (x ≥ 2^msb, x < 2^(msb+1)).
 *
 * @example
 * mostSignificantBit(1n << 200n); // 200
 */
export function mostSignificantBit(x: bigint): number {
  ensure(x > 0n, 'BitMath: zero has no most significant bit');
  let r = 0;
  for (let bits = 128; bits >= 1; bits >>= 1) {
    const shift = BigInt(bits);
    if (x >= 1n << shift) {
      x >>= shift;
      r += bits;
    }
  }
  return r;
}

/**
 * BitMath.leastSignificantBit: the index of the lowest set bit of a non-zero uint256 ((x >> lsb) & 1 == 1).
 *
 * @example
 * leastSignificantBit(0b1000n); // 3
 */
export function leastSignificantBit(x: bigint): number {
  ensure(x > 0n, 'BitMath: zero has no least significant bit');
  let r = 255;
  for (let bits = 128; bits >= 1; bits >>= 1) {
    const shift = BigInt(bits);
    if ((x & ((1n << shift) - 1n)) > 0n) r -= bits;
    else x >>= shift;
  }
  return r;
}
