/**
 * Fixed-point resolutions (FixedPoint96, FixedPoint128) and the bounds of the Solidity integer types the
 * Uniswap V3 contracts use. All `bigint`.
 */

/** 2^96: the resolution of `sqrtPriceX96` (FixedPoint96.Q96). */
export const Q96 = 1n << 96n;
/** 2^128: the resolution of fee growth (FixedPoint128.Q128). */
export const Q128 = 1n << 128n;

export const MAX_UINT128 = (1n << 128n) - 1n;
export const MAX_UINT160 = (1n << 160n) - 1n;
export const MAX_UINT256 = (1n << 256n) - 1n;
export const MAX_INT128 = (1n << 127n) - 1n;
export const MIN_INT128 = -(1n << 127n);
export const MAX_INT256 = (1n << 255n) - 1n;
export const MIN_INT256 = -(1n << 255n);
