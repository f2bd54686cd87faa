import { describe, expect, it } from 'vitest';
import { ceilDiv, E18, Q96, Q128 } from '../math/test-reference';
import { evolvePool } from './pool';
import { createPoolState, positionKey, takeChanges } from './state';
import {
  ALICE,
  BOB,
  burnEvent,
  ev,
  expectInvariant,
  FACTORY,
  initializedPool,
  mint,
  POOL,
  poolWithAlice,
  TOKEN0,
  TOKEN1,
} from './test-fixtures';

const ALICE_IN = positionKey(ALICE, -60, 60);

describe('Initialize', () => {
  it('given a created pool, when Initialize, then price, tick, oracle slot and dirty flag are set', () => {
    const created = ev(
      'PoolCreated',
      { token0: TOKEN0, token1: TOKEN1, fee: 500, tickSpacing: 10, pool: POOL },
      FACTORY,
    );
    const state = createPoolState(created);
    takeChanges(state);
    evolvePool(state, ev('Initialize', { sqrtPriceX96: Q96, tick: 0 }));
    expect(state).toMatchObject({
      sqrtPriceX96: Q96,
      tick: 0,
      liquidity: 0n,
      feeProtocol: 0,
      observationCardinalityNext: 1,
    });
    expect(state.maxLiquidityPerTick).toBe(1917569901783203986719870431555990n);
    expect(takeChanges(state).pool).toBe(true);
  });

  it('error: a tick that does not match the price', () => {
    const state = createPoolState(
      ev('PoolCreated', { token0: TOKEN0, token1: TOKEN1, fee: 3000, tickSpacing: 60, pool: POOL }, FACTORY),
    );
    expect(() => evolvePool(state, ev('Initialize', { sqrtPriceX96: Q96 - 1n, tick: 0 }))).toThrow(
      /should be -1/,
    );
  });

  it('error: initialized twice', () => {
    const state = poolWithAlice();
    expectInvariant(
      state,
      () => evolvePool(state, ev('Initialize', { sqrtPriceX96: Q96, tick: 0 })),
      /already/,
    );
  });
});

describe('Collect', () => {
  function owed() {
    const state = poolWithAlice();
    const burn = burnEvent(state, ALICE, -60, 60, E18 / 2n);
    evolvePool(state, burn);
    return { state, burn };
  }

  it('subtracts what was paid from tokensOwed', () => {
    const { state, burn } = owed();
    const collect = (amount0: bigint, amount1: bigint) =>
      ev('Collect', { owner: ALICE, recipient: BOB, tickLower: -60, tickUpper: 60, amount0, amount1 });
    evolvePool(state, collect(1n, burn.amount1));
    expect(state.positions.get(ALICE_IN)).toMatchObject({ tokensOwed0: burn.amount0 - 1n, tokensOwed1: 0n });
    evolvePool(state, collect(burn.amount0 - 1n, 0n));
    expect(state.positions.get(ALICE_IN)).toMatchObject({ tokensOwed0: 0n, tokensOwed1: 0n });
  });

  it('nothing collected from a position that does not exist changes nothing', () => {
    const state = poolWithAlice();
    evolvePool(
      state,
      ev('Collect', { owner: BOB, recipient: BOB, tickLower: 0, tickUpper: 60, amount0: 0n, amount1: 0n }),
    );
    expect(takeChanges(state).positions.size).toBe(0);
    expect(state.positions.size).toBe(1);
  });

  it('error: more than owed', () => {
    const { state, burn } = owed();
    const collect = ev('Collect', {
      owner: ALICE,
      recipient: BOB,
      tickLower: -60,
      tickUpper: 60,
      amount0: burn.amount0 + 1n,
      amount1: 0n,
    });
    expectInvariant(state, () => evolvePool(state, collect), /owed/);
  });
});

describe('Flash', () => {
  it('with the fee protocol on: 1/n to the protocol, the rest to fee growth', () => {
    const state = poolWithAlice();
    evolvePool(
      state,
      ev('SetFeeProtocol', {
        feeProtocol0Old: 0,
        feeProtocol1Old: 0,
        feeProtocol0New: 4,
        feeProtocol1New: 5,
      }),
    );
    const paid0 = 3n * 10n ** 12n + 3n; // more than the fee is fine
    evolvePool(
      state,
      ev('Flash', { sender: BOB, recipient: BOB, amount0: 10n ** 15n, amount1: 0n, paid0, paid1: 11n }),
    );
    expect(state.protocolFees).toEqual({ token0: paid0 / 4n, token1: 2n });
    expect(state.feeGrowthGlobal0X128).toBe(((paid0 - paid0 / 4n) * Q128) / E18);
    expect(state.feeGrowthGlobal1X128).toBe((9n * Q128) / E18);
  });

  it('error: paid less than the fee, or no liquidity in range', () => {
    const state = poolWithAlice();
    const fee0 = ceilDiv(10n ** 15n * 3000n, 10n ** 6n);
    const flash = (paid0: bigint) =>
      ev('Flash', { sender: BOB, recipient: BOB, amount0: 10n ** 15n, amount1: 0n, paid0, paid1: 0n });
    expectInvariant(state, () => evolvePool(state, flash(fee0 - 1n)), /less than the fees/);
    const empty = initializedPool(Q96, 0);
    expect(() => evolvePool(empty, flash(fee0))).toThrow(/no liquidity/);
  });
});

describe('SetFeeProtocol', () => {
  it('packs feeProtocol0 + (feeProtocol1 << 4)', () => {
    const state = poolWithAlice();
    evolvePool(
      state,
      ev('SetFeeProtocol', {
        feeProtocol0Old: 0,
        feeProtocol1Old: 0,
        feeProtocol0New: 4,
        feeProtocol1New: 5,
      }),
    );
    expect(state.feeProtocol).toBe(84);
    evolvePool(
      state,
      ev('SetFeeProtocol', {
        feeProtocol0Old: 4,
        feeProtocol1Old: 5,
        feeProtocol0New: 0,
        feeProtocol1New: 10,
      }),
    );
    expect(state.feeProtocol).toBe(160);
  });

  it('error: old values that differ from the state, or an invalid value', () => {
    const state = poolWithAlice();
    const set = (old0: number, new0: number) =>
      ev('SetFeeProtocol', {
        feeProtocol0Old: old0,
        feeProtocol1Old: 0,
        feeProtocol0New: new0,
        feeProtocol1New: 0,
      });
    expectInvariant(state, () => evolvePool(state, set(4, 5)), /old fee protocol/);
    expectInvariant(state, () => evolvePool(state, set(0, 3)), /invalid/);
  });
});

describe('CollectProtocol', () => {
  function withProtocolFees() {
    const state = poolWithAlice();
    evolvePool(
      state,
      ev('SetFeeProtocol', {
        feeProtocol0Old: 0,
        feeProtocol1Old: 0,
        feeProtocol0New: 4,
        feeProtocol1New: 4,
      }),
    );
    evolvePool(
      state,
      ev('Flash', { sender: BOB, recipient: BOB, amount0: 0n, amount1: 0n, paid0: 400n, paid1: 40n }),
    );
    return state;
  }

  it('subtracts; the contract leaves at least 1 in a non-empty slot', () => {
    const state = withProtocolFees();
    evolvePool(state, ev('CollectProtocol', { sender: BOB, recipient: BOB, amount0: 99n, amount1: 0n }));
    expect(state.protocolFees).toEqual({ token0: 1n, token1: 10n });
  });

  it('error: the whole balance or more', () => {
    const state = withProtocolFees();
    expectInvariant(
      state,
      () =>
        evolvePool(state, ev('CollectProtocol', { sender: BOB, recipient: BOB, amount0: 100n, amount1: 0n })),
      /protocol fees/,
    );
  });
});

describe('IncreaseObservationCardinalityNext', () => {
  it('moves from the old value to the new', () => {
    const state = poolWithAlice();
    evolvePool(
      state,
      ev('IncreaseObservationCardinalityNext', {
        observationCardinalityNextOld: 1,
        observationCardinalityNextNew: 10,
      }),
    );
    expect(state.observationCardinalityNext).toBe(10);
  });

  it('error: an old value that differs from the state', () => {
    const state = poolWithAlice();
    const event = ev('IncreaseObservationCardinalityNext', {
      observationCardinalityNextOld: 2,
      observationCardinalityNextNew: 10,
    });
    expectInvariant(state, () => evolvePool(state, event), /cardinality/);
  });
});

describe('takeChanges', () => {
  it('hands over the record and starts a new one', () => {
    const state = poolWithAlice();
    expect(takeChanges(state)).toEqual({
      pool: false,
      ticks: new Set(),
      bitmapWords: new Set(),
      positions: new Set(),
    });
    mint(state, BOB, -60, 60, 1n);
    expect(takeChanges(state).positions).toEqual(new Set([positionKey(BOB, -60, 60)]));
    expect(takeChanges(state).positions.size).toBe(0);
  });
});
