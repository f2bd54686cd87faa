import { TickstreamError } from '@tickstream/shared/errors';
import {
  addDelta,
  addInt256,
  computeSwapStep,
  ensure,
  getSqrtRatioAtTick,
  getTickAtSqrtRatio,
  MAX_SQRT_RATIO,
  MAX_TICK,
  MIN_SQRT_RATIO,
  MIN_TICK,
  mulDiv,
  nextInitializedTickWithinOneWord,
  Q128,
  subInt256,
  toInt256,
  wrapUint128,
  wrapUint256,
} from '../math';
import type { PoolState } from './state';

/** The outcome of the UniswapV3Pool.swap loop, not written to the state. */
export interface SwapSimulation {
  amount0: bigint;
  amount1: bigint;
  sqrtPriceX96: bigint;
  tick: number;
  liquidity: bigint;
  /** The input token's fee growth after the swap. */
  feeGrowthGlobalX128: bigint;
  protocolFee: bigint;
  /** Initialized ticks crossed, in order, and the input token's fee growth when each was crossed. */
  crossedTicks: number[];
  crossedFeeGrowthX128: bigint[];
}

/**
 * UniswapV3Pool.swap (v3-core 1.0) without transfers or oracle, read-only: it reads ticks and the bitmap and
 * records the crossings instead of writing them. `amountSpecified` > 0 is an exact input, < 0 an exact
 * output; the `require`s of the contract (LOK, AS, SPL, and those of the math) throw INTERNAL. Used to replay
 * Swap events and to quote. `tickHint`: the tick the caller expects the swap to end at (a replayed Swap
 * event's): checked first where the tick is recomputed from the price, the same answer either way.
 *
 * @example
 * const sim = simulateSwap(state, true, 10n ** 18n, MIN_SQRT_RATIO + 1n); // sell 1e18 token0
 * // sim.amount1 < 0n is what the pool pays out
 */
export function simulateSwap(
  state: PoolState,
  zeroForOne: boolean,
  amountSpecified: bigint,
  sqrtPriceLimitX96: bigint,
  tickHint?: number,
): SwapSimulation {
  ensure(state.sqrtPriceX96 !== 0n, 'UniswapV3Pool: LOK');
  ensure(amountSpecified !== 0n, 'UniswapV3Pool: AS');
  ensure(
    zeroForOne
      ? sqrtPriceLimitX96 < state.sqrtPriceX96 && sqrtPriceLimitX96 > MIN_SQRT_RATIO
      : sqrtPriceLimitX96 > state.sqrtPriceX96 && sqrtPriceLimitX96 < MAX_SQRT_RATIO,
    'UniswapV3Pool: SPL',
  );
  const exactInput = amountSpecified > 0n;
  const feeProtocol = BigInt(zeroForOne ? state.feeProtocol % 16 : state.feeProtocol >> 4);
  let remaining = amountSpecified;
  let calculated = 0n;
  let sqrtPriceX96 = state.sqrtPriceX96;
  let tick = state.tick;
  let liquidity = state.liquidity;
  let feeGrowthGlobalX128 = zeroForOne ? state.feeGrowthGlobal0X128 : state.feeGrowthGlobal1X128;
  let protocolFee = 0n;
  const crossedTicks: number[] = [];
  const crossedFeeGrowthX128: bigint[] = [];

  while (remaining !== 0n && sqrtPriceX96 !== sqrtPriceLimitX96) {
    const sqrtPriceStartX96 = sqrtPriceX96;
    const found = nextInitializedTickWithinOneWord(state.tickBitmap, tick, state.tickSpacing, zeroForOne);
    // the bitmap does not know the tick bounds
    const tickNext = Math.max(MIN_TICK, Math.min(MAX_TICK, found.next));
    const sqrtPriceNextX96 = getSqrtRatioAtTick(tickNext);
    const beyondLimit = zeroForOne
      ? sqrtPriceNextX96 < sqrtPriceLimitX96
      : sqrtPriceNextX96 > sqrtPriceLimitX96;
    const step = computeSwapStep(
      sqrtPriceX96,
      beyondLimit ? sqrtPriceLimitX96 : sqrtPriceNextX96,
      liquidity,
      remaining,
      state.fee,
    );
    sqrtPriceX96 = step.sqrtRatioNextX96;
    let feeAmount = step.feeAmount;

    if (exactInput) {
      remaining -= toInt256(step.amountIn + feeAmount);
      calculated = subInt256(calculated, toInt256(step.amountOut));
    } else {
      remaining += toInt256(step.amountOut);
      calculated = addInt256(calculated, toInt256(step.amountIn + feeAmount));
    }

    if (feeProtocol > 0n) {
      const delta = feeAmount / feeProtocol;
      feeAmount -= delta;
      protocolFee = wrapUint128(protocolFee + delta);
    }
    if (liquidity > 0n)
      feeGrowthGlobalX128 = wrapUint256(feeGrowthGlobalX128 + mulDiv(feeAmount, Q128, liquidity));

    if (sqrtPriceX96 === sqrtPriceNextX96) {
      if (found.initialized) {
        const info = state.ticks.get(tickNext);
        if (info === undefined) {
          throw new TickstreamError(
            'PROJECTION_INVARIANT',
            `pool ${state.address}: the bitmap marks tick ${tickNext} initialized but it has no data`,
          );
        }
        const liquidityNet = info.liquidityNet;
        crossedTicks.push(tickNext);
        crossedFeeGrowthX128.push(feeGrowthGlobalX128);
        // moving left, liquidityNet counts the other way
        liquidity = addDelta(liquidity, zeroForOne ? -liquidityNet : liquidityNet);
      }
      tick = zeroForOne ? tickNext - 1 : tickNext;
    } else if (sqrtPriceX96 !== sqrtPriceStartX96) {
      // not on a tick boundary already crossed: recompute
      tick = getTickAtSqrtRatio(sqrtPriceX96, tickHint);
    }
  }

  const specifiedUsed = amountSpecified - remaining;
  const [amount0, amount1] =
    zeroForOne === exactInput ? [specifiedUsed, calculated] : [calculated, specifiedUsed];
  return {
    amount0,
    amount1,
    sqrtPriceX96,
    tick,
    liquidity,
    feeGrowthGlobalX128,
    protocolFee,
    crossedTicks,
    crossedFeeGrowthX128,
  };
}
