import { describe, expect, it } from 'vitest';
import { getSqrtRatioAtTick, getTickAtSqrtRatio } from '../math';
import { amount0Between, amount1Between, ceilDiv, E18, fullStep, Q96, Q128 } from '../math/test-reference';
import { evolvePool } from './pool';
import { type PoolState, positionKey, takeChanges } from './state';
import { ALICE, ev, expectInvariant, initializedPool, mint, poolWithAlice, swapEvent } from './test-fixtures';

const FEE = 3000n;
const sqrtAt = getSqrtRatioAtTick;

/** Expected totals of full steps along the prices of `path`, one liquidity per step, 1/n to the protocol. */
function walk(path: bigint[], liquidities: bigint[], feeProtocol: bigint) {
  let paid = 0n;
  let out = 0n;
  let growth = 0n;
  let protocol = 0n;
  const growthAfter: bigint[] = [];
  liquidities.forEach((liquidity, i) => {
    const step = fullStep(path[i]!, path[i + 1]!, liquidity, FEE);
    const toProtocol = feeProtocol === 0n ? 0n : step.fee / feeProtocol;
    paid += step.amountIn + step.fee;
    out += step.amountOut;
    protocol += toProtocol;
    growth += ((step.fee - toProtocol) * Q128) / liquidity;
    growthAfter.push(growth);
  });
  return { paid, out, growth, protocol, growthAfter };
}

/**
 * Given: price 1 (tick 0), spacing 60, protocol fee 1/4 of token0 and 1/5 of token1, and liquidity
 * [-180,180] 1e18, [-60,60] 2e18, [60,120] 3e18, [-120,-60] 0.5e18. In range, by interval:
 * (-120,-60) 1.5e18 · (-60,60) 3e18 · (60,120) 4e18 · (120,180) 1e18.
 */
function ladder(): PoolState {
  const state = initializedPool(Q96, 0);
  mint(state, ALICE, -180, 180, E18);
  mint(state, ALICE, -60, 60, 2n * E18);
  mint(state, ALICE, 60, 120, 3n * E18);
  mint(state, ALICE, -120, -60, E18 / 2n);
  evolvePool(
    state,
    ev('SetFeeProtocol', { feeProtocol0Old: 0, feeProtocol1Old: 0, feeProtocol0New: 4, feeProtocol1New: 5 }),
  );
  takeChanges(state);
  return state;
}

function poke(state: PoolState, tickLower: number, tickUpper: number) {
  evolvePool(state, ev('Burn', { owner: ALICE, tickLower, tickUpper, amount: 0n, amount0: 0n, amount1: 0n }));
  return state.positions.get(positionKey(ALICE, tickLower, tickUpper));
}

describe('Swap: within one tick', () => {
  it('exact input of token1 ending inside the range: the rest of the input is the fee', () => {
    const state = poolWithAlice();
    const amountIn = 10n ** 15n + 1n;
    const lessFee = (amountIn * 997_000n) / 1_000_000n;
    const next = Q96 + (lessFee * Q96) / E18; // √P rises by amount / L, rounded down
    const used = ceilDiv(E18 * (next - Q96), Q96);
    const fee = amountIn - used;
    const out = amount0Between(Q96, next, E18, false);
    const tick = getTickAtSqrtRatio(next);

    evolvePool(state, swapEvent(-out, amountIn, next, E18, tick));

    expect(state).toMatchObject({ sqrtPriceX96: next, tick, liquidity: E18, feeGrowthGlobal0X128: 0n });
    expect(state.feeGrowthGlobal1X128).toBe((fee * Q128) / E18);
    expect(fee).toBeGreaterThan(ceilDiv(used * FEE, 1_000_000n - FEE)); // not the rounded-up fee of a full step
    expect(takeChanges(state)).toMatchObject({ pool: true, ticks: new Set() });
  });

  it('exact output of token1: the price moves by the output rounded up, the input is rounded up', () => {
    const state = poolWithAlice();
    const out = 10n ** 15n;
    const next = Q96 - ceilDiv(out * Q96, E18);
    const used = amount0Between(next, Q96, E18, true);
    const fee = ceilDiv(used * FEE, 1_000_000n - FEE);
    expect(amount1Between(next, Q96, E18, false)).toBeGreaterThanOrEqual(out); // capped to what was asked

    evolvePool(state, swapEvent(used + fee, -out, next, E18, getTickAtSqrtRatio(next)));

    expect(state.sqrtPriceX96).toBe(next);
    expect(state.feeGrowthGlobal0X128).toBe((fee * Q128) / E18);
    expect(state.feeGrowthGlobal1X128).toBe(0n);
  });

  it('exact output capped to the amount asked: only an exact-output replay reproduces it', () => {
    // with L > 2^96 one unit of √P is worth several wei of token1, so the rounded price overshoots the output
    const liquidity = 10n ** 30n;
    const state = mint(initializedPool(Q96, 0), ALICE, -60, 60, liquidity);
    const out = 10n ** 15n + 1n;
    const next = Q96 - ceilDiv(out * Q96, liquidity);
    const used = amount0Between(next, Q96, liquidity, true);
    const fee = ceilDiv(used * FEE, 1_000_000n - FEE);
    expect(amount1Between(next, Q96, liquidity, false)).toBeGreaterThan(out);

    evolvePool(state, swapEvent(used + fee, -out, next, liquidity, getTickAtSqrtRatio(next)));

    expect(state.sqrtPriceX96).toBe(next);
    expect(state.feeGrowthGlobal0X128).toBe((fee * Q128) / liquidity);
  });

  it('stopped by the price limit inside the range', () => {
    const state = poolWithAlice();
    const step = walk([Q96, sqrtAt(30)], [E18], 0n);
    evolvePool(state, swapEvent(-step.out, step.paid, sqrtAt(30), E18, 30));
    expect(state).toMatchObject({ sqrtPriceX96: sqrtAt(30), tick: 30, feeGrowthGlobal1X128: step.growth });
  });

  it('the entire input taken as fee: the price does not move', () => {
    const state = poolWithAlice();
    evolvePool(state, swapEvent(0n, 1n, Q96, E18, 0));
    expect(state).toMatchObject({ sqrtPriceX96: Q96, tick: 0, feeGrowthGlobal1X128: Q128 / E18 });
  });
});

describe('Swap: crosses ticks', () => {
  it('up then down across several initialized ticks, protocol fee on, both stopped by their limit', () => {
    const state = ladder();

    // up: token1 in, (0,60) 3e18 → cross 60 → (60,120) 4e18 → cross 120 → (120,150) 1e18
    const up = walk([Q96, sqrtAt(60), sqrtAt(120), sqrtAt(150)], [3n * E18, 4n * E18, E18], 5n);
    evolvePool(state, swapEvent(-up.out, up.paid, sqrtAt(150), E18, 150));

    expect(state).toMatchObject({ sqrtPriceX96: sqrtAt(150), tick: 150, liquidity: E18 });
    expect(state.feeGrowthGlobal1X128).toBe(up.growth);
    expect(state.protocolFees).toEqual({ token0: 0n, token1: up.protocol });
    expect(state.ticks.get(60)).toMatchObject({
      feeGrowthOutside0X128: 0n,
      feeGrowthOutside1X128: up.growthAfter[0],
    });
    expect(state.ticks.get(120)).toMatchObject({
      feeGrowthOutside0X128: 0n,
      feeGrowthOutside1X128: up.growthAfter[1],
    });
    expect(takeChanges(state).ticks).toEqual(new Set([60, 120]));

    // down: token0 in, (150,120) 1e18 → cross 120 → (120,60) 4e18 → cross 60 → (60,0) 3e18 → the word ends at
    // tick 0 (not initialized) → (0,-60) 3e18 → cross -60 → (-60,-90) 1.5e18
    const path = [sqrtAt(150), sqrtAt(120), sqrtAt(60), Q96, sqrtAt(-60), sqrtAt(-90)];
    const down = walk(path, [E18, 4n * E18, 3n * E18, 3n * E18, (3n * E18) / 2n], 4n);
    evolvePool(state, swapEvent(down.paid, -down.out, sqrtAt(-90), (3n * E18) / 2n, -90));

    expect(state).toMatchObject({ sqrtPriceX96: sqrtAt(-90), tick: -90, liquidity: (3n * E18) / 2n });
    expect(state.feeGrowthGlobal0X128).toBe(down.growth);
    expect(state.feeGrowthGlobal1X128).toBe(up.growth);
    expect(state.protocolFees).toEqual({ token0: down.protocol, token1: up.protocol });
    expect(state.ticks.get(120)).toMatchObject({
      feeGrowthOutside0X128: down.growthAfter[0],
      feeGrowthOutside1X128: up.growth - up.growthAfter[1]!,
    });
    expect(state.ticks.get(60)).toMatchObject({
      feeGrowthOutside0X128: down.growthAfter[1],
      feeGrowthOutside1X128: up.growth - up.growthAfter[0]!,
    });
    expect(state.ticks.get(-60)).toMatchObject({
      feeGrowthOutside0X128: down.growthAfter[3],
      feeGrowthOutside1X128: up.growth,
    });
    expect(state.ticks.get(-120)).toMatchObject({ feeGrowthOutside0X128: 0n, feeGrowthOutside1X128: 0n });
    expect(takeChanges(state).ticks).toEqual(new Set([120, 60, -60]));

    // then: fees inside each range are what was earned while the price was in it
    const upper = poke(state, 60, 120);
    expect(upper).toMatchObject({
      tokensOwed0: ((down.growthAfter[1]! - down.growthAfter[0]!) * 3n * E18) / Q128,
      tokensOwed1: ((up.growthAfter[1]! - up.growthAfter[0]!) * 3n * E18) / Q128,
    });
    const wide = poke(state, -180, 180);
    expect(wide).toMatchObject({
      tokensOwed0: (down.growth * E18) / Q128,
      tokensOwed1: (up.growth * E18) / Q128,
    });
  });

  it('exact input ending inside a range after crossing two ticks', () => {
    const state = ladder();
    const full = walk([Q96, sqrtAt(60), sqrtAt(120)], [3n * E18, 4n * E18], 5n);
    const rest = 10n ** 15n;
    const next = sqrtAt(120) + (((rest * 997_000n) / 1_000_000n) * Q96) / E18;
    const lastFee = rest - ceilDiv(E18 * (next - sqrtAt(120)), Q96);
    const out = full.out + amount0Between(sqrtAt(120), next, E18, false);

    evolvePool(state, swapEvent(-out, full.paid + rest, next, E18, getTickAtSqrtRatio(next)));

    expect(state.feeGrowthGlobal1X128).toBe(full.growth + ((lastFee - lastFee / 5n) * Q128) / E18);
    expect(state.protocolFees.token1).toBe(full.protocol + lastFee / 5n);
    expect(state.ticks.get(120)?.feeGrowthOutside1X128).toBe(full.growthAfter[1]);
  });

  it('across a range without liquidity up to the price limit', () => {
    const state = poolWithAlice();
    const step = walk([Q96, sqrtAt(60)], [E18], 0n);
    evolvePool(state, swapEvent(-step.out, step.paid, sqrtAt(100), 0n, 100));
    expect(state).toMatchObject({
      sqrtPriceX96: sqrtAt(100),
      tick: 100,
      liquidity: 0n,
      feeGrowthGlobal1X128: step.growth,
    });
    expect(state.ticks.get(60)?.feeGrowthOutside1X128).toBe(step.growth);
  });
});

describe('Swap: contradicting the state', () => {
  const expectRejected = (state: PoolState, event: ReturnType<typeof swapEvent>) =>
    expectInvariant(
      state,
      () => evolvePool(state, event),
      /Swap of pool 0x8ad5.* at block \d+ tx 0 log \d+: no replay/,
    );

  it('error: one wei more than the contract would take, the state is left untouched', () => {
    const state = ladder();
    const up = walk([Q96, sqrtAt(60), sqrtAt(120), sqrtAt(150)], [3n * E18, 4n * E18, E18], 5n);
    expectRejected(state, swapEvent(-up.out, up.paid + 1n, sqrtAt(150), E18, 150));
  });

  it('error: a liquidity or a tick that the crossings do not give', () => {
    const state = ladder();
    const up = walk([Q96, sqrtAt(60), sqrtAt(120), sqrtAt(150)], [3n * E18, 4n * E18, E18], 5n);
    expectRejected(state, swapEvent(-up.out, up.paid, sqrtAt(150), 2n * E18, 150));
    expectRejected(state, swapEvent(-up.out, up.paid, sqrtAt(150), E18, 149));
  });

  it('error: amounts of the wrong sign, or nothing at all', () => {
    const state = poolWithAlice();
    expectRejected(state, swapEvent(5n, 5n, Q96, E18, 0));
    expectRejected(state, swapEvent(0n, 0n, Q96, E18, 0));
  });
});
