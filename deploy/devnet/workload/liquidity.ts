import { type Address, encodeFunctionData, type Hex, maxUint128 } from 'viem';
import type { PlannedTx } from '../chain/types';
import { actorAbi, nonfungiblePositionManagerAbi } from '../contracts/abi';
import { alignTick, amountsForLiquidity, fullRange, getSqrtRatioAtTick } from './math';
import type { ActorPosition, NpmPosition, PoolState } from './model';
import { type BlockState, DEADLINE, GAS, type PlanContext } from './plan-context';

/**
 * Liquidity operations of the workload: position manager NFTs (mint, increase, decrease, collect, burn,
 * transfer) and the Actor's direct positions (mint, burn, zero-amount poke, collect). Ranges spread
 * around the current price so that swaps have initialized ticks to cross.
 */
/** A range around the current price: up to 60 spacings away, 1 to 40 spacings wide. */
function randomRange(ctx: PlanContext, pool: PoolState): { tickLower: number; tickUpper: number } {
  const s = pool.tickSpacing;
  const center = pool.tick + ctx.rng.int(-60, 60) * s;
  const width = ctx.rng.int(1, 40) * s;
  const full = fullRange(s);
  const tickLower = Math.max(full.tickLower, alignTick(center - width / 2, s));
  const tickUpper = Math.min(full.tickUpper, tickLower + width);
  return { tickLower, tickUpper };
}

/** Between 5% and 200% of the seed's liquidity. */
function positionLiquidity(ctx: PlanContext, pool: PoolState): bigint {
  return (pool.seedLiquidity * BigInt(ctx.rng.int(1, 40))) / 20n;
}

export function npmMint(ctx: PlanContext, pool: PoolState, trader: number): PlannedTx {
  const { tickLower, tickUpper } = randomRange(ctx, pool);
  const { amount0Desired, amount1Desired } = desired(ctx, pool, tickLower, tickUpper);
  const recipient = ctx.address(ctx.rng.chance(0.9) ? trader : ctx.rng.int(1, ctx.accountCount - 1));
  return {
    from: trader,
    to: ctx.addresses.positionManager,
    data: encodeFunctionData({
      abi: nonfungiblePositionManagerAbi,
      functionName: 'mint',
      args: [
        {
          token0: pool.token0,
          token1: pool.token1,
          fee: pool.fee,
          tickLower,
          tickUpper,
          amount0Desired,
          amount1Desired,
          amount0Min: 0n,
          amount1Min: 0n,
          recipient,
          deadline: DEADLINE,
        },
      ],
    }),
    gas: GAS.default,
    label: 'npm.mint',
  };
}

/**
 * Amounts for at least the target liquidity whatever the price does within the block: all of the
 * range's token0 and all of its token1 (the manager takes only what the price needs).
 */
function desired(ctx: PlanContext, pool: PoolState, tickLower: number, tickUpper: number) {
  const a = getSqrtRatioAtTick(tickLower);
  const b = getSqrtRatioAtTick(tickUpper);
  const L = positionLiquidity(ctx, pool);
  return {
    amount0Desired: amountsForLiquidity(a, a, b, L).amount0,
    amount1Desired: amountsForLiquidity(b, a, b, L).amount1,
  };
}

export function npmOperation(
  ctx: PlanContext,
  op: 'npm.increaseLiquidity' | 'npm.decreaseLiquidity' | 'npm.collect' | 'npm.burn' | 'npm.transfer',
  block: BlockState,
  room: number,
): boolean {
  const { rng } = ctx;
  const candidates = [...ctx.model.npmPositions.values()].filter(
    (p) => !block.locked.has(`nft:${p.tokenId}`) && (op !== 'npm.decreaseLiquidity' || p.liquidity > 0n),
  );
  if (candidates.length === 0) return false;
  const pos = rng.pick(candidates);
  const owner = ctx.accountIndex(pos.owner);
  if (owner === undefined) return false;
  const pool = ctx.model.pools.get(pos.pool);
  if (pool === undefined) return false;
  block.locked.add(`nft:${pos.tokenId}`);
  const to = ctx.addresses.positionManager;
  const npm = (label: string, data: Hex, from = owner): PlannedTx => ({
    from,
    to,
    data,
    gas: GAS.default,
    label,
  });
  switch (op) {
    case 'npm.increaseLiquidity': {
      const { amount0Desired, amount1Desired } = desired(ctx, pool, pos.tickLower, pos.tickUpper);
      block.txs.push(
        npm(
          op,
          encodeFunctionData({
            abi: nonfungiblePositionManagerAbi,
            functionName: 'increaseLiquidity',
            args: [
              {
                tokenId: pos.tokenId,
                amount0Desired,
                amount1Desired,
                amount0Min: 0n,
                amount1Min: 0n,
                deadline: DEADLINE,
              },
            ],
          }),
          rng.chance(0.8) ? owner : rng.int(1, ctx.accountCount - 1),
        ),
      );
      return true;
    }
    case 'npm.decreaseLiquidity': {
      const liquidity = rng.chance(0.3)
        ? pos.liquidity
        : (pos.liquidity * BigInt(rng.int(1, 3))) / 4n || pos.liquidity;
      block.txs.push(npm(op, decrease(pos, liquidity)));
      return true;
    }
    case 'npm.collect':
      block.txs.push(
        npm(op, collect(pos, ctx.address(rng.chance(0.8) ? owner : rng.int(1, ctx.accountCount - 1)))),
      );
      return true;
    case 'npm.burn': {
      // Burning needs an empty, collected position: decrease all, collect, burn.
      const steps = (pos.liquidity > 0n ? 1 : 0) + 2;
      if (steps > room) return false;
      if (pos.liquidity > 0n) block.txs.push(npm('npm.decreaseLiquidity', decrease(pos, pos.liquidity)));
      block.txs.push(npm('npm.collect', collect(pos, ctx.address(owner))));
      block.txs.push(
        npm(
          op,
          encodeFunctionData({
            abi: nonfungiblePositionManagerAbi,
            functionName: 'burn',
            args: [pos.tokenId],
          }),
        ),
      );
      return true;
    }
    case 'npm.transfer': {
      let to = rng.int(1, ctx.accountCount - 1);
      if (to === owner) to = (to % (ctx.accountCount - 1)) + 1;
      const safe = rng.chance(0.5);
      block.txs.push(
        npm(
          op,
          encodeFunctionData({
            abi: nonfungiblePositionManagerAbi,
            functionName: safe ? 'safeTransferFrom' : 'transferFrom',
            args: [ctx.address(owner), ctx.address(to), pos.tokenId],
          }),
        ),
      );
      return true;
    }
  }
}

function decrease(pos: NpmPosition, liquidity: bigint): Hex {
  return encodeFunctionData({
    abi: nonfungiblePositionManagerAbi,
    functionName: 'decreaseLiquidity',
    args: [{ tokenId: pos.tokenId, liquidity, amount0Min: 0n, amount1Min: 0n, deadline: DEADLINE }],
  });
}

function collect(pos: NpmPosition, recipient: Address): Hex {
  return encodeFunctionData({
    abi: nonfungiblePositionManagerAbi,
    functionName: 'collect',
    args: [{ tokenId: pos.tokenId, recipient, amount0Max: maxUint128, amount1Max: maxUint128 }],
  });
}

function isSeed(ctx: PlanContext, p: ActorPosition): boolean {
  const pool = ctx.model.pools.get(p.pool);
  if (pool === undefined) return false;
  const full = fullRange(pool.tickSpacing);
  return p.tickLower === full.tickLower && p.tickUpper === full.tickUpper;
}

function freeActorPositions(ctx: PlanContext, block: BlockState): ActorPosition[] {
  return [...ctx.model.actorPositions.values()].filter((p) => !block.locked.has(p.key));
}

export function actorMint(
  ctx: PlanContext,
  from: number,
  pool: PoolState,
  tickLower: number,
  tickUpper: number,
  amount: bigint,
): PlannedTx {
  return {
    from,
    to: ctx.addresses.actor,
    data: encodeFunctionData({
      abi: actorAbi,
      functionName: 'mint',
      args: [pool.address, tickLower, tickUpper, amount],
    }),
    gas: GAS.default,
    label: 'actor.mint',
  };
}

export function actorPositionOperation(
  ctx: PlanContext,
  op: 'actor.burn' | 'actor.poke' | 'actor.collect',
  block: BlockState,
  from: number,
): boolean {
  const { rng } = ctx;
  const candidates = freeActorPositions(ctx, block).filter((p) =>
    op === 'actor.collect' ? true : p.liquidity > 0n && (op === 'actor.poke' || !isSeed(ctx, p)),
  );
  if (candidates.length === 0) return false;
  const p = rng.pick(candidates);
  block.locked.add(p.key);
  const to = ctx.addresses.actor;
  if (op === 'actor.collect') {
    const recipient = rng.chance(0.5) ? ctx.addresses.actor : ctx.address(rng.int(1, ctx.accountCount - 1));
    block.txs.push({
      from,
      to,
      data: encodeFunctionData({
        abi: actorAbi,
        functionName: 'collect',
        args: [p.pool, recipient, p.tickLower, p.tickUpper, maxUint128, maxUint128],
      }),
      gas: GAS.default,
      label: op,
    });
    return true;
  }
  const amount =
    op === 'actor.poke'
      ? 0n
      : rng.chance(0.4)
        ? p.liquidity
        : (p.liquidity * BigInt(rng.int(1, 3))) / 4n || p.liquidity;
  block.txs.push({
    from,
    to,
    data: encodeFunctionData({
      abi: actorAbi,
      functionName: 'burn',
      args: [p.pool, p.tickLower, p.tickUpper, amount],
    }),
    gas: GAS.default,
    label: op,
  });
  return true;
}

/** An Actor mint: on a new range, or adding to one of its positions (never the full-range seed). */
export function actorMintOperation(
  ctx: PlanContext,
  block: BlockState,
  pool: PoolState,
  trader: number,
): PlannedTx {
  const { rng } = ctx;
  const existing = freeActorPositions(ctx, block).filter((p) => p.pool === pool.address && !isSeed(ctx, p));
  if (existing.length > 0 && rng.chance(0.4)) {
    const p = rng.pick(existing);
    block.locked.add(p.key);
    return actorMint(ctx, trader, pool, p.tickLower, p.tickUpper, positionLiquidity(ctx, pool));
  }
  const { tickLower, tickUpper } = randomRange(ctx, pool);
  return actorMint(ctx, trader, pool, tickLower, tickUpper, positionLiquidity(ctx, pool));
}
