import { mulDiv, mulDivRoundingUp, Q128, wrapUint128, wrapUint256 } from '../math';
import type { CollectEvent, CollectProtocolEvent, FlashEvent } from './events';
import { poolInvariant } from './invariant';
import { type PoolState, positionKey } from './state';

const PIPS = 1_000_000n;

/**
 * Collect: the owner takes (part of) its tokensOwed. The event carries what was actually paid, which must
 * not exceed what the position owes. (0, 0) changes nothing, even for a position that does not exist.
 *
 * @example
 * applyCollect(state, collect); // position.tokensOwed0 -= collect.amount0
 */
export function applyCollect(state: PoolState, event: CollectEvent): PoolState {
  if (event.amount0 === 0n && event.amount1 === 0n) return state;
  const key = positionKey(event.owner, event.tickLower, event.tickUpper);
  const position = state.positions.get(key);
  const owed0 = position?.tokensOwed0 ?? 0n;
  const owed1 = position?.tokensOwed1 ?? 0n;
  if (position === undefined || event.amount0 > owed0 || event.amount1 > owed1) {
    throw poolInvariant(
      state,
      event,
      `collects (${event.amount0}, ${event.amount1}), owed (${owed0}, ${owed1})`,
      {
        key,
      },
    );
  }
  position.tokensOwed0 = owed0 - event.amount0;
  position.tokensOwed1 = owed1 - event.amount1;
  state.dirty.positions.add(key);
  return state;
}

/** What a flash fee of `paid` adds: the protocol's cut (1/feeProtocol) and fee growth for the rest. */
function flashAccrual(paid: bigint, feeProtocol: number, liquidity: bigint) {
  if (paid === 0n) return { protocolFee: 0n, feeGrowthX128: 0n };
  const protocolFee = feeProtocol === 0 ? 0n : paid / BigInt(feeProtocol);
  return {
    protocolFee: wrapUint128(protocolFee),
    feeGrowthX128: mulDiv(paid - protocolFee, Q128, liquidity),
  };
}

/**
 * Flash: the fees paid (paid0/paid1, at least amount × fee rounded up) go to the in-range liquidity, minus
 * the protocol's share, as in UniswapV3Pool.flash.
 *
 * @example
 * applyFlash(state, flash); // feeGrowthGlobal0X128 += (paid0 − paid0 / feeProtocol0) × 2^128 / liquidity
 */
export function applyFlash(state: PoolState, event: FlashEvent): PoolState {
  if (state.liquidity === 0n) throw poolInvariant(state, event, 'flash with no liquidity in range (L)');
  const fee = BigInt(state.fee);
  const fee0 = mulDivRoundingUp(event.amount0, fee, PIPS);
  const fee1 = mulDivRoundingUp(event.amount1, fee, PIPS);
  if (event.paid0 < fee0 || event.paid1 < fee1) {
    throw poolInvariant(
      state,
      event,
      `paid (${event.paid0}, ${event.paid1}) less than the fees (${fee0}, ${fee1})`,
    );
  }
  const accrual0 = flashAccrual(event.paid0, state.feeProtocol % 16, state.liquidity);
  const accrual1 = flashAccrual(event.paid1, state.feeProtocol >> 4, state.liquidity);
  state.protocolFees.token0 = wrapUint128(state.protocolFees.token0 + accrual0.protocolFee);
  state.protocolFees.token1 = wrapUint128(state.protocolFees.token1 + accrual1.protocolFee);
  state.feeGrowthGlobal0X128 = wrapUint256(state.feeGrowthGlobal0X128 + accrual0.feeGrowthX128);
  state.feeGrowthGlobal1X128 = wrapUint256(state.feeGrowthGlobal1X128 + accrual1.feeGrowthX128);
  state.dirty.pool = true;
  return state;
}

/**
 * CollectProtocol: the factory owner takes protocol fees. The contract never empties a non-zero balance (it
 * pays one less), so a paid amount must be strictly below the balance.
 *
 * @example
 * applyCollectProtocol(state, collectProtocol); // protocolFees.token0 -= amount0
 */
export function applyCollectProtocol(state: PoolState, event: CollectProtocolEvent): PoolState {
  const { token0, token1 } = state.protocolFees;
  if ((event.amount0 > 0n && event.amount0 >= token0) || (event.amount1 > 0n && event.amount1 >= token1)) {
    throw poolInvariant(
      state,
      event,
      `collects (${event.amount0}, ${event.amount1}) of protocol fees (${token0}, ${token1})`,
    );
  }
  state.protocolFees.token0 = token0 - event.amount0;
  state.protocolFees.token1 = token1 - event.amount1;
  state.dirty.pool = true;
  return state;
}
