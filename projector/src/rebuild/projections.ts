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
  /**
   * The columns ANALYZE samples once the table is built: those readers filter, join or order on (its
   * keys, `status`, `partition`, `type`, `burned`, `liquidity_gross`). Undefined: every column. The
   * values no query selects by (amounts, hashes, `args`) are left out: their statistics cost most of
   * ANALYZE's time (events: 0.55 s against 0.18 s on the bench ledger) and come with autovacuum's next
   * analyze.
   */
  readonly stats?: readonly string[];
}

export interface Projection {
  readonly name: ProjectionName;
  readonly partitions: readonly Partition[];
  readonly tables: readonly RebuiltTable[];
}

const POOL_TABLES: RebuiltTable[] = [
  { name: 'pools', history: false, shared: false },
  {
    name: 'pool_history',
    history: true,
    shared: false,
    stats: ['chain_id', 'address', 'block_number', 'status'],
  },
  {
    name: 'ticks',
    history: false,
    shared: false,
    stats: ['chain_id', 'pool', 'tick', 'liquidity_gross', 'block_number'],
  },
  {
    name: 'tick_history',
    history: true,
    shared: false,
    stats: ['chain_id', 'pool', 'tick', 'block_number', 'status', 'liquidity_gross'],
  },
  {
    name: 'positions',
    history: false,
    shared: false,
    stats: ['chain_id', 'pool', 'owner', 'tick_lower', 'tick_upper', 'block_number'],
  },
  {
    name: 'position_history',
    history: true,
    shared: false,
    stats: ['chain_id', 'pool', 'owner', 'tick_lower', 'tick_upper', 'block_number', 'status'],
  },
];
const TOKEN_TABLES: RebuiltTable[] = [
  {
    name: 'nft_positions',
    history: false,
    shared: false,
    stats: ['chain_id', 'token_id', 'owner', 'pool', 'burned', 'block_number'],
  },
];
const EVENTS: RebuiltTable = {
  name: 'events',
  history: true,
  shared: true,
  stats: ['chain_id', 'partition', 'address', 'block_number', 'log_index', 'type', 'status'],
};

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
