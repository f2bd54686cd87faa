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

/** A pool of a partition: its folded state and the block the factory created it in. */
export interface PoolEntry {
  readonly state: PoolState;
  readonly createdBlock: number;
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
    ? { kind: 'tokens', chainId, partition, tokens: createTokenState() }
    : { kind: 'pools', chainId, partition, pools: new Map(), factory: createFactoryState() };
}

export type { TokenPosition };
