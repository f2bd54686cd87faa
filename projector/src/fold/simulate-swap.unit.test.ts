import { describe, expect, it } from 'vitest';
import {
  getSqrtRatioAtTick,
  getTickAtSqrtRatio,
  MAX_SQRT_RATIO,
  MAX_TICK,
  MIN_SQRT_RATIO,
  MIN_TICK,
} from '../math';
import { E18, prng, Q96 } from '../math/test-reference';
import { evolvePool } from './pool';
import { simulateSwap } from './simulate-swap';
import type { PoolState } from './state';
import { ALICE, BOB, ev, initializedPool, mint, swapEvent } from './test-fixtures';

const TWO_256 = 2n ** 256n;
const SEED = Number(process.env.TEST_SEED ?? 7);

describe('simulateSwap', () => {
  it('does not change the state', () => {
    const state = mint(initializedPool(Q96, 0), ALICE, -60, 60, E18);
    const before = structuredClone(state);
    const sim = simulateSwap(state, true, 10n ** 15n, MIN_SQRT_RATIO + 1n);
    expect(sim.amount0).toBe(10n ** 15n);
    expect(sim.amount1).toBeLessThan(0n);
    expect(state).toEqual(before);
  });

  it('error: AS, SPL and LOK like the contract', () => {
    const state = mint(initializedPool(Q96, 0), ALICE, -60, 60, E18);
    expect(() => simulateSwap(state, true, 0n, MIN_SQRT_RATIO + 1n)).toThrow(/AS/);
    expect(() => simulateSwap(state, true, 1n, Q96)).toThrow(/SPL/);
    expect(() => simulateSwap(state, true, 1n, MIN_SQRT_RATIO)).toThrow(/SPL/);
    expect(() => simulateSwap(state, false, 1n, MAX_SQRT_RATIO)).toThrow(/SPL/);
  });
});

const TIERS = [
  { fee: 100, spacing: 1 },
  { fee: 500, spacing: 10 },
  { fee: 3000, spacing: 60 },
  { fee: 10000, spacing: 200 },
] as const;

/** A random pool: random tier, price, fee protocol and 1..8 positions around the price. */
function randomPool(random: () => number): PoolState {
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const { fee, spacing } = TIERS[int(0, 3)]!;
  const start = getSqrtRatioAtTick(int(-5000, 5000)) + BigInt(int(0, 1e9));
  const state = initializedPool(start, getTickAtSqrtRatio(start), fee, spacing);
  const [p0, p1] = [[0, 4, 7, 10][int(0, 3)]!, [0, 5, 10][int(0, 2)]!];
  evolvePool(
    state,
    ev('SetFeeProtocol', {
      feeProtocol0Old: 0,
      feeProtocol1Old: 0,
      feeProtocol0New: p0,
      feeProtocol1New: p1,
    }),
  );
  const center = Math.round(state.tick / spacing);
  for (let i = int(1, 8); i > 0; i--) {
    const lower = (center + int(-40, 20)) * spacing;
    const upper = lower + int(1, 40) * spacing;
    mint(state, i % 2 ? ALICE : BOB, lower, upper, BigInt(int(1, 1e6)) * 10n ** BigInt(int(9, 15)));
  }
  return state;
}

describe('Swap: replay finds the contract arguments', () => {
  it(`behavior: folds back every swap the loop produces, exact in or out, with or without a limit (seed ${SEED})`, () => {
    const random = prng(SEED);
    let folded = 0;
    for (let p = 0; p < 25; p++) {
      const state = randomPool(random);
      for (let s = 0; s < 20; s++) {
        const zeroForOne = random() < 0.5;
        const magnitude = BigInt(Math.floor(random() * 1e6) + 1) * 10n ** BigInt(Math.floor(random() * 16));
        const amountSpecified = random() < 0.5 ? magnitude : -magnitude;
        const ticksAway = Math.floor(random() * 3000) + 1;
        const limit =
          random() < 0.5
            ? zeroForOne
              ? MIN_SQRT_RATIO + 1n
              : MAX_SQRT_RATIO - 1n
            : getSqrtRatioAtTick(
                Math.max(MIN_TICK, Math.min(MAX_TICK, state.tick + (zeroForOne ? -ticksAway : ticksAway))),
              );
        let sim: ReturnType<typeof simulateSwap>;
        try {
          sim = simulateSwap(state, zeroForOne, amountSpecified, limit);
        } catch {
          continue; // the contract would revert: no event
        }
        const where = `seed ${SEED}, pool ${p}, swap ${s}: ${zeroForOne} ${amountSpecified} limit ${limit}`;
        const before = structuredClone(state);
        evolvePool(state, swapEvent(sim.amount0, sim.amount1, sim.sqrtPriceX96, sim.liquidity, sim.tick));

        const [growth, other] = zeroForOne
          ? [state.feeGrowthGlobal0X128, state.feeGrowthGlobal1X128]
          : [state.feeGrowthGlobal1X128, state.feeGrowthGlobal0X128];
        expect(growth, where).toBe(sim.feeGrowthGlobalX128);
        const protocol = zeroForOne
          ? state.protocolFees.token0 - before.protocolFees.token0
          : state.protocolFees.token1 - before.protocolFees.token1;
        expect(protocol, where).toBe(sim.protocolFee);
        sim.crossedTicks.forEach((tick, i) => {
          const was = before.ticks.get(tick)!;
          const now = state.ticks.get(tick)!;
          const [inNow, inWas, otherNow, otherWas] = zeroForOne
            ? [
                now.feeGrowthOutside0X128,
                was.feeGrowthOutside0X128,
                now.feeGrowthOutside1X128,
                was.feeGrowthOutside1X128,
              ]
            : [
                now.feeGrowthOutside1X128,
                was.feeGrowthOutside1X128,
                now.feeGrowthOutside0X128,
                was.feeGrowthOutside0X128,
              ];
          expect(inNow, where).toBe((sim.crossedFeeGrowthX128[i]! - inWas + TWO_256) % TWO_256);
          expect(otherNow, where).toBe((other - otherWas + TWO_256) % TWO_256);
        });
        folded++;
      }
    }
    expect(folded).toBeGreaterThan(300);
  });
});
