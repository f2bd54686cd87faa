import { type Address, encodeFunctionData, encodePacked, maxUint128 } from 'viem';
import type { PlannedTx } from '../chain/types';
import { actorAbi, swapRouterAbi } from '../contracts/abi';
import { amountInForTicks, amountOutForTicks, getSqrtRatioAtTick } from './math';
import type { PoolState } from './model';
import { type BlockState, DEADLINE, GAS, type PlanContext } from './plan-context';

/**
 * Swaps of the workload. Sizes come from the pool's active liquidity (exact in the model) and a number of
 * ticks to move, so that swaps cross initialized ticks without emptying the pool; directions lean back
 * towards the pool's initial price.
 */
/** Direction leaning back towards the pool's initial tick, so that prices wander but stay around. */
function direction(ctx: PlanContext, pool: PoolState): boolean {
  const band = 100 * pool.tickSpacing;
  const lean = Math.max(-0.4, Math.min(0.4, (pool.tick - pool.centerTick) / (2 * band)));
  return ctx.rng.chance(0.5 + lean);
}

/** Ticks to move: enough to cross several initialized ticks, now and then dozens. */
function swapTicks(ctx: PlanContext, pool: PoolState): number {
  const ticks = ctx.rng.chance(0.15)
    ? ctx.rng.int(20, 60) * pool.tickSpacing
    : ctx.rng.int(1, 20) * pool.tickSpacing;
  return Math.min(ticks, ctx.rng.chance(0.15) ? 4000 : 2400);
}

/** A price limit part-way, only while no other swap of this block has moved the pool. */
function priceLimit(
  ctx: PlanContext,
  block: BlockState,
  pool: PoolState,
  zeroForOne: boolean,
  ticks: number,
): bigint {
  const first = !block.moved.has(pool.address);
  block.moved.add(pool.address);
  if (!first || !ctx.rng.chance(0.25)) return 0n;
  const m = Math.max(1, Math.floor(ticks / 2));
  return getSqrtRatioAtTick(zeroForOne ? pool.tick - m : pool.tick + m);
}

/**
 * Liquidity to size a swap with: the active liquidity, but at most 3× the seed's, since past the
 * concentrated positions around the price only the seed is left (more would empty the pool).
 */
function liquidityOf(pool: PoolState): bigint {
  const cap = 3n * pool.seedLiquidity;
  if (pool.liquidity <= 0n) return pool.seedLiquidity;
  return pool.liquidity < cap ? pool.liquidity : cap;
}

/** An exact output, at most 5% of what the seed position put in of that token. */
function amountOut(pool: PoolState, L: bigint, ticks: number, zeroForOne: boolean): bigint {
  const want = amountOutForTicks(pool.sqrtPriceX96, L, ticks, zeroForOne);
  const cap = (zeroForOne ? pool.seedAmount1 : pool.seedAmount0) / 20n;
  return (want < cap ? want : cap) || 1n;
}

export function routerSingle(
  ctx: PlanContext,
  op: 'router.exactInputSingle' | 'router.exactOutputSingle',
  block: BlockState,
  pool: PoolState,
  trader: number,
): PlannedTx {
  const zeroForOne = direction(ctx, pool);
  const ticks = swapTicks(ctx, pool);
  const sqrtPriceLimitX96 = priceLimit(ctx, block, pool, zeroForOne, ticks);
  const [tokenIn, tokenOut] = zeroForOne ? [pool.token0, pool.token1] : [pool.token1, pool.token0];
  const recipient = ctx.address(ctx.rng.chance(0.8) ? trader : ctx.rng.int(1, ctx.accountCount - 1));
  const L = liquidityOf(pool);
  const common = { tokenIn, tokenOut, fee: pool.fee, recipient, deadline: DEADLINE, sqrtPriceLimitX96 };
  const data =
    op === 'router.exactInputSingle'
      ? encodeFunctionData({
          abi: swapRouterAbi,
          functionName: 'exactInputSingle',
          args: [
            {
              ...common,
              amountIn: amountInForTicks(pool.sqrtPriceX96, L, ticks, zeroForOne),
              amountOutMinimum: 0n,
            },
          ],
        })
      : encodeFunctionData({
          abi: swapRouterAbi,
          functionName: 'exactOutputSingle',
          args: [
            {
              ...common,
              amountOut: amountOut(pool, L, ticks, zeroForOne),
              amountInMaximum: maxUint128,
            },
          ],
        });
  return { from: trader, to: ctx.addresses.swapRouter, data, gas: GAS.swap, label: op };
}

/** Two hops through pools that share a token; false when no two live pools do. */
export function routerMultiHop(
  ctx: PlanContext,
  op: 'router.exactInput' | 'router.exactOutput',
  block: BlockState,
  live: PoolState[],
  trader: number,
): boolean {
  const { rng } = ctx;
  const routes: [PoolState, PoolState, Address][] = [];
  for (const p of live) {
    for (const q of live) {
      if (p === q) continue;
      for (const mid of [p.token0, p.token1]) {
        const inQ = q.token0 === mid || q.token1 === mid;
        const pOther = p.token0 === mid ? p.token1 : p.token0;
        const qOther = q.token0 === mid ? q.token1 : q.token0;
        if (inQ && pOther !== qOther) routes.push([p, q, mid]);
      }
    }
  }
  if (routes.length === 0) return false;
  const [first, second, mid] = rng.pick(routes);
  const tokenIn = first.token0 === mid ? first.token1 : first.token0;
  const tokenOut = second.token0 === mid ? second.token1 : second.token0;
  block.moved.add(first.address);
  block.moved.add(second.address);
  const zeroForOne = tokenIn === first.token0;
  const ticks = rng.int(1, 8) * first.tickSpacing;
  const recipient = ctx.address(trader);
  const data =
    op === 'router.exactInput'
      ? encodeFunctionData({
          abi: swapRouterAbi,
          functionName: 'exactInput',
          args: [
            {
              path: encodePacked(
                ['address', 'uint24', 'address', 'uint24', 'address'],
                [tokenIn, first.fee, mid, second.fee, tokenOut],
              ),
              recipient,
              deadline: DEADLINE,
              amountIn: amountInForTicks(first.sqrtPriceX96, liquidityOf(first), ticks, zeroForOne),
              amountOutMinimum: 0n,
            },
          ],
        })
      : encodeFunctionData({
          abi: swapRouterAbi,
          functionName: 'exactOutput',
          args: [
            {
              // exactOutput paths run backwards: from the token out to the token in.
              path: encodePacked(
                ['address', 'uint24', 'address', 'uint24', 'address'],
                [tokenOut, second.fee, mid, first.fee, tokenIn],
              ),
              recipient,
              deadline: DEADLINE,
              amountOut: amountOut(second, liquidityOf(second), ticks, second.token1 === tokenOut),
              amountInMaximum: maxUint128,
            },
          ],
        });
  block.txs.push({ from: trader, to: ctx.addresses.swapRouter, data, gas: GAS.swap, label: op });
  return true;
}

export function actorSwap(ctx: PlanContext, block: BlockState, pool: PoolState, trader: number): PlannedTx {
  const zeroForOne = direction(ctx, pool);
  const ticks = swapTicks(ctx, pool);
  const limit = priceLimit(ctx, block, pool, zeroForOne, ticks);
  const L = liquidityOf(pool);
  const amountSpecified = ctx.rng.chance(0.6)
    ? amountInForTicks(pool.sqrtPriceX96, L, ticks, zeroForOne)
    : -amountOut(pool, L, ticks, zeroForOne);
  return {
    from: trader,
    to: ctx.addresses.actor,
    data: encodeFunctionData({
      abi: actorAbi,
      functionName: 'swap',
      args: [pool.address, zeroForOne, amountSpecified, limit],
    }),
    gas: GAS.swap,
    label: 'actor.swap',
  };
}
