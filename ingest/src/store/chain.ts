import type { Hex } from '@tickstream/shared';
import type { Pool } from 'pg';
import type { ChainHeader } from '../rpc';
import { inTransaction } from './transaction';

/** Pools known to ingest, with the block each was created in. */
export async function loadPools(pg: Pool, chainId: number): Promise<Map<Hex, number>> {
  const r = await pg.query<{ address: Hex; created_block: string }>(
    'SELECT address, created_block FROM ingest_pools WHERE chain_id = $1',
    [chainId],
  );
  return new Map(r.rows.map((row) => [row.address, Number(row.created_block)]));
}

/** Records discovered pools before any of their logs are appended, so a restart never forgets one. */
export async function savePools(pg: Pool, chainId: number, pools: ReadonlyMap<Hex, number>): Promise<void> {
  if (pools.size === 0) return;
  const addresses = [...pools.keys()];
  await pg.query(
    `INSERT INTO ingest_pools (chain_id, address, created_block)
     SELECT $1, a, b FROM unnest($2::text[], $3::bigint[]) AS t(a, b)
     ON CONFLICT (chain_id, address) DO NOTHING`,
    [chainId, addresses, addresses.map((a) => pools.get(a))],
  );
}

/** The newest `limit` stored headers, oldest first. */
export async function loadHeaders(pg: Pool, chainId: number, limit: number): Promise<ChainHeader[]> {
  const r = await pg.query<{ number: string; hash: Hex; parent_hash: Hex; timestamp: string }>(
    'SELECT number, hash, parent_hash, timestamp FROM ingest_headers WHERE chain_id = $1 ORDER BY number DESC LIMIT $2',
    [chainId, limit],
  );
  return r.rows
    .map((row) => ({
      number: Number(row.number),
      hash: row.hash,
      parentHash: row.parent_hash,
      timestamp: Number(row.timestamp),
    }))
    .reverse();
}

/**
 * Stores a header and moves the cursor in one transaction, after the block's entries are in the
 * ledger; prunes headers older than `keep` blocks.
 */
export async function saveHeader(
  pg: Pool,
  chainId: number,
  header: ChainHeader,
  streamSeq: number,
  keep: number,
): Promise<void> {
  await inTransaction(pg, async (c) => {
    await c.query(
      `INSERT INTO ingest_headers (chain_id, number, hash, parent_hash, timestamp) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (chain_id, number) DO UPDATE SET hash = EXCLUDED.hash, parent_hash = EXCLUDED.parent_hash,
       timestamp = EXCLUDED.timestamp`,
      [chainId, header.number, header.hash, header.parentHash, header.timestamp],
    );
    await c.query('DELETE FROM ingest_headers WHERE chain_id = $1 AND number < $2', [
      chainId,
      header.number - keep,
    ]);
    await upsertCursor(c, chainId, header.number, streamSeq);
  });
}

/** Moves the cursor: every block up to `blockNumber` is in the ledger up to stream sequence `streamSeq`. */
export async function saveCursor(
  pg: Pool,
  chainId: number,
  blockNumber: number,
  streamSeq: number,
): Promise<void> {
  await upsertCursor(pg, chainId, blockNumber, streamSeq);
}

export interface Cursor {
  readonly blockNumber: number;
  readonly streamSeq: number;
  /** The id of the latest rollback appended to the ledger (part of message ids), or null. */
  readonly epoch: string | null;
}

export async function loadCursor(pg: Pool, chainId: number): Promise<Cursor | null> {
  const r = await pg.query<{ block_number: string; stream_seq: string; epoch: string | null }>(
    'SELECT block_number, stream_seq, epoch FROM ingest_cursor WHERE chain_id = $1',
    [chainId],
  );
  const row = r.rows[0];
  return row === undefined
    ? null
    : { blockNumber: Number(row.block_number), streamSeq: Number(row.stream_seq), epoch: row.epoch };
}

/**
 * After a rollback to `toBlock` is in the ledger: the cursor goes back to it (not only forward, as
 * `saveCursor` does), the epoch becomes the rollback's id, and headers above it are dropped.
 */
export async function rewindCursor(
  pg: Pool,
  chainId: number,
  toBlock: number,
  streamSeq: number,
  epoch: string,
): Promise<void> {
  await inTransaction(pg, async (c) => {
    await c.query('DELETE FROM ingest_headers WHERE chain_id = $1 AND number > $2', [chainId, toBlock]);
    await c.query(
      `INSERT INTO ingest_cursor (chain_id, block_number, stream_seq, epoch) VALUES ($1, $2, $3, $4)
     ON CONFLICT (chain_id) DO UPDATE SET block_number = EXCLUDED.block_number, stream_seq = EXCLUDED.stream_seq,
       epoch = EXCLUDED.epoch, updated_at = now()`,
      [chainId, toBlock, streamSeq, epoch],
    );
  });
}

async function upsertCursor(
  q: { query: Pool['query'] },
  chainId: number,
  blockNumber: number,
  streamSeq: number,
): Promise<void> {
  await q.query(
    `INSERT INTO ingest_cursor (chain_id, block_number, stream_seq) VALUES ($1, $2, $3)
     ON CONFLICT (chain_id) DO UPDATE SET block_number = GREATEST(ingest_cursor.block_number, EXCLUDED.block_number),
       stream_seq = GREATEST(ingest_cursor.stream_seq, EXCLUDED.stream_seq), updated_at = now()`,
    [chainId, blockNumber, streamSeq],
  );
}
