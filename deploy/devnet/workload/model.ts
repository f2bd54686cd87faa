import { type Address, decodeEventLog, type Hex, toEventSelector } from 'viem';
import type { RpcLog } from '../chain/types';
import { nonfungiblePositionManagerAbi, uniswapV3FactoryAbi, uniswapV3PoolAbi } from '../contracts/abi';
import { fullRange } from './math';

/** What the workload knows of a pool. */
export interface PoolState {
  readonly address: Address;
  readonly token0: Address;
  readonly token1: Address;
  readonly fee: number;
  readonly tickSpacing: number;
  initialized: boolean;
  sqrtPriceX96: bigint;
  tick: number;
  /** Active liquidity, kept exact from Swap, Mint and Burn events. */
  liquidity: bigint;
  /** The tick the pool was initialized at; swaps lean back towards it. */
  centerTick: number;
  /** Liquidity of the Actor's full-range position (0 until the pool is seeded). */
  seedLiquidity: bigint;
  seedAmount0: bigint;
  seedAmount1: bigint;
  /** `slot0.feeProtocol`. */
  feeProtocol: number;
  /** liquidityGross by tick, for counting the initialized ticks a swap crosses. */
  readonly ticks: Map<number, bigint>;
}

/** A NonfungiblePositionManager position. */
export interface NpmPosition {
  readonly tokenId: bigint;
  owner: Address;
  readonly pool: Address;
  readonly tickLower: number;
  readonly tickUpper: number;
  liquidity: bigint;
}

/** A position the Actor holds directly on a pool. */
export interface ActorPosition {
  readonly key: string;
  readonly pool: Address;
  readonly tickLower: number;
  readonly tickUpper: number;
  liquidity: bigint;
}

/** Swap statistics: did the workload cross initialized ticks, and how many. */
export interface CrossStats {
  swaps: number;
  swapsCrossing: number;
  ticksCrossed: number;
  maxCrossed: number;
}

const ZERO = '0x0000000000000000000000000000000000000000';

type Source = 'factory' | 'pool' | 'npm';
const ABIS = {
  factory: uniswapV3FactoryAbi,
  pool: uniswapV3PoolAbi,
  npm: nonfungiblePositionManagerAbi,
} as const;

function selectors(source: Source): Map<Hex, string> {
  const map = new Map<Hex, string>();
  for (const item of ABIS[source]) if (item.type === 'event') map.set(toEventSelector(item), item.name);
  return map;
}

/**
 * The workload's view of the chain, folded from logs only (so that it can be rebuilt from any chain,
 * e.g. one loaded from a state file): pools with price, tick, active liquidity and initialized ticks;
 * position manager NFTs; the Actor's positions; and a count of every event by contract kind.
 */
export class WorkloadModel {
  readonly pools = new Map<Address, PoolState>();
  readonly npmPositions = new Map<bigint, NpmPosition>();
  readonly actorPositions = new Map<string, ActorPosition>();
  /** `pool.Swap`, `npm.Transfer`, `token.Transfer`... → count. */
  readonly eventCounts = new Map<string, number>();
  readonly cross: CrossStats = { swaps: 0, swapsCrossing: 0, ticksCrossed: 0, maxCrossed: 0 };
  logs = 0;
  poolLogs = 0;

  private readonly selectors = {
    factory: selectors('factory'),
    pool: selectors('pool'),
    npm: selectors('npm'),
  };

  constructor(
    readonly factory: Address,
    readonly positionManager: Address,
    readonly actor: Address,
  ) {}

  /** Pools initialized and seeded with the Actor's full-range liquidity: the ones to trade on. */
  livePools(): PoolState[] {
    return [...this.pools.values()].filter((p) => p.initialized && p.seedLiquidity > 0n);
  }

  poolFor(tokenA: Address, tokenB: Address, fee: number): PoolState | undefined {
    const [t0, t1] = tokenA < tokenB ? [tokenA, tokenB] : [tokenB, tokenA];
    for (const p of this.pools.values()) if (p.token0 === t0 && p.token1 === t1 && p.fee === fee) return p;
    return undefined;
  }

  static actorKey(pool: Address, tickLower: number, tickUpper: number): string {
    return `${pool}:${tickLower}:${tickUpper}`;
  }

  /** Applies the logs of one transaction, in order. */
  applyTransaction(logs: readonly RpcLog[]): void {
    // NonfungiblePositionManager.mint/increaseLiquidity: the pool's Mint comes before the NPM's events.
    let lastNpmMint: { pool: Address; tickLower: number; tickUpper: number } | undefined;
    for (const log of logs) {
      this.logs++;
      const address = log.address.toLowerCase() as Address;
      const topic0 = log.topics[0];
      if (topic0 === undefined) continue;
      const pool = this.pools.get(address);
      if (pool !== undefined) {
        this.poolLogs++;
        const name = this.selectors.pool.get(topic0);
        if (name === undefined) continue;
        this.count(`pool.${name}`);
        const mint = this.applyPoolEvent(pool, name, log);
        if (mint !== undefined) lastNpmMint = mint;
      } else if (address === this.factory) {
        const name = this.selectors.factory.get(topic0);
        if (name === undefined) continue;
        this.count(`factory.${name}`);
        if (name === 'PoolCreated') this.applyPoolCreated(log);
      } else if (address === this.positionManager) {
        const name = this.selectors.npm.get(topic0);
        if (name === undefined) continue;
        this.count(`npm.${name}`);
        this.applyNpmEvent(name, log, lastNpmMint);
      } else {
        this.count(
          topic0 === TRANSFER_TOPIC
            ? 'token.Transfer'
            : topic0 === APPROVAL_TOPIC
              ? 'token.Approval'
              : 'other',
        );
      }
    }
  }

  private count(key: string): void {
    this.eventCounts.set(key, (this.eventCounts.get(key) ?? 0) + 1);
  }

  private applyPoolCreated(log: RpcLog): void {
    const ev = decodeEventLog({
      abi: uniswapV3FactoryAbi,
      eventName: 'PoolCreated',
      topics: log.topics as [Hex, ...Hex[]],
      data: log.data,
    });
    const address = ev.args.pool.toLowerCase() as Address;
    this.pools.set(address, {
      address,
      token0: ev.args.token0.toLowerCase() as Address,
      token1: ev.args.token1.toLowerCase() as Address,
      fee: ev.args.fee,
      tickSpacing: ev.args.tickSpacing,
      initialized: false,
      sqrtPriceX96: 0n,
      tick: 0,
      liquidity: 0n,
      centerTick: 0,
      seedLiquidity: 0n,
      seedAmount0: 0n,
      seedAmount1: 0n,
      feeProtocol: 0,
      ticks: new Map(),
    });
  }

  /** Returns the range of an NPM-owned Mint, for the NPM event that follows it. */
  private applyPoolEvent(
    pool: PoolState,
    name: string,
    log: RpcLog,
  ): { pool: Address; tickLower: number; tickUpper: number } | undefined {
    const topics = log.topics as [Hex, ...Hex[]];
    const { data } = log;
    switch (name) {
      case 'Initialize': {
        const ev = decodeEventLog({ abi: uniswapV3PoolAbi, eventName: 'Initialize', topics, data });
        pool.initialized = true;
        pool.sqrtPriceX96 = ev.args.sqrtPriceX96;
        pool.tick = ev.args.tick;
        pool.centerTick = ev.args.tick;
        return undefined;
      }
      case 'Swap': {
        const ev = decodeEventLog({ abi: uniswapV3PoolAbi, eventName: 'Swap', topics, data });
        const crossed = this.crossedTicks(pool, pool.tick, ev.args.tick);
        this.cross.swaps++;
        if (crossed > 0) this.cross.swapsCrossing++;
        this.cross.ticksCrossed += crossed;
        this.cross.maxCrossed = Math.max(this.cross.maxCrossed, crossed);
        pool.sqrtPriceX96 = ev.args.sqrtPriceX96;
        pool.tick = ev.args.tick;
        pool.liquidity = ev.args.liquidity;
        return undefined;
      }
      case 'Mint':
      case 'Burn': {
        const ev =
          name === 'Mint'
            ? decodeEventLog({ abi: uniswapV3PoolAbi, eventName: 'Mint', topics, data })
            : decodeEventLog({ abi: uniswapV3PoolAbi, eventName: 'Burn', topics, data });
        const { owner, tickLower, tickUpper, amount } = ev.args;
        const delta = ev.eventName === 'Mint' ? amount : -amount;
        this.addGross(pool, tickLower, delta);
        this.addGross(pool, tickUpper, delta);
        if (tickLower <= pool.tick && pool.tick < tickUpper) pool.liquidity += delta;
        const ownerLc = owner.toLowerCase();
        if (ownerLc === this.actor) {
          const key = WorkloadModel.actorKey(pool.address, tickLower, tickUpper);
          const pos = this.actorPositions.get(key) ?? {
            key,
            pool: pool.address,
            tickLower,
            tickUpper,
            liquidity: 0n,
          };
          pos.liquidity += delta;
          this.actorPositions.set(key, pos);
          const full = fullRange(pool.tickSpacing);
          if (
            ev.eventName === 'Mint' &&
            tickLower === full.tickLower &&
            tickUpper === full.tickUpper &&
            pool.seedLiquidity === 0n
          ) {
            pool.seedLiquidity = amount;
            pool.seedAmount0 = ev.args.amount0;
            pool.seedAmount1 = ev.args.amount1;
          }
        }
        if (ev.eventName === 'Mint' && ownerLc === this.positionManager) {
          return { pool: pool.address, tickLower, tickUpper };
        }
        return undefined;
      }
      case 'SetFeeProtocol': {
        const ev = decodeEventLog({ abi: uniswapV3PoolAbi, eventName: 'SetFeeProtocol', topics, data });
        pool.feeProtocol = ev.args.feeProtocol0New | (ev.args.feeProtocol1New << 4);
        return undefined;
      }
      default:
        return undefined;
    }
  }

  private applyNpmEvent(
    name: string,
    log: RpcLog,
    lastMint: { pool: Address; tickLower: number; tickUpper: number } | undefined,
  ): void {
    const topics = log.topics as [Hex, ...Hex[]];
    const { data } = log;
    const abi = nonfungiblePositionManagerAbi;
    switch (name) {
      case 'Transfer': {
        const { from, to, tokenId } = decodeEventLog({ abi, eventName: 'Transfer', topics, data }).args;
        if (from === ZERO) {
          if (lastMint === undefined) return;
          this.npmPositions.set(tokenId, {
            tokenId,
            owner: to.toLowerCase() as Address,
            ...lastMint,
            liquidity: 0n,
          });
        } else if (to === ZERO) {
          this.npmPositions.delete(tokenId);
        } else {
          const pos = this.npmPositions.get(tokenId);
          if (pos !== undefined) pos.owner = to.toLowerCase() as Address;
        }
        return;
      }
      case 'IncreaseLiquidity':
      case 'DecreaseLiquidity': {
        const ev =
          name === 'IncreaseLiquidity'
            ? decodeEventLog({ abi, eventName: 'IncreaseLiquidity', topics, data })
            : decodeEventLog({ abi, eventName: 'DecreaseLiquidity', topics, data });
        const pos = this.npmPositions.get(ev.args.tokenId);
        if (pos === undefined) return;
        pos.liquidity += ev.eventName === 'IncreaseLiquidity' ? ev.args.liquidity : -ev.args.liquidity;
        return;
      }
      default:
        return;
    }
  }

  private addGross(pool: PoolState, tick: number, delta: bigint): void {
    const gross = (pool.ticks.get(tick) ?? 0n) + delta;
    if (gross === 0n) pool.ticks.delete(tick);
    else pool.ticks.set(tick, gross);
  }

  /** Initialized ticks crossed by a move from `from` to `to`. */
  private crossedTicks(pool: PoolState, from: number, to: number): number {
    if (from === to) return 0;
    // Going down from `from` crosses ticks t with to < t <= from; going up, from < t <= to.
    const [lo, hi] = from < to ? [from, to] : [to, from];
    let n = 0;
    for (const t of pool.ticks.keys()) if (t > lo && t <= hi) n++;
    return n;
  }
}

const TRANSFER_TOPIC = toEventSelector(
  'event Transfer(address indexed from, address indexed to, uint256 value)',
);
const APPROVAL_TOPIC = toEventSelector(
  'event Approval(address indexed owner, address indexed spender, uint256 value)',
);
