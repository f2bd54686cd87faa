import { blockNumberOf, type Db } from './db';

/** One decoded log of a pool, as the projector stored it (`args` values as the projector wrote them). */
export interface PoolEvent {
  readonly type: string;
  readonly blockNumber: number;
  readonly blockHash: string;
  readonly txHash: string;
  readonly txIndex: number;
  readonly logIndex: number;
  readonly args: Record<string, unknown>;
}

/** Where a page ends: the (block, logIndex) of its last event. */
export interface EventPosition {
  readonly blockNumber: number;
  readonly logIndex: number;
}

export interface EventQuery {
  readonly fromBlock: number;
  readonly toBlock: number;
  readonly type: string | undefined;
  readonly after: EventPosition | undefined;
  readonly limit: number;
}

interface EventRow {
  type: string;
  block_number: string;
  block_hash: string;
  tx_hash: string;
  tx_index: number;
  log_index: number;
  args: Record<string, unknown>;
}

export interface EventPage {
  readonly events: PoolEvent[];
  readonly last: EventPosition | undefined;
}

/**
 * One page of a pool's non-orphaned events in chain order (block, then log index), within
 * [fromBlock, toBlock], of one type when given, strictly after `after` when given.
 */
export async function listEvents(db: Db, chainId: number, pool: string, q: EventQuery): Promise<EventPage> {
  const { rows } = await db.query<EventRow>(
    `SELECT type, block_number, block_hash, tx_hash, tx_index, log_index, args FROM events
      WHERE chain_id = $1 AND address = $2 AND status <> 'orphaned'
        AND block_number >= $3 AND block_number <= $4
        AND ($5::text IS NULL OR type = $5)
        AND (block_number, log_index) > ($6::bigint, $7::integer)
      ORDER BY block_number, log_index LIMIT $8`,
    [
      chainId,
      pool,
      q.fromBlock,
      q.toBlock,
      q.type ?? null,
      q.after?.blockNumber ?? -1,
      q.after?.logIndex ?? -1,
      q.limit + 1,
    ],
  );
  const more = rows.length > q.limit;
  const events = (more ? rows.slice(0, q.limit) : rows).map(
    (r): PoolEvent => ({
      type: r.type,
      blockNumber: blockNumberOf(r.block_number),
      blockHash: r.block_hash,
      txHash: r.tx_hash,
      txIndex: r.tx_index,
      logIndex: r.log_index,
      args: r.args,
    }),
  );
  const lastEvent = events[events.length - 1];
  return {
    events,
    last:
      more && lastEvent !== undefined
        ? { blockNumber: lastEvent.blockNumber, logIndex: lastEvent.logIndex }
        : undefined,
  };
}
