/**
 * Test-only builders of ledger events and pool states. Amounts of mints and burns come from the reference
 * formulas in ../math/test-reference, not from the port under test.
 */
import { isTickstreamError } from '@tickstream/shared/errors';
import { expect } from 'vitest';
import { getSqrtRatioAtTick } from '../math';
import { amount0Between, amount1Between, E18, Q96 } from '../math/test-reference';
import type { Hex, LogPosition, UniswapEvent } from './events';
import { evolvePool } from './pool';
import { createPoolState, type PoolState, takeChanges } from './state';

export const FACTORY: Hex = '0x1f98431c8ad98523631ae4a59f267346ea31f984';
export const POOL: Hex = '0x8ad599c3a0ff1de082011efddc58f1908eb6e6d8';
export const MANAGER: Hex = '0xc36442b4a4522e871399cd717abdd847ab11fe88';
export const ALICE: Hex = '0x00000000000000000000000000000000000a11ce';
export const BOB: Hex = '0x0000000000000000000000000000000000000b0b';
export const TOKEN0: Hex = '0x1000000000000000000000000000000000000000';
export const TOKEN1: Hex = '0x2000000000000000000000000000000000000000';

let logIndex = 0;

export function at(address: Hex): LogPosition {
  logIndex++;
  return { blockNumber: 100 + logIndex, txIndex: 0, logIndex, blockHash: `0x${'ab'.repeat(32)}`, address };
}

type Of<T extends UniswapEvent['type']> = Extract<UniswapEvent, { type: T }>;

/** An event of `type` emitted by `address` (the pool unless told). */
export function ev<T extends UniswapEvent['type']>(
  type: T,
  args: Omit<Of<T>, 'type' | 'log'>,
  address = POOL,
): Of<T> {
  return { type, log: at(address), ...args } as Of<T>;
}

/** A pool created by the factory and initialized at `sqrtPriceX96` (tick from the event, as the chain says). */
export function initializedPool(sqrtPriceX96: bigint, tick: number, fee = 3000, tickSpacing = 60): PoolState {
  const created = ev(
    'PoolCreated',
    { token0: TOKEN0, token1: TOKEN1, fee, tickSpacing, pool: POOL },
    FACTORY,
  );
  return evolvePool(createPoolState(created), ev('Initialize', { sqrtPriceX96, tick }));
}

/** The amounts _modifyPosition moves for liquidity L at the pool's current price (up for mint, down for burn). */
export function positionAmounts(
  state: PoolState,
  tickLower: number,
  tickUpper: number,
  liquidity: bigint,
  up: boolean,
) {
  const a = getSqrtRatioAtTick(tickLower);
  const b = getSqrtRatioAtTick(tickUpper);
  const p = state.sqrtPriceX96;
  if (state.tick < tickLower) return { amount0: amount0Between(a, b, liquidity, up), amount1: 0n };
  if (state.tick >= tickUpper) return { amount0: 0n, amount1: amount1Between(a, b, liquidity, up) };
  return { amount0: amount0Between(p, b, liquidity, up), amount1: amount1Between(a, p, liquidity, up) };
}

export function mintEvent(
  state: PoolState,
  owner: Hex,
  tickLower: number,
  tickUpper: number,
  amount: bigint,
) {
  const { amount0, amount1 } = positionAmounts(state, tickLower, tickUpper, amount, true);
  return ev('Mint', { sender: owner, owner, tickLower, tickUpper, amount, amount0, amount1 });
}

export function burnEvent(
  state: PoolState,
  owner: Hex,
  tickLower: number,
  tickUpper: number,
  amount: bigint,
) {
  const { amount0, amount1 } = positionAmounts(state, tickLower, tickUpper, amount, false);
  return ev('Burn', { owner, tickLower, tickUpper, amount, amount0, amount1 });
}

export function mint(
  state: PoolState,
  owner: Hex,
  tickLower: number,
  tickUpper: number,
  amount: bigint,
): PoolState {
  return evolvePool(state, mintEvent(state, owner, tickLower, tickUpper, amount));
}

export function swapEvent(
  amount0: bigint,
  amount1: bigint,
  sqrtPriceX96: bigint,
  liquidity: bigint,
  tick: number,
) {
  return ev('Swap', { sender: BOB, recipient: BOB, amount0, amount1, sqrtPriceX96, liquidity, tick });
}

/** Given: a 0.3% pool at price 1 (tick 0) with Alice's 1e18 of liquidity in [-60, 60], changes taken. */
export function poolWithAlice(): PoolState {
  const state = mint(initializedPool(Q96, 0), ALICE, -60, 60, E18);
  takeChanges(state);
  return state;
}

/** Expect `act` to throw PROJECTION_INVARIANT with `message`, leaving `state` as it was. */
export function expectInvariant(state: object, act: () => unknown, message: RegExp): void {
  const before = structuredClone(state);
  let thrown: unknown;
  try {
    act();
  } catch (err) {
    thrown = err;
  }
  expect(isTickstreamError(thrown, 'PROJECTION_INVARIANT'), String(thrown)).toBe(true);
  expect((thrown as Error).message).toMatch(message);
  expect(state).toEqual(before);
}
