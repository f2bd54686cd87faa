import { mulDiv, mulDivRoundingUp } from './full-math';
import {
  getAmount0Delta,
  getAmount1Delta,
  getNextSqrtPriceFromInput,
  getNextSqrtPriceFromOutput,
} from './sqrt-price-math';

/** The result of one SwapMath.computeSwapStep. */
export interface SwapStep {
  /** The price after the step: the target, or short of it when the amount runs out. */
  sqrtRatioNextX96: bigint;
  /** The input token paid in, without the fee. */
  amountIn: bigint;
  /** The output token paid out. */
  amountOut: bigint;
  /** The fee paid in the input token. */
  feeAmount: bigint;
}

const PIPS = 1_000_000n;

/**
 * SwapMath.computeSwapStep: swap within one price range, from `sqrtRatioCurrentX96` towards
 * `sqrtRatioTargetX96` at constant `liquidity`. `amountRemaining` > 0 is an exact input (fee included),
 * < 0 an exact output. The direction is implied: zeroForOne when current ≥ target. `feePips` is the pool
 * fee in hundredths of a bip (3000 = 0.3%).
 *
 * @example
 * const step = computeSwapStep(Q96, targetX96, 2n * 10n ** 18n, 10n ** 18n, 600);
 * // step.amountIn + step.feeAmount ≤ 10n ** 18n
 */
export function computeSwapStep(
  sqrtRatioCurrentX96: bigint,
  sqrtRatioTargetX96: bigint,
  liquidity: bigint,
  amountRemaining: bigint,
  feePips: number,
): SwapStep {
  const fee = BigInt(feePips);
  const zeroForOne = sqrtRatioCurrentX96 >= sqrtRatioTargetX96;
  const exactIn = amountRemaining >= 0n;
  let sqrtRatioNextX96: bigint;
  let amountIn = 0n;
  let amountOut = 0n;

  if (exactIn) {
    const amountRemainingLessFee = mulDiv(amountRemaining, PIPS - fee, PIPS);
    amountIn = zeroForOne
      ? getAmount0Delta(sqrtRatioTargetX96, sqrtRatioCurrentX96, liquidity, true)
      : getAmount1Delta(sqrtRatioCurrentX96, sqrtRatioTargetX96, liquidity, true);
    sqrtRatioNextX96 =
      amountRemainingLessFee >= amountIn
        ? sqrtRatioTargetX96
        : getNextSqrtPriceFromInput(sqrtRatioCurrentX96, liquidity, amountRemainingLessFee, zeroForOne);
  } else {
    amountOut = zeroForOne
      ? getAmount1Delta(sqrtRatioTargetX96, sqrtRatioCurrentX96, liquidity, false)
      : getAmount0Delta(sqrtRatioCurrentX96, sqrtRatioTargetX96, liquidity, false);
    sqrtRatioNextX96 =
      -amountRemaining >= amountOut
        ? sqrtRatioTargetX96
        : getNextSqrtPriceFromOutput(sqrtRatioCurrentX96, liquidity, -amountRemaining, zeroForOne);
  }

  const max = sqrtRatioTargetX96 === sqrtRatioNextX96;

  // The amounts of the range actually crossed; reuse the ones computed for the target when it was reached.
  if (zeroForOne) {
    if (!(max && exactIn)) amountIn = getAmount0Delta(sqrtRatioNextX96, sqrtRatioCurrentX96, liquidity, true);
    if (!(max && !exactIn))
      amountOut = getAmount1Delta(sqrtRatioNextX96, sqrtRatioCurrentX96, liquidity, false);
  } else {
    if (!(max && exactIn)) amountIn = getAmount1Delta(sqrtRatioCurrentX96, sqrtRatioNextX96, liquidity, true);
    if (!(max && !exactIn))
      amountOut = getAmount0Delta(sqrtRatioCurrentX96, sqrtRatioNextX96, liquidity, false);
  }

  // Never pay out more than the exact output asked for.
  if (!exactIn && amountOut > -amountRemaining) amountOut = -amountRemaining;

  // Short of the target on an exact input: the rest of the input is the fee.
  const feeAmount =
    exactIn && sqrtRatioNextX96 !== sqrtRatioTargetX96
      ? amountRemaining - amountIn
      : mulDivRoundingUp(amountIn, fee, PIPS - fee);

  return { sqrtRatioNextX96, amountIn, amountOut, feeAmount };
}
