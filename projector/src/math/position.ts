import { Q128 } from './constants';
import { ensure } from './ensure';
import { mulDiv } from './full-math';
import { addDelta } from './liquidity-math';
import { wrapUint128, wrapUint256 } from './unsafe-math';

/** Position.Info: one owner's liquidity in one range, and what it has earned. */
export interface PositionInfo {
  liquidity: bigint;
  /** Fee growth inside the range as of the last update (mod 2^256). */
  feeGrowthInside0LastX128: bigint;
  feeGrowthInside1LastX128: bigint;
  /** Fees and burned amounts not yet collected (uint128, wraps on overflow like the contract). */
  tokensOwed0: bigint;
  tokensOwed1: bigint;
}

/**
 * Position.update, in place: credit the fees earned since the last update (uint128 of
 * (inside − last mod 2^256) × liquidity ÷ 2^128, added mod 2^128), then apply `liquidityDelta`. A zero delta
 * (a poke) on a position without liquidity throws `NP`.
 *
 * @example
 * updatePosition(position, 0n, feeGrowthInside0X128, feeGrowthInside1X128); // collect fees into tokensOwed
 */
export function updatePosition(
  self: PositionInfo,
  liquidityDelta: bigint,
  feeGrowthInside0X128: bigint,
  feeGrowthInside1X128: bigint,
): void {
  let liquidityNext: bigint;
  if (liquidityDelta === 0n) {
    ensure(self.liquidity > 0n, 'Position: NP');
    liquidityNext = self.liquidity;
  } else {
    liquidityNext = addDelta(self.liquidity, liquidityDelta);
  }

  const tokensOwed0 = wrapUint128(
    mulDiv(wrapUint256(feeGrowthInside0X128 - self.feeGrowthInside0LastX128), self.liquidity, Q128),
  );
  const tokensOwed1 = wrapUint128(
    mulDiv(wrapUint256(feeGrowthInside1X128 - self.feeGrowthInside1LastX128), self.liquidity, Q128),
  );

  self.liquidity = liquidityNext;
  self.feeGrowthInside0LastX128 = feeGrowthInside0X128;
  self.feeGrowthInside1LastX128 = feeGrowthInside1X128;
  if (tokensOwed0 > 0n || tokensOwed1 > 0n) {
    // overflow is accepted by the contract: owners must collect before 2^128
    self.tokensOwed0 = wrapUint128(self.tokensOwed0 + tokensOwed0);
    self.tokensOwed1 = wrapUint128(self.tokensOwed1 + tokensOwed1);
  }
}
