import { getTickAtSqrtRatio } from '../math';
import type { IncreaseObservationCardinalityNextEvent, InitializeEvent, SetFeeProtocolEvent } from './events';
import { poolInvariant } from './invariant';
import type { PoolState } from './state';

/**
 * Initialize: the first price. The event's tick must be getTickAtSqrtRatio of its price; the fee protocol
 * starts at 0 and the oracle at one slot, as in UniswapV3Pool.initialize.
 *
 * @example
 * applyInitialize(state, initialize); // state.tick === initialize.tick
 */
export function applyInitialize(state: PoolState, event: InitializeEvent): PoolState {
  if (state.sqrtPriceX96 !== 0n) throw poolInvariant(state, event, 'initializes a pool already initialized');
  const tick = getTickAtSqrtRatio(event.sqrtPriceX96);
  if (tick !== event.tick) {
    throw poolInvariant(state, event, `tick ${event.tick} should be ${tick} at price ${event.sqrtPriceX96}`);
  }
  state.sqrtPriceX96 = event.sqrtPriceX96;
  state.tick = tick;
  state.feeProtocol = 0;
  state.observationCardinalityNext = 1;
  state.dirty.pool = true;
  return state;
}

function isFeeProtocol(value: number): boolean {
  return value === 0 || (value >= 4 && value <= 10);
}

/**
 * SetFeeProtocol: the protocol's share of swap and flash fees, 1/n per token (0 = off, else 4..10), packed
 * as feeProtocol0 + (feeProtocol1 << 4). The event's old values must match the state.
 *
 * @example
 * applySetFeeProtocol(state, setFeeProtocol); // e.g. 4 and 5 → state.feeProtocol === 84
 */
export function applySetFeeProtocol(state: PoolState, event: SetFeeProtocolEvent): PoolState {
  const old0 = state.feeProtocol % 16;
  const old1 = state.feeProtocol >> 4;
  if (event.feeProtocol0Old !== old0 || event.feeProtocol1Old !== old1) {
    throw poolInvariant(
      state,
      event,
      `old fee protocol (${event.feeProtocol0Old}, ${event.feeProtocol1Old}) should be (${old0}, ${old1})`,
    );
  }
  if (!isFeeProtocol(event.feeProtocol0New) || !isFeeProtocol(event.feeProtocol1New)) {
    throw poolInvariant(
      state,
      event,
      `invalid fee protocol (${event.feeProtocol0New}, ${event.feeProtocol1New})`,
    );
  }
  state.feeProtocol = event.feeProtocol0New + (event.feeProtocol1New << 4);
  state.dirty.pool = true;
  return state;
}

/**
 * IncreaseObservationCardinalityNext: the oracle will grow to the new number of slots.
 *
 * @example
 * applyIncreaseObservationCardinalityNext(state, event); // state.observationCardinalityNext === 10
 */
export function applyIncreaseObservationCardinalityNext(
  state: PoolState,
  event: IncreaseObservationCardinalityNextEvent,
): PoolState {
  const { observationCardinalityNextOld: old, observationCardinalityNextNew: next } = event;
  if (old !== state.observationCardinalityNext || next <= old || next > 65535) {
    throw poolInvariant(
      state,
      event,
      `cardinality ${old} → ${next}, but it is ${state.observationCardinalityNext}`,
    );
  }
  state.observationCardinalityNext = next;
  state.dirty.pool = true;
  return state;
}
