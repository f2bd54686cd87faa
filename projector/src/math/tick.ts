import { MAX_UINT128 } from './constants';
import { ensure } from './ensure';
import { addDelta } from './liquidity-math';
import { addInt256, subInt256 } from './low-gas-safe-math';
import { toInt128 } from './safe-cast';
import { MAX_TICK, MIN_TICK } from './tick-math';
import { wrapUint256 } from './unsafe-math';

/**
 * Tick.Info without the oracle fields (tickCumulativeOutside, secondsPerLiquidityOutsideX128, secondsOutside),
 * which need block timestamps.
 */
export interface TickInfo {
  /** Total liquidity of the positions that use this tick as a bound. */
  liquidityGross: bigint;
  /** Liquidity added when the tick is crossed left to right (int128). */
  liquidityNet: bigint;
  /** Fee growth per unit of liquidity on the other side of the tick from the current tick. */
  feeGrowthOutside0X128: bigint;
  feeGrowthOutside1X128: bigint;
  initialized: boolean;
}

/** Initialized ticks by index; an absent tick reads as all zero, like unset contract storage. */
export type Ticks = Map<number, TickInfo>;

/**
 * Tick.tickSpacingToMaxLiquidityPerTick: uint128 max divided by the number of usable ticks.
 *
 * @example
 * tickSpacingToMaxLiquidityPerTick(60); // 11505743598341114571880798222544994n
 */
export function tickSpacingToMaxLiquidityPerTick(tickSpacing: number): bigint {
  const minTick = Math.trunc(MIN_TICK / tickSpacing) * tickSpacing;
  const maxTick = Math.trunc(MAX_TICK / tickSpacing) * tickSpacing;
  const numTicks = (maxTick - minTick) / tickSpacing + 1;
  return MAX_UINT128 / BigInt(numTicks);
}

/**
 * Tick.getFeeGrowthInside: fee growth per unit of liquidity between two ticks, all mod 2^256 like the
 * contract (only differences of it are meaningful).
 *
 * @example
 * const inside = getFeeGrowthInside(ticks, -60, 60, 0, feeGrowthGlobal0X128, feeGrowthGlobal1X128);
 */
export function getFeeGrowthInside(
  ticks: ReadonlyMap<number, TickInfo>,
  tickLower: number,
  tickUpper: number,
  tickCurrent: number,
  feeGrowthGlobal0X128: bigint,
  feeGrowthGlobal1X128: bigint,
): { feeGrowthInside0X128: bigint; feeGrowthInside1X128: bigint } {
  const lower = ticks.get(tickLower);
  const upper = ticks.get(tickUpper);
  const lower0 = lower?.feeGrowthOutside0X128 ?? 0n;
  const lower1 = lower?.feeGrowthOutside1X128 ?? 0n;
  const upper0 = upper?.feeGrowthOutside0X128 ?? 0n;
  const upper1 = upper?.feeGrowthOutside1X128 ?? 0n;

  const below0 = tickCurrent >= tickLower ? lower0 : feeGrowthGlobal0X128 - lower0;
  const below1 = tickCurrent >= tickLower ? lower1 : feeGrowthGlobal1X128 - lower1;
  const above0 = tickCurrent < tickUpper ? upper0 : feeGrowthGlobal0X128 - upper0;
  const above1 = tickCurrent < tickUpper ? upper1 : feeGrowthGlobal1X128 - upper1;

  return {
    feeGrowthInside0X128: wrapUint256(feeGrowthGlobal0X128 - below0 - above0),
    feeGrowthInside1X128: wrapUint256(feeGrowthGlobal1X128 - below1 - above1),
  };
}

/**
 * Tick.update: add `liquidityDelta` to a bound of a position. A tick initialized now takes all fee growth so
 * far as "below" (outside = global when tick ≤ current). Throws `LO` above `maxLiquidity`. Returns whether
 * the tick flipped between initialized and uninitialized; clearing it is the caller's job (see clearTick).
 *
 * @example
 * const flipped = updateTick(ticks, -60, 0, 1000n, fg0, fg1, false, maxLiquidityPerTick);
 */
export function updateTick(
  ticks: Ticks,
  tick: number,
  tickCurrent: number,
  liquidityDelta: bigint,
  feeGrowthGlobal0X128: bigint,
  feeGrowthGlobal1X128: bigint,
  upper: boolean,
  maxLiquidity: bigint,
): boolean {
  let info = ticks.get(tick);
  const liquidityGrossBefore = info?.liquidityGross ?? 0n;
  const liquidityGrossAfter = addDelta(liquidityGrossBefore, liquidityDelta);
  ensure(liquidityGrossAfter <= maxLiquidity, 'Tick: LO');

  if (info === undefined) {
    info = {
      liquidityGross: 0n,
      liquidityNet: 0n,
      feeGrowthOutside0X128: 0n,
      feeGrowthOutside1X128: 0n,
      initialized: false,
    };
    ticks.set(tick, info);
  }
  if (liquidityGrossBefore === 0n) {
    // by convention, all growth before a tick was initialized happened below it
    if (tick <= tickCurrent) {
      info.feeGrowthOutside0X128 = feeGrowthGlobal0X128;
      info.feeGrowthOutside1X128 = feeGrowthGlobal1X128;
    }
    info.initialized = true;
  }
  info.liquidityGross = liquidityGrossAfter;
  info.liquidityNet = toInt128(
    upper ? subInt256(info.liquidityNet, liquidityDelta) : addInt256(info.liquidityNet, liquidityDelta),
  );
  return (liquidityGrossAfter === 0n) !== (liquidityGrossBefore === 0n);
}

/**
 * Tick.clear: delete a tick's data (when its last position left).
 *
 * @example
 * clearTick(ticks, -60);
 */
export function clearTick(ticks: Ticks, tick: number): void {
  ticks.delete(tick);
}

/**
 * Tick.cross: flip the tick's fee growth outside to the other side (global − outside, mod 2^256) and return
 * its liquidityNet. The pool only crosses initialized ticks: crossing a missing one throws.
 *
 * @example
 * const liquidityNet = crossTick(ticks, 60, fg0, fg1);
 */
export function crossTick(
  ticks: Ticks,
  tick: number,
  feeGrowthGlobal0X128: bigint,
  feeGrowthGlobal1X128: bigint,
): bigint {
  const info = ticks.get(tick);
  ensure(info !== undefined, `Tick: crossing tick ${tick}, which is not initialized`);
  info.feeGrowthOutside0X128 = wrapUint256(feeGrowthGlobal0X128 - info.feeGrowthOutside0X128);
  info.feeGrowthOutside1X128 = wrapUint256(feeGrowthGlobal1X128 - info.feeGrowthOutside1X128);
  return info.liquidityNet;
}
