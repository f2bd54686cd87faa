import { isTickstreamError } from '@tickstream/shared/errors';
import { crossTick, MAX_SQRT_RATIO, MIN_SQRT_RATIO, wrapUint128 } from '../math';
import type { SwapEvent } from './events';
import { poolInvariant } from './invariant';
import { type SwapSimulation, simulateSwap } from './simulate-swap';
import type { PoolState } from './state';

function reproduces(replay: SwapSimulation, event: SwapEvent): boolean {
  return (
    replay.amount0 === event.amount0 &&
    replay.amount1 === event.amount1 &&
    replay.sqrtPriceX96 === event.sqrtPriceX96 &&
    replay.tick === event.tick &&
    replay.liquidity === event.liquidity
  );
}

/** Write a replay that reproduced the event: slot0, liquidity, the crossed ticks, fee growth, protocol fees. */
function commitSwap(state: PoolState, zeroForOne: boolean, replay: SwapSimulation): void {
  const dirty = state.dirty;
  for (let i = 0; i < replay.crossedTicks.length; i++) {
    const tick = replay.crossedTicks[i] as number;
    const feeGrowthX128 = replay.crossedFeeGrowthX128[i] as bigint;
    crossTick(
      state.ticks,
      tick,
      zeroForOne ? feeGrowthX128 : state.feeGrowthGlobal0X128,
      zeroForOne ? state.feeGrowthGlobal1X128 : feeGrowthX128,
    );
    dirty.ticks.add(tick);
  }
  state.sqrtPriceX96 = replay.sqrtPriceX96;
  state.tick = replay.tick;
  state.liquidity = replay.liquidity;
  if (zeroForOne) {
    state.feeGrowthGlobal0X128 = replay.feeGrowthGlobalX128;
    state.protocolFees.token0 = wrapUint128(state.protocolFees.token0 + replay.protocolFee);
  } else {
    state.feeGrowthGlobal1X128 = replay.feeGrowthGlobalX128;
    state.protocolFees.token1 = wrapUint128(state.protocolFees.token1 + replay.protocolFee);
  }
  dirty.pool = true;
}

/** One attempt: the replay when it reproduces the event, else undefined (the reason goes to `tried`). */
function attempt(
  state: PoolState,
  event: SwapEvent,
  zeroForOne: boolean,
  amountSpecified: bigint,
  sqrtPriceLimitX96: bigint,
  tried: Record<string, unknown>[],
): SwapSimulation | undefined {
  try {
    const replay = simulateSwap(state, zeroForOne, amountSpecified, sqrtPriceLimitX96, event.tick);
    if (reproduces(replay, event)) return replay;
    const { amount0, amount1, sqrtPriceX96, tick, liquidity } = replay;
    tried.push({ amountSpecified, sqrtPriceLimitX96, amount0, amount1, sqrtPriceX96, tick, liquidity });
  } catch (err) {
    // a math `require` failed: the contract would have reverted with these arguments
    if (!isTickstreamError(err, 'INTERNAL')) throw err;
    tried.push({ amountSpecified, sqrtPriceLimitX96, error: err.message });
  }
  return undefined;
}

/**
 * Swap. The event gives only the amounts and the final slot0/liquidity; fee growth, protocol fees and the
 * crossed ticks come from replaying the contract's swap loop with arguments that reproduce the event
 * exactly. The direction follows the price (or, if it did not move, the token paid in). Tried in order:
 *
 * 1. exact input of the amount paid in, no price limit: any exact-input swap that used its whole input;
 * 2. exact output of the amount paid out, no price limit: any exact-output swap that got its whole output;
 * 3. exact input of the amount paid in + 1, limit = the event's final price: any swap stopped by its
 *    price limit. Every step then reaches its target, where exact input and exact output compute the
 *    same; the extra unit is never consumed but keeps the loop going across ranges without liquidity
 *    (which cost nothing) up to the limit, as the original swap did.
 *
 * Passing the final price as the limit in every case would be wrong: an exact-input swap that ends inside
 * a range takes the rest of its input as fee, while one that reaches its limit takes the rounded-up fee.
 * When two attempts both reproduce the event their state effects are equal (the same steps, and the last
 * step's fee is the total minus the others). No match: PROJECTION_INVARIANT, state untouched.
 *
 * @example
 * applySwap(state, swap); // state.sqrtPriceX96 === swap.sqrtPriceX96, fee growth and ticks updated
 */
export function applySwap(state: PoolState, event: SwapEvent): PoolState {
  const start = state.sqrtPriceX96;
  const zeroForOne = event.sqrtPriceX96 < start || (event.sqrtPriceX96 === start && event.amount0 > 0n);
  const paidIn = zeroForOne ? event.amount0 : event.amount1;
  const paidOut = -(zeroForOne ? event.amount1 : event.amount0);
  const tried: Record<string, unknown>[] = [];

  if (paidIn >= 0n && paidOut >= 0n) {
    const noLimit = zeroForOne ? MIN_SQRT_RATIO + 1n : MAX_SQRT_RATIO - 1n;
    const limitValid = zeroForOne
      ? event.sqrtPriceX96 < start && event.sqrtPriceX96 > MIN_SQRT_RATIO
      : event.sqrtPriceX96 > start && event.sqrtPriceX96 < MAX_SQRT_RATIO;
    const replay =
      (paidIn > 0n ? attempt(state, event, zeroForOne, paidIn, noLimit, tried) : undefined) ??
      (paidOut > 0n ? attempt(state, event, zeroForOne, -paidOut, noLimit, tried) : undefined) ??
      (limitValid ? attempt(state, event, zeroForOne, paidIn + 1n, event.sqrtPriceX96, tried) : undefined);
    if (replay !== undefined) {
      commitSwap(state, zeroForOne, replay);
      return state;
    }
  }
  const { amount0, amount1, sqrtPriceX96, tick, liquidity } = event;
  throw poolInvariant(state, event, 'no replay of the swap loop reproduces the event', {
    event: { amount0, amount1, sqrtPriceX96, tick, liquidity },
    before: { sqrtPriceX96: start, tick: state.tick, liquidity: state.liquidity },
    zeroForOne,
    tried,
  });
}
