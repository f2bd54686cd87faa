import { type Address, encodeFunctionData, maxUint128 } from 'viem';
import type { PlannedTx } from '../chain/types';
import {
  actorAbi,
  nonfungiblePositionManagerAbi,
  uniswapV3FactoryAbi,
  uniswapV3PoolAbi,
} from '../contracts/abi';
import type { DevnetAddresses } from '../setup/deploy';
import { actorMint, actorMintOperation, actorPositionOperation, npmMint, npmOperation } from './liquidity';
import { fullRange } from './math';
import type { PoolState, WorkloadModel } from './model';
import { type BlockState, GAS, OWNER, type PlanContext } from './plan-context';
import { POOL_SPECS, type ResolvedPool, resolvePool } from './pools';
import type { Rng } from './prng';
import { actorSwap, routerMultiHop, routerSingle } from './swaps';

export { GAS } from './plan-context';

/** Relative frequency of each random operation. */
export const OPERATION_WEIGHTS = {
  'router.exactInputSingle': 16,
  'router.exactOutputSingle': 8,
  'router.exactInput': 5,
  'router.exactOutput': 2,
  'actor.swap': 12,
  'npm.mint': 9,
  'npm.increaseLiquidity': 5,
  'npm.decreaseLiquidity': 5,
  'npm.collect': 4,
  'npm.burn': 3,
  'npm.transfer': 3,
  'actor.mint': 8,
  'actor.burn': 4,
  'actor.poke': 2,
  'actor.collect': 3,
  'actor.flash': 2,
  'pool.collectProtocol': 1,
  'pool.setFeeProtocol': 0.3,
} as const;

export type Operation = keyof typeof OPERATION_WEIGHTS;

/** Operations forced (when possible) if the dice have not produced them by half of the run. */
const REQUIRED: readonly Operation[] = [
  'router.exactInputSingle',
  'router.exactOutputSingle',
  'router.exactInput',
  'actor.swap',
  'npm.increaseLiquidity',
  'npm.decreaseLiquidity',
  'npm.collect',
  'npm.burn',
  'npm.transfer',
  'actor.burn',
  'actor.poke',
  'actor.collect',
  'actor.flash',
  'pool.collectProtocol',
];

/**
 * Plans the transactions of one block from the model as of the previous block and a seeded RNG: the same
 * model and RNG state give the same block. Setup comes first (pools to create, initialize and seed; the
 * protocol fee switched on after 10% of the run), then random operations.
 */
export class BlockPlanner implements PlanContext {
  private readonly resolved: ResolvedPool[];
  private readonly done = new Set<Operation>();

  constructor(
    readonly model: WorkloadModel,
    readonly rng: Rng,
    readonly addresses: DevnetAddresses,
    readonly accountCount: number,
  ) {
    this.resolved = POOL_SPECS.map((spec) => resolvePool(spec, addresses));
  }

  /** Up to `size` transactions (at least one) for the next block; `progress` is the share of the run done. */
  plan(size: number, progress: number): PlannedTx[] {
    const block: BlockState = { txs: [], locked: new Set(), moved: new Set() };
    this.planSetup(block, progress);
    const live = this.model.livePools();
    if (live.length === 0) return block.txs;
    let attempts = 0;
    while (block.txs.length < size && attempts < size * 4) {
      attempts++;
      const forced = progress >= 0.5 ? REQUIRED.find((op) => !this.done.has(op)) : undefined;
      const op = forced ?? this.rng.weighted(OPERATION_WEIGHTS);
      if (this.planOperation(op, block, live, size - block.txs.length)) {
        this.done.add(op);
      } else if (forced !== undefined) {
        this.done.add(forced); // not possible now (e.g. no position yet): do not insist
      }
    }
    return block.txs;
  }

  private planSetup(block: BlockState, progress: number): void {
    const { model, rng } = this;
    for (const [i, r] of this.resolved.entries()) {
      if (r.spec.createAt > progress) continue;
      const pool = model.poolFor(r.token0.address, r.token1.address, r.spec.fee);
      const from = rng.int(1, this.accountCount - 1);
      if (pool === undefined) {
        block.txs.push(
          r.spec.via === 'npm'
            ? {
                from,
                to: this.addresses.positionManager,
                data: encodeFunctionData({
                  abi: nonfungiblePositionManagerAbi,
                  functionName: 'createAndInitializePoolIfNecessary',
                  args: [r.token0.address, r.token1.address, r.spec.fee, r.sqrtPriceX96],
                }),
                gas: GAS.createPool,
                label: 'npm.createAndInitializePoolIfNecessary',
              }
            : {
                from,
                to: this.addresses.factory,
                data: encodeFunctionData({
                  abi: uniswapV3FactoryAbi,
                  functionName: 'createPool',
                  args: [r.token1.address, r.token0.address, r.spec.fee],
                }),
                gas: GAS.createPool,
                label: 'factory.createPool',
              },
        );
      } else if (!pool.initialized) {
        block.txs.push({
          from,
          to: pool.address,
          data: encodeFunctionData({
            abi: uniswapV3PoolAbi,
            functionName: 'initialize',
            args: [r.sqrtPriceX96],
          }),
          gas: GAS.default,
          label: 'pool.initialize',
        });
      } else if (pool.seedLiquidity === 0n) {
        const { tickLower, tickUpper } = fullRange(pool.tickSpacing);
        block.txs.push(actorMint(this, from, pool, tickLower, tickUpper, r.seedLiquidity));
        if (i === 0) {
          block.txs.push({
            from,
            to: pool.address,
            data: encodeFunctionData({
              abi: uniswapV3PoolAbi,
              functionName: 'increaseObservationCardinalityNext',
              args: [16],
            }),
            gas: GAS.default,
            label: 'pool.increaseObservationCardinalityNext',
          });
        }
      }
    }
    const live = model.livePools();
    if (progress >= 0.1 && live.length >= 3 && !live.some((p) => p.feeProtocol !== 0)) {
      for (const pool of [live[0], live[2]]) if (pool !== undefined) this.setFeeProtocol(block, pool);
    }
  }

  /** Adds the transactions of `op` if it is possible now and fits in `room`; false otherwise. */
  private planOperation(op: Operation, block: BlockState, live: PoolState[], room: number): boolean {
    const { rng } = this;
    const pool = rng.pick(live);
    const trader = rng.int(1, this.accountCount - 1);
    switch (op) {
      case 'router.exactInputSingle':
      case 'router.exactOutputSingle':
        block.txs.push(routerSingle(this, op, block, pool, trader));
        return true;
      case 'router.exactInput':
      case 'router.exactOutput':
        return routerMultiHop(this, op, block, live, trader);
      case 'actor.swap':
        block.txs.push(actorSwap(this, block, pool, trader));
        return true;
      case 'npm.mint':
        block.txs.push(npmMint(this, pool, trader));
        return true;
      case 'npm.increaseLiquidity':
      case 'npm.decreaseLiquidity':
      case 'npm.collect':
      case 'npm.burn':
      case 'npm.transfer':
        return npmOperation(this, op, block, room);
      case 'actor.mint':
        block.txs.push(actorMintOperation(this, block, pool, trader));
        return true;
      case 'actor.burn':
      case 'actor.poke':
      case 'actor.collect':
        return actorPositionOperation(this, op, block, trader);
      case 'actor.flash': {
        const amount0 = rng.chance(0.8) ? rng.bigint(1n, pool.seedAmount0 / 1000n) : 0n;
        const amount1 = rng.chance(0.8) || amount0 === 0n ? rng.bigint(1n, pool.seedAmount1 / 1000n) : 0n;
        block.txs.push({
          from: trader,
          to: this.addresses.actor,
          data: encodeFunctionData({
            abi: actorAbi,
            functionName: 'flash',
            args: [pool.address, amount0, amount1],
          }),
          gas: GAS.default,
          label: 'actor.flash',
        });
        return true;
      }
      case 'pool.collectProtocol': {
        const withFees = live.filter((p) => p.feeProtocol !== 0);
        if (withFees.length === 0) return false;
        const target = rng.pick(withFees);
        block.txs.push({
          from: OWNER,
          to: target.address,
          data: encodeFunctionData({
            abi: uniswapV3PoolAbi,
            functionName: 'collectProtocol',
            args: [this.address(OWNER), maxUint128, maxUint128],
          }),
          gas: GAS.default,
          label: 'pool.collectProtocol',
        });
        return true;
      }
      case 'pool.setFeeProtocol':
        this.setFeeProtocol(block, pool);
        return true;
    }
  }

  private setFeeProtocol(block: BlockState, pool: PoolState): void {
    const { rng } = this;
    const value = (): number => (rng.chance(0.15) ? 0 : rng.int(4, 10));
    block.txs.push({
      from: OWNER,
      to: pool.address,
      data: encodeFunctionData({
        abi: uniswapV3PoolAbi,
        functionName: 'setFeeProtocol',
        args: [rng.int(4, 10), value()],
      }),
      gas: GAS.default,
      label: 'pool.setFeeProtocol',
    });
  }

  private addressCache: Address[] | undefined;

  /** Set by the runner: the accounts' addresses (lower case), index = account number. */
  setAccounts(addresses: readonly Address[]): void {
    this.addressCache = addresses.map((a) => a.toLowerCase() as Address);
  }

  address(i: number): Address {
    const a = this.addressCache?.[i];
    if (a === undefined) throw new RangeError(`no account #${i}`);
    return a;
  }

  accountIndex(address: Address): number | undefined {
    const i = this.addressCache?.indexOf(address) ?? -1;
    return i < 0 ? undefined : i;
  }
}
