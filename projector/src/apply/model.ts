import type { Partition } from '@tickstream/shared';
import {
  createFactoryState,
  createTokenState,
  type FactoryState,
  type Hex,
  type PoolState,
  type TokenPosition,
  type TokenState,
} from '../fold';
import type { BlockStamp } from './rows';

/**
 * A pool of a partition: its folded state, the block the factory created it in, and the block of the
 * last change of each of its rows (the `block_number` of the latest tables), so that the model alone
 * determines every latest row (a rewind rewrites rows from it).
 */
export interface PoolEntry {
  readonly state: PoolState;
  readonly createdBlock: number;
  /** The block of the pool row's last change. */
  block: BlockStamp;
  /** Block number of the last change of each initialized tick. */
  readonly tickBlocks: Map<number, number>;
  /** Block number of the last change of each position, by `positionKey`. */
  readonly positionBlocks: Map<string, number>;
}

/**
 * A pool entry for a pool just created at `block` (nothing else changed yet).
 *
 * @example
 * model.pools.set(state.address, createPoolEntry(createPoolState(poolCreated), { number: 12, hash }));
 */
export function createPoolEntry(state: PoolState, block: BlockStamp, createdBlock = block.number): PoolEntry {
  return { state, createdBlock, block, tickBlocks: new Map(), positionBlocks: new Map() };
}

/** The in-memory state of one pool partition: its pools (PoolCreated adds them) and the factory fold. */
export interface PoolPartitionModel {
  readonly kind: 'pools';
  readonly chainId: number;
  readonly partition: number;
  /** By lowercased pool address. */
  readonly pools: Map<Hex, PoolEntry>;
  readonly factory: FactoryState;
}

/** The in-memory state of the 'tokens' partition: the position manager's live tokens. */
export interface TokenPartitionModel {
  readonly kind: 'tokens';
  readonly chainId: number;
  readonly partition: 'tokens';
  readonly tokens: TokenState;
  /** Block number of the last change of each live token. */
  readonly tokenBlocks: Map<bigint, number>;
}

export type PartitionModel = PoolPartitionModel | TokenPartitionModel;

/**
 * An empty model of `partition` (nothing folded yet). `loadModel` in ../store rebuilds one from Postgres.
 *
 * @example
 * const model = createPartitionModel(31337, 2); // { kind: 'pools', pools: Map(0), … }
 */
export function createPartitionModel(chainId: number, partition: Partition): PartitionModel {
  return partition === 'tokens'
    ? { kind: 'tokens', chainId, partition, tokens: createTokenState(), tokenBlocks: new Map() }
    : { kind: 'pools', chainId, partition, pools: new Map(), factory: createFactoryState() };
}

export type { TokenPosition };
