import { describe, expect, it } from 'vitest';
import { getSqrtRatioAtTick, MAX_UINT128 } from '../math';
import { amount0Between, amount1Between, E18, Q96, Q128 } from '../math/test-reference';
import { evolvePool } from './pool';
import { createPoolState, positionKey, takeChanges } from './state';
import {
  ALICE,
  at,
  BOB,
  burnEvent,
  ev,
  expectInvariant,
  FACTORY,
  initializedPool,
  mint,
  mintEvent,
  POOL,
  poolWithAlice,
  TOKEN0,
  TOKEN1,
} from './test-fixtures';

const ALICE_IN = positionKey(ALICE, -60, 60);

describe('Mint', () => {
  it('in range: ticks, bitmap, position and pool liquidity', () => {
    const state = initializedPool(Q96, 0);
    const event = mintEvent(state, ALICE, -60, 60, E18);
    // price 1 → ticks ±60: token0 = L(1 − 1/√1.0001^60), token1 = L(1 − √1.0001^-60), both rounded up
    expect(event.amount0).toBe(amount0Between(Q96, getSqrtRatioAtTick(60), E18, true));
    expect(event.amount1).toBe(amount1Between(getSqrtRatioAtTick(-60), Q96, E18, true));
    takeChanges(state);
    evolvePool(state, event);

    expect(state.liquidity).toBe(E18);
    expect(state.ticks.get(-60)).toEqual({
      liquidityGross: E18,
      liquidityNet: E18,
      feeGrowthOutside0X128: 0n,
      feeGrowthOutside1X128: 0n,
      initialized: true,
    });
    expect(state.ticks.get(60)).toMatchObject({ liquidityGross: E18, liquidityNet: -E18 });
    expect(state.tickBitmap).toEqual(
      new Map([
        [-1, 1n << 255n],
        [0, 2n],
      ]),
    );
    expect(state.positions.get(ALICE_IN)).toEqual({
      owner: ALICE,
      tickLower: -60,
      tickUpper: 60,
      liquidity: E18,
      feeGrowthInside0LastX128: 0n,
      feeGrowthInside1LastX128: 0n,
      tokensOwed0: 0n,
      tokensOwed1: 0n,
    });
    const changes = takeChanges(state);
    expect(changes).toEqual({
      pool: true,
      ticks: new Set([-60, 60]),
      bitmapWords: new Set([-1, 0]),
      positions: new Set([ALICE_IN]),
    });
  });

  it('above the price: token0 only, pool liquidity unchanged', () => {
    const state = poolWithAlice();
    const event = mintEvent(state, BOB, 60, 120, E18);
    expect(event).toMatchObject({
      amount0: amount0Between(getSqrtRatioAtTick(60), getSqrtRatioAtTick(120), E18, true),
      amount1: 0n,
    });
    evolvePool(state, event);
    expect(state.liquidity).toBe(E18);
    expect(state.ticks.get(60)).toMatchObject({ liquidityGross: 2n * E18, liquidityNet: 0n });
  });

  it('below the price: token1 only', () => {
    const state = poolWithAlice();
    const event = mintEvent(state, BOB, -120, -60, E18);
    expect(event).toMatchObject({
      amount0: 0n,
      amount1: amount1Between(getSqrtRatioAtTick(-120), getSqrtRatioAtTick(-60), E18, true),
    });
    evolvePool(state, event);
    expect(state.liquidity).toBe(E18);
    expect(state.tickBitmap.get(-1)).toBe((1n << 255n) | (1n << 254n));
  });

  it('behavior: a new tick at or below the current tick starts with all growth outside', () => {
    const state = poolWithAlice();
    evolvePool(
      state,
      ev('Flash', { sender: BOB, recipient: BOB, amount0: 0n, amount1: 0n, paid0: 7n, paid1: 9n }),
    );
    mint(state, BOB, -120, 0, E18);
    mint(state, BOB, 120, 180, E18);
    const g0 = state.feeGrowthGlobal0X128;
    const g1 = state.feeGrowthGlobal1X128;
    expect(state.ticks.get(-120)).toMatchObject({ feeGrowthOutside0X128: g0, feeGrowthOutside1X128: g1 });
    expect(state.ticks.get(0)).toMatchObject({ feeGrowthOutside0X128: g0, feeGrowthOutside1X128: g1 });
    expect(state.ticks.get(120)).toMatchObject({ feeGrowthOutside0X128: 0n, feeGrowthOutside1X128: 0n });
  });

  it('error: amounts that contradict the price', () => {
    const state = poolWithAlice();
    const event = mintEvent(state, BOB, -60, 60, E18);
    expectInvariant(state, () => evolvePool(state, { ...event, amount0: event.amount0 - 1n }), /amounts/);
  });

  it('error: ticks off the spacing, a bad range, above the per-tick maximum', () => {
    const state = poolWithAlice();
    const at = (tickLower: number, tickUpper: number, amount: bigint) =>
      ev('Mint', { sender: BOB, owner: BOB, tickLower, tickUpper, amount, amount0: 0n, amount1: 0n });
    expectInvariant(state, () => evolvePool(state, at(-61, 60, 1n)), /spacing/);
    expectInvariant(state, () => evolvePool(state, at(60, -60, 1n)), /CT/);
    expectInvariant(
      state,
      () => evolvePool(state, at(-60, 60, state.maxLiquidityPerTick)),
      /gross liquidity/,
    );
    expectInvariant(state, () => evolvePool(state, at(-60, 60, 0n)), /zero/);
  });

  it('error: before Initialize, or from another contract', () => {
    const created = createPoolState(
      ev('PoolCreated', { token0: TOKEN0, token1: TOKEN1, fee: 3000, tickSpacing: 60, pool: POOL }, FACTORY),
    );
    expect(() => evolvePool(created, mintEvent(poolWithAlice(), ALICE, -60, 60, 1n))).toThrow(
      /not initialized/,
    );
    const state = poolWithAlice();
    const event = { ...mintEvent(state, ALICE, -60, 60, 1n), log: at(BOB) };
    expectInvariant(state, () => evolvePool(state, event), /emitted by/);
  });
});

describe('Burn', () => {
  it('partial: amounts rounded down go to tokensOwed, ticks keep the rest', () => {
    const state = poolWithAlice();
    const event = burnEvent(state, ALICE, -60, 60, (4n * E18) / 10n);
    expect(event.amount0).toBe(amount0Between(Q96, getSqrtRatioAtTick(60), (4n * E18) / 10n, false));
    evolvePool(state, event);
    expect(state.liquidity).toBe((6n * E18) / 10n);
    expect(state.ticks.get(60)).toMatchObject({ liquidityGross: (6n * E18) / 10n });
    expect(state.positions.get(ALICE_IN)).toMatchObject({
      liquidity: (6n * E18) / 10n,
      tokensOwed0: event.amount0,
      tokensOwed1: event.amount1,
    });
  });

  it('all of it: the ticks are cleared and the bitmap words emptied; the position stays', () => {
    const state = poolWithAlice();
    const event = burnEvent(state, ALICE, -60, 60, E18);
    evolvePool(state, event);
    expect(state.liquidity).toBe(0n);
    expect(state.ticks.size).toBe(0);
    expect(state.tickBitmap.size).toBe(0);
    expect(state.positions.get(ALICE_IN)).toMatchObject({ liquidity: 0n, tokensOwed0: event.amount0 });
    expect(takeChanges(state)).toMatchObject({ ticks: new Set([-60, 60]), bitmapWords: new Set([-1, 0]) });
  });

  it('behavior: tokensOwed wraps at 2^128 like the contract', () => {
    const state = poolWithAlice();
    const position = state.positions.get(ALICE_IN);
    if (position === undefined) throw new Error('no position');
    position.tokensOwed0 = MAX_UINT128;
    const burn = burnEvent(state, ALICE, -60, 60, E18 / 2n);
    evolvePool(state, burn);
    expect(position.tokensOwed0).toBe(burn.amount0 - 1n);
  });

  it('error: more than the position holds', () => {
    const state = poolWithAlice();
    expectInvariant(
      state,
      () => evolvePool(state, burnEvent(state, ALICE, -60, 60, E18 + 1n)),
      /cannot take/,
    );
  });
});

describe('Burn: zero-amount poke', () => {
  it('credits the fees earned since the last update', () => {
    const state = poolWithAlice();
    // a flash of 1e15 token0 pays ceil(1e15 × 0.3%) = 3e12
    evolvePool(
      state,
      ev('Flash', {
        sender: BOB,
        recipient: BOB,
        amount0: 10n ** 15n,
        amount1: 0n,
        paid0: 3n * 10n ** 12n,
        paid1: 0n,
      }),
    );
    const growth = (3n * 10n ** 12n * Q128) / E18;
    expect(state.feeGrowthGlobal0X128).toBe(growth);

    evolvePool(
      state,
      ev('Burn', { owner: ALICE, tickLower: -60, tickUpper: 60, amount: 0n, amount0: 0n, amount1: 0n }),
    );
    expect(state.positions.get(ALICE_IN)).toMatchObject({
      liquidity: E18,
      feeGrowthInside0LastX128: growth,
      tokensOwed0: (growth * E18) / Q128, // 3e12 − 1: rounding down twice
      tokensOwed1: 0n,
    });
    expect((growth * E18) / Q128).toBe(3n * 10n ** 12n - 1n);
    expect(takeChanges(state).positions).toEqual(new Set([ALICE_IN]));
  });

  it('error: NP, a position without liquidity', () => {
    const state = poolWithAlice();
    const poke = ev('Burn', {
      owner: BOB,
      tickLower: -60,
      tickUpper: 60,
      amount: 0n,
      amount0: 0n,
      amount1: 0n,
    });
    expectInvariant(state, () => evolvePool(state, poke), /NP/);
  });
});
