import type { PositionInfo, TickBitmap, TickInfo } from '../math';
import { tickSpacingToMaxLiquidityPerTick } from '../math';
import type { Hex, PoolCreatedEvent } from './events';

/** A pool position: Position.Info plus the key parts, so a row can be written without parsing the key. */
export interface PositionState extends PositionInfo {
  /** Lowercased. */
  readonly owner: Hex;
  readonly tickLower: number;
  readonly tickUpper: number;
}

/** What changed since the last `takeChanges`: the store adapter writes only these. */
export interface PoolChanges {
  /** Any scalar field (price, tick, liquidity, fee growth, protocol fees, fee protocol, cardinality). */
  pool: boolean;
  /** Ticks written or deleted; a key absent from `state.ticks` means the tick was cleared. */
  readonly ticks: Set<number>;
  /** Bitmap words written or deleted; a key absent from `state.tickBitmap` means the word is zero. */
  readonly bitmapWords: Set<number>;
  /** Position keys written (positions are never deleted, like contract storage). */
  readonly positions: Set<string>;
}

/**
 * The state of one pool, equal to what the contract's getters return at the same block (except the oracle:
 * observations, observationIndex/Cardinality and the tick's oracle fields need block timestamps).
 * Mutable for speed: `evolvePool` changes it in place and returns it.
 */
export interface PoolState {
  /** The pool contract, lowercased. */
  readonly address: Hex;
  readonly token0: Hex;
  readonly token1: Hex;
  /** uint24, hundredths of a bip. */
  readonly fee: number;
  readonly tickSpacing: number;
  readonly maxLiquidityPerTick: bigint;
  /** 0 until Initialize. */
  sqrtPriceX96: bigint;
  tick: number;
  liquidity: bigint;
  feeGrowthGlobal0X128: bigint;
  feeGrowthGlobal1X128: bigint;
  readonly protocolFees: { token0: bigint; token1: bigint };
  /** As packed in slot0: feeProtocol0 + (feeProtocol1 << 4). */
  feeProtocol: number;
  observationCardinalityNext: number;
  /** Initialized ticks only. */
  readonly ticks: Map<number, TickInfo>;
  readonly tickBitmap: TickBitmap;
  /** By `positionKey(owner, tickLower, tickUpper)`. */
  readonly positions: Map<string, PositionState>;
  dirty: PoolChanges;
}

function noChanges(): PoolChanges {
  return { pool: false, ticks: new Set(), bitmapWords: new Set(), positions: new Set() };
}

/**
 * The state of a pool as the factory's `PoolCreated` leaves it: not initialized, no liquidity.
 *
 * @example
 * const state = createPoolState(poolCreated); // state.sqrtPriceX96 === 0n
 */
export function createPoolState(event: PoolCreatedEvent): PoolState {
  return {
    address: event.pool.toLowerCase() as Hex,
    token0: event.token0.toLowerCase() as Hex,
    token1: event.token1.toLowerCase() as Hex,
    fee: event.fee,
    tickSpacing: event.tickSpacing,
    maxLiquidityPerTick: tickSpacingToMaxLiquidityPerTick(event.tickSpacing),
    sqrtPriceX96: 0n,
    tick: 0,
    liquidity: 0n,
    feeGrowthGlobal0X128: 0n,
    feeGrowthGlobal1X128: 0n,
    protocolFees: { token0: 0n, token1: 0n },
    feeProtocol: 0,
    observationCardinalityNext: 0,
    ticks: new Map(),
    tickBitmap: new Map(),
    positions: new Map(),
    dirty: { ...noChanges(), pool: true },
  };
}

/**
 * The key of a position in `PoolState.positions`: "owner:tickLower:tickUpper", owner lowercased.
 *
 * @example
 * positionKey('0xAbC…', -60, 60); // '0xabc…:-60:60'
 */
export function positionKey(owner: Hex, tickLower: number, tickUpper: number): string {
  return `${owner.toLowerCase()}:${tickLower}:${tickUpper}`;
}

/**
 * Hand over what changed since the last call and start a new record. Call it after a sealed block is
 * folded, then write the returned keys (reading their values from `state`).
 *
 * @example
 * const changes = takeChanges(state);
 * for (const tick of changes.ticks) upsertOrDelete(tick, state.ticks.get(tick));
 */
export function takeChanges(state: PoolState): PoolChanges {
  const changes = state.dirty;
  state.dirty = noChanges();
  return changes;
}
