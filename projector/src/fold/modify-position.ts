import {
  clearTick,
  flipTick,
  getAmount0DeltaSigned,
  getAmount1DeltaSigned,
  getFeeGrowthInside,
  getSqrtRatioAtTick,
  MAX_TICK,
  MAX_UINT128,
  MIN_TICK,
  toInt128,
  updatePosition,
  updateTick,
  wrapUint128,
} from '../math';
import type { BurnEvent, Hex, MintEvent } from './events';
import { poolInvariant } from './invariant';
import { type PoolState, type PositionState, positionKey } from './state';

type ModifyEvent = MintEvent | BurnEvent;

/** 0 ≤ x + delta ≤ max. */
function fits(x: bigint, delta: bigint, max: bigint): boolean {
  const after = x + delta;
  return after >= 0n && after <= max;
}

/** LO: a bound's gross liquidity must stay within 0 and the per-tick maximum. */
function checkTickGross(state: PoolState, event: ModifyEvent, tick: number, liquidityDelta: bigint): void {
  const gross = state.ticks.get(tick)?.liquidityGross ?? 0n;
  if (!fits(gross, liquidityDelta, state.maxLiquidityPerTick)) {
    throw poolInvariant(state, event, `tick ${tick} gross liquidity ${gross} cannot take ${liquidityDelta}`);
  }
}

/**
 * Reject, before anything changes, an event the contract would have reverted: checkTicks, a poke of an empty
 * position (NP), unspaced ticks, liquidity below zero (LS) or above uint128 / the per-tick maximum (LA, LO).
 */
function checkModify(state: PoolState, event: ModifyEvent, key: string, liquidityDelta: bigint): void {
  const { tickLower, tickUpper } = event;
  if (!(tickLower < tickUpper && tickLower >= MIN_TICK && tickUpper <= MAX_TICK)) {
    throw poolInvariant(state, event, `invalid range [${tickLower}, ${tickUpper}] (CT)`);
  }
  const positionLiquidity = state.positions.get(key)?.liquidity ?? 0n;
  if (liquidityDelta === 0n) {
    if (positionLiquidity === 0n) throw poolInvariant(state, event, 'pokes an empty position (NP)', { key });
    return;
  }
  if (tickLower % state.tickSpacing !== 0 || tickUpper % state.tickSpacing !== 0) {
    throw poolInvariant(state, event, `ticks not multiples of the spacing ${state.tickSpacing}`, { key });
  }
  if (!fits(positionLiquidity, liquidityDelta, MAX_UINT128)) {
    throw poolInvariant(
      state,
      event,
      `position liquidity ${positionLiquidity} cannot take ${liquidityDelta}`,
      {
        key,
      },
    );
  }
  checkTickGross(state, event, tickLower, liquidityDelta);
  checkTickGross(state, event, tickUpper, liquidityDelta);
  const inRange = state.tick >= tickLower && state.tick < tickUpper;
  if (inRange && !fits(state.liquidity, liquidityDelta, MAX_UINT128)) {
    throw poolInvariant(state, event, `pool liquidity ${state.liquidity} cannot take ${liquidityDelta}`, {
      key,
    });
  }
}

/** The amounts of _modifyPosition: > 0 owed to the pool, < 0 paid by it. Depends only on slot0. */
function modifyAmounts(state: PoolState, tickLower: number, tickUpper: number, liquidityDelta: bigint) {
  if (liquidityDelta === 0n) return { amount0: 0n, amount1: 0n };
  const sqrtLower = getSqrtRatioAtTick(tickLower);
  const sqrtUpper = getSqrtRatioAtTick(tickUpper);
  if (state.tick < tickLower) {
    return { amount0: getAmount0DeltaSigned(sqrtLower, sqrtUpper, liquidityDelta), amount1: 0n };
  }
  if (state.tick < tickUpper) {
    return {
      amount0: getAmount0DeltaSigned(state.sqrtPriceX96, sqrtUpper, liquidityDelta),
      amount1: getAmount1DeltaSigned(sqrtLower, state.sqrtPriceX96, liquidityDelta),
    };
  }
  return { amount0: 0n, amount1: getAmount1DeltaSigned(sqrtLower, sqrtUpper, liquidityDelta) };
}

/** _updatePosition plus the liquidity change of _modifyPosition, once the event is known to be valid. */
function modifyPosition(
  state: PoolState,
  owner: Hex,
  tickLower: number,
  tickUpper: number,
  liquidityDelta: bigint,
  key: string,
): PositionState {
  let position = state.positions.get(key);
  if (position === undefined) {
    position = {
      owner: owner.toLowerCase() as Hex,
      tickLower,
      tickUpper,
      liquidity: 0n,
      feeGrowthInside0LastX128: 0n,
      feeGrowthInside1LastX128: 0n,
      tokensOwed0: 0n,
      tokensOwed1: 0n,
    };
    state.positions.set(key, position);
  }
  const {
    ticks,
    tickBitmap,
    tickSpacing,
    tick,
    feeGrowthGlobal0X128: fg0,
    feeGrowthGlobal1X128: fg1,
  } = state;
  const dirty = state.dirty;

  let flippedLower = false;
  let flippedUpper = false;
  if (liquidityDelta !== 0n) {
    const max = state.maxLiquidityPerTick;
    flippedLower = updateTick(ticks, tickLower, tick, liquidityDelta, fg0, fg1, false, max);
    flippedUpper = updateTick(ticks, tickUpper, tick, liquidityDelta, fg0, fg1, true, max);
    if (flippedLower) dirty.bitmapWords.add(flipTick(tickBitmap, tickLower, tickSpacing));
    if (flippedUpper) dirty.bitmapWords.add(flipTick(tickBitmap, tickUpper, tickSpacing));
    dirty.ticks.add(tickLower).add(tickUpper);
  }

  const inside = getFeeGrowthInside(ticks, tickLower, tickUpper, tick, fg0, fg1);
  updatePosition(position, liquidityDelta, inside.feeGrowthInside0X128, inside.feeGrowthInside1X128);
  dirty.positions.add(key);

  if (liquidityDelta < 0n) {
    if (flippedLower) clearTick(ticks, tickLower);
    if (flippedUpper) clearTick(ticks, tickUpper);
  }
  if (liquidityDelta !== 0n && tick >= tickLower && tick < tickUpper) {
    state.liquidity += liquidityDelta;
    dirty.pool = true;
  }
  return position;
}

/** Throw unless the amounts the contract computes equal the event's. */
function checkAmounts(
  state: PoolState,
  event: ModifyEvent,
  key: string,
  amount0: bigint,
  amount1: bigint,
): void {
  if (amount0 !== event.amount0 || amount1 !== event.amount1) {
    throw poolInvariant(
      state,
      event,
      `amounts (${event.amount0}, ${event.amount1}) should be (${amount0}, ${amount1})`,
      {
        key,
      },
    );
  }
}

/**
 * Mint: UniswapV3Pool.mint → _modifyPosition(owner, range, +amount). Checks the event's amounts against the
 * contract's rounding (up) at the current price before changing anything.
 *
 * @example
 * applyMint(state, mint); // ticks, bitmap, position and in-range liquidity updated
 */
export function applyMint(state: PoolState, event: MintEvent): PoolState {
  if (event.amount <= 0n) throw poolInvariant(state, event, 'mints zero liquidity');
  const liquidityDelta = toInt128(event.amount);
  const key = positionKey(event.owner, event.tickLower, event.tickUpper);
  checkModify(state, event, key, liquidityDelta);
  const { amount0, amount1 } = modifyAmounts(state, event.tickLower, event.tickUpper, liquidityDelta);
  checkAmounts(state, event, key, amount0, amount1);
  modifyPosition(state, event.owner, event.tickLower, event.tickUpper, liquidityDelta, key);
  return state;
}

/**
 * Burn: UniswapV3Pool.burn → _modifyPosition(owner, range, −amount), then the amounts (rounded down) are
 * added to tokensOwed mod 2^128. `amount` 0 is a poke: it only credits the fees earned so far.
 *
 * @example
 * applyBurn(state, burn); // position.tokensOwed0 += burn.amount0 (+ fees)
 */
export function applyBurn(state: PoolState, event: BurnEvent): PoolState {
  const liquidityDelta = -toInt128(event.amount);
  const key = positionKey(event.owner, event.tickLower, event.tickUpper);
  checkModify(state, event, key, liquidityDelta);
  const { amount0, amount1 } = modifyAmounts(state, event.tickLower, event.tickUpper, liquidityDelta);
  checkAmounts(state, event, key, -amount0, -amount1);
  const position = modifyPosition(state, event.owner, event.tickLower, event.tickUpper, liquidityDelta, key);
  if (event.amount0 > 0n || event.amount1 > 0n) {
    position.tokensOwed0 = wrapUint128(position.tokensOwed0 + event.amount0);
    position.tokensOwed1 = wrapUint128(position.tokensOwed1 + event.amount1);
  }
  return state;
}
