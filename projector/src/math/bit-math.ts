import { ensure } from './ensure';

/** 2^i for i in [0, 255]: comparing with these allocates nothing (a shift makes a new bigint). */
export const POW2: readonly bigint[] = Array.from({ length: 256 }, (_, i) => 1n << BigInt(i));

/**
 * BitMath.mostSignificantBit: the index of the highest set bit of a non-zero uint256 (x ≥ 2^msb, x < 2^(msb+1)).
 * A binary search over the powers of two: eight comparisons, no bigint made.
 *
 * @example
 * mostSignificantBit(1n << 200n); // 200
 */
export function mostSignificantBit(x: bigint): number {
  ensure(x > 0n, 'BitMath: zero has no most significant bit');
  let lo = 0;
  let hi = 255;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (x >= POW2[mid]!) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * BitMath.leastSignificantBit: the index of the lowest set bit of a non-zero uint256 ((x >> lsb) & 1 == 1):
 * the highest bit of x & −x, which keeps only the lowest.
 *
 * @example
 * leastSignificantBit(0b1000n); // 3
 */
export function leastSignificantBit(x: bigint): number {
  ensure(x > 0n, 'BitMath: zero has no least significant bit');
  return mostSignificantBit(x & -x);
}
