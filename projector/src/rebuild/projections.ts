import { allPartitions, type Partition, TickstreamError } from '@tickstream/shared';

/**
 * The projections a rebuild can replace, each a set of ledger partitions and the tables their rows
 * live in:
 *
 * | projection | partitions | tables |
 * |---|---|---|
 * | `pools` | p0 … p{P-1} | pools, pool_history, ticks, tick_history, positions, position_history, their `events` |
 * | `tokens` | tokens | nft_positions, its `events` |
 * | `all` (default) | every partition | all of the above |
 *
 * `events` holds the rows of every partition (column `partition`): a rebuild of one projection keeps
 * the other's rows.
 */
export type ProjectionName = 'all' | 'pools' | 'tokens';

export const PROJECTION_NAMES: readonly ProjectionName[] = ['all', 'pools', 'tokens'];

/** A table a rebuild replaces, and which of its live rows stay (other chains, other partitions, orphaned rows). */
export interface RebuiltTable {
  readonly name: string;
  /** Its rows are history (they carry `status`): orphaned ones of the live table are kept. */
  readonly history: boolean;
  /** Rows of several projections (`events`): live rows of partitions not rebuilt are kept. */
  readonly shared: boolean;
}

export interface Projection {
  readonly name: ProjectionName;
  readonly partitions: readonly Partition[];
  readonly tables: readonly RebuiltTable[];
}

const POOL_TABLES: RebuiltTable[] = [
  { name: 'pools', history: false, shared: false },
  { name: 'pool_history', history: true, shared: false },
  { name: 'ticks', history: false, shared: false },
  { name: 'tick_history', history: true, shared: false },
  { name: 'positions', history: false, shared: false },
  { name: 'position_history', history: true, shared: false },
];
const TOKEN_TABLES: RebuiltTable[] = [{ name: 'nft_positions', history: false, shared: false }];
const EVENTS: RebuiltTable = { name: 'events', history: true, shared: true };

/**
 * The projection named `name` of a chain with `partitions` pool partitions; an unknown name is
 * BAD_REQUEST.
 *
 * @example
 * projectionOf('tokens', 4); // { partitions: ['tokens'], tables: [nft_positions, events] }
 */
export function projectionOf(name: string | undefined, partitions: number): Projection {
  switch (name ?? 'all') {
    case 'all':
      return {
        name: 'all',
        partitions: allPartitions(partitions),
        tables: [...POOL_TABLES, ...TOKEN_TABLES, EVENTS],
      };
    case 'pools':
      return {
        name: 'pools',
        partitions: allPartitions(partitions).filter((p) => p !== 'tokens'),
        tables: [...POOL_TABLES, EVENTS],
      };
    case 'tokens':
      return { name: 'tokens', partitions: ['tokens'], tables: [...TOKEN_TABLES, EVENTS] };
    default:
      throw new TickstreamError(
        'BAD_REQUEST',
        `unknown projection '${name}': expected one of ${PROJECTION_NAMES.join(', ')}`,
      );
  }
}
