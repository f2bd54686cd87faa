import type { FactoryEvent, FeeAmountEnabledEvent, Hex, PoolCreatedEvent } from './events';
import { invariantError } from './invariant';

/** What identifies a pool, as the factory created it. */
export interface PoolKey {
  readonly token0: Hex;
  readonly token1: Hex;
  readonly fee: number;
  readonly tickSpacing: number;
}

/** The factory's state: enabled fee tiers and the pools created (by lowercased address). */
export interface FactoryState {
  readonly feeAmountTickSpacing: Map<number, number>;
  readonly pools: Map<Hex, PoolKey>;
}

/**
 * An empty factory. The factory's constructor emits FeeAmountEnabled for 500/10, 3000/60 and 10000/200, so
 * folding from the deployment block fills the tiers; a fold that starts later learns tiers from PoolCreated.
 *
 * @example
 * const factory = createFactoryState();
 */
export function createFactoryState(): FactoryState {
  return { feeAmountTickSpacing: new Map(), pools: new Map() };
}

function enableFeeAmount(state: FactoryState, event: FeeAmountEnabledEvent): FactoryState {
  const { fee, tickSpacing } = event;
  if (fee >= 1_000_000 || tickSpacing <= 0 || tickSpacing >= 16384 || state.feeAmountTickSpacing.has(fee)) {
    throw invariantError(
      event,
      `factory ${event.log.address}`,
      `cannot enable fee ${fee} / spacing ${tickSpacing}`,
    );
  }
  state.feeAmountTickSpacing.set(fee, tickSpacing);
  return state;
}

function createPool(state: FactoryState, event: PoolCreatedEvent): FactoryState {
  const token0 = event.token0.toLowerCase() as Hex;
  const token1 = event.token1.toLowerCase() as Hex;
  const pool = event.pool.toLowerCase() as Hex;
  const spacing = state.feeAmountTickSpacing.get(event.fee);
  const problem =
    token0 >= token1
      ? 'tokens not sorted'
      : spacing !== undefined && spacing !== event.tickSpacing
        ? `fee ${event.fee} has tick spacing ${spacing}, not ${event.tickSpacing}`
        : state.pools.has(pool)
          ? 'the pool already exists'
          : undefined;
  if (problem !== undefined) throw invariantError(event, `pool ${pool}`, problem);
  state.pools.set(pool, { token0, token1, fee: event.fee, tickSpacing: event.tickSpacing });
  return state;
}

/**
 * The factory fold: fee tiers and created pools, in place. Start the pool's own fold with
 * `createPoolState(poolCreated)`.
 *
 * @example
 * evolveFactory(factory, poolCreated); // factory.pools.get(pool) → { token0, token1, fee, tickSpacing }
 */
export function evolveFactory(state: FactoryState, event: FactoryEvent): FactoryState {
  switch (event.type) {
    case 'FeeAmountEnabled':
      return enableFeeAmount(state, event);
    case 'PoolCreated':
      return createPool(state, event);
    default:
      throw invariantError(event satisfies never, 'factory', 'unknown factory event');
  }
}
