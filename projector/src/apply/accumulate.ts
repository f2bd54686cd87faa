import type { Partition } from '@tickstream/shared';
import type { Hex } from '../fold';
import type { BlockChanges } from './apply-block';
import type { BlockStamp, EventRow, NftRow, PoolRow, PositionRow, TickRow } from './rows';

/**
 * What a batch of consecutive blocks of one partition changed, ready for one transaction: the latest
 * value of each key (for the latest tables), every block's row of each changed key (for the history
 * tables), the events, and where the batch ends (checkpoint).
 */
export interface BatchChanges {
  readonly chainId: number;
  readonly partition: Partition;
  /** Stream sequence of the last block's seal: the checkpoint once written. 0 while empty. */
  seq: number;
  /** The last block of the batch. */
  block: BlockStamp | null;
  blocks: number;
  logs: number;
  skipped: number;
  readonly pools: Map<Hex, PoolRow>;
  /** By `pool:tick`; a `cleared` row means delete from `ticks`. */
  readonly ticks: Map<string, TickRow>;
  /** By `pool:owner:tickLower:tickUpper`. */
  readonly positions: Map<string, PositionRow>;
  readonly nfts: Map<bigint, NftRow>;
  readonly poolHistory: PoolRow[];
  readonly tickHistory: TickRow[];
  readonly positionHistory: PositionRow[];
  readonly events: EventRow[];
}

/**
 * An empty batch of `partition`.
 *
 * @example
 * const batch = createBatch(31337, 0);
 */
export function createBatch(chainId: number, partition: Partition): BatchChanges {
  return {
    chainId,
    partition,
    seq: 0,
    block: null,
    blocks: 0,
    logs: 0,
    skipped: 0,
    pools: new Map(),
    ticks: new Map(),
    positions: new Map(),
    nfts: new Map(),
    poolHistory: [],
    tickHistory: [],
    positionHistory: [],
    events: [],
  };
}

/**
 * Adds one block's changes to a batch (in place; blocks in ledger order): later values of a key replace
 * earlier ones in the latest maps, and every block's row is kept for history.
 *
 * @example
 * const batch = createBatch(chainId, partition);
 * for (const block of blocks) accumulate(batch, applyBlock(model, block));
 * await writeBatch(pg, batch, checkpoint);
 */
export function accumulate(batch: BatchChanges, changes: BlockChanges): BatchChanges {
  for (const row of changes.pools) {
    batch.pools.set(row.address, row);
    batch.poolHistory.push(row);
  }
  for (const row of changes.ticks) {
    batch.ticks.set(`${row.pool}:${row.tick}`, row);
    batch.tickHistory.push(row);
  }
  for (const row of changes.positions) {
    batch.positions.set(`${row.pool}:${row.owner}:${row.tickLower}:${row.tickUpper}`, row);
    batch.positionHistory.push(row);
  }
  for (const row of changes.nfts) batch.nfts.set(row.tokenId, row);
  for (const row of changes.events) batch.events.push(row);
  batch.seq = changes.seq;
  batch.block = changes.block;
  batch.blocks++;
  batch.logs += changes.logs;
  batch.skipped += changes.skipped;
  return batch;
}
