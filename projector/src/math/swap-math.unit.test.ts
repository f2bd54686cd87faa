import { describe, expect, it } from 'vitest';
import { getNextSqrtPriceFromInput, getNextSqrtPriceFromOutput } from './sqrt-price-math';
import { computeSwapStep } from './swap-math';
import { E18, encodePriceSqrt } from './test-reference';

// Vectors from v3-core test/SwapMath.spec.ts.
describe('computeSwapStep', () => {
  const price = encodePriceSqrt(1n, 1n);

  it('exact in: capped at the target price, one for zero', () => {
    const target = encodePriceSqrt(101n, 100n);
    const step = computeSwapStep(price, target, 2n * E18, E18, 600);
    expect(step).toEqual({
      sqrtRatioNextX96: target,
      amountIn: 9975124224178055n,
      amountOut: 9925619580021728n,
      feeAmount: 5988667735148n,
    });
    expect(step.amountIn + step.feeAmount).toBeLessThan(E18);
    expect(step.sqrtRatioNextX96).toBeLessThan(getNextSqrtPriceFromInput(price, 2n * E18, E18, false));
  });

  it('exact out: capped at the target price, one for zero', () => {
    const target = encodePriceSqrt(101n, 100n);
    const step = computeSwapStep(price, target, 2n * E18, -E18, 600);
    expect(step).toEqual({
      sqrtRatioNextX96: target,
      amountIn: 9975124224178055n,
      amountOut: 9925619580021728n,
      feeAmount: 5988667735148n,
    });
    expect(step.sqrtRatioNextX96).toBeLessThan(getNextSqrtPriceFromOutput(price, 2n * E18, E18, false));
  });

  it('exact in: fully spent, one for zero', () => {
    const target = encodePriceSqrt(1000n, 100n);
    const step = computeSwapStep(price, target, 2n * E18, E18, 600);
    expect(step.amountIn).toBe(999400000000000000n);
    expect(step.feeAmount).toBe(600000000000000n);
    expect(step.amountOut).toBe(666399946655997866n);
    expect(step.amountIn + step.feeAmount).toBe(E18);
    expect(step.sqrtRatioNextX96).toBeLessThan(target);
    expect(step.sqrtRatioNextX96).toBe(
      getNextSqrtPriceFromInput(price, 2n * E18, E18 - step.feeAmount, false),
    );
  });

  it('exact out: fully received, one for zero', () => {
    const target = encodePriceSqrt(10000n, 100n);
    const step = computeSwapStep(price, target, 2n * E18, -E18, 600);
    expect(step.amountIn).toBe(2000000000000000000n);
    expect(step.feeAmount).toBe(1200720432259356n);
    expect(step.amountOut).toBe(E18);
    expect(step.sqrtRatioNextX96).toBeLessThan(target);
    expect(step.sqrtRatioNextX96).toBe(getNextSqrtPriceFromOutput(price, 2n * E18, E18, false));
  });

  it('exact out: amount out is capped at the desired amount', () => {
    const step = computeSwapStep(
      417332158212080721273783715441582n,
      1452870262520218020823638996n,
      159344665391607089467575320103n,
      -1n,
      1,
    );
    expect(step).toEqual({
      sqrtRatioNextX96: 417332158212080721273783715441581n,
      amountIn: 1n,
      amountOut: 1n, // 2 if not capped
      feeAmount: 1n,
    });
  });

  it('exact in: target price of 1 uses part of the input', () => {
    const remaining = 3915081100057732413702495386755767n;
    const step = computeSwapStep(2n, 1n, 1n, remaining, 1);
    expect(step).toEqual({
      sqrtRatioNextX96: 1n,
      amountIn: 39614081257132168796771975168n,
      amountOut: 0n,
      feeAmount: 39614120871253040049813n,
    });
    expect(step.amountIn + step.feeAmount).toBeLessThanOrEqual(remaining);
  });

  it('exact in: the entire input is taken as fee', () => {
    const step = computeSwapStep(2413n, 79887613182836312n, 1985041575832132834610021537970n, 10n, 1872);
    expect(step).toEqual({ sqrtRatioNextX96: 2413n, amountIn: 0n, amountOut: 0n, feeAmount: 10n });
  });

  it('exact out: intermediate insufficient liquidity, target above', () => {
    const sqrtP = 20282409603651670423947251286016n;
    const step = computeSwapStep(sqrtP, (sqrtP * 11n) / 10n, 1024n, -4n, 3000);
    expect(step).toEqual({
      sqrtRatioNextX96: (sqrtP * 11n) / 10n,
      amountIn: 26215n,
      amountOut: 0n,
      feeAmount: 79n,
    });
  });

  it('exact out: intermediate insufficient liquidity, target below', () => {
    const sqrtP = 20282409603651670423947251286016n;
    const step = computeSwapStep(sqrtP, (sqrtP * 9n) / 10n, 1024n, -263000n, 3000);
    expect(step).toEqual({
      sqrtRatioNextX96: (sqrtP * 9n) / 10n,
      amountIn: 1n,
      amountOut: 26214n,
      feeAmount: 1n,
    });
  });
});
