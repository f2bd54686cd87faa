import type { Hex } from '@tickstream/shared';
import type { Pool } from 'pg';
import { inTransaction } from './transaction';

export type WatchKind = 'pool' | 'factory';

/**
 * An address an operator added at runtime, and how far its history is in the ledger. While
 * `joinedAt` is null the address is backfilled (a catch-up segment, blocks `fromBlock..doneTo` done);
 * once joined, it is followed with every other address from block `joinedAt` on.
 */
export interface WatchJob {
  readonly address: Hex;
  readonly kind: WatchKind;
  readonly fromBlock: number;
  /** History appended through this block (`fromBlock - 1` before the first chunk). */
  doneTo: number;
  /**
   * Inside block `doneTo + 1`: logs at or below this logIndex are already in the ledger (a chunk cut
   * short by a stop, learned from the ledger tail); -1 when none.
   */
  skipLogIndex: number;
  joinedAt: number | null;
  /** Catch-up log entries appended so far. */
  logs: number;
  /** For a factory: the pools its PoolCreated logs created so far, with their creation blocks. */
  readonly pools: Map<Hex, number>;
}

interface JobRow {
  address: Hex;
  kind: WatchKind;
  from_block: string;
  done_to: string;
  skip_log_index: number;
  joined_at: string | null;
  logs: string;
}

/** Every watch job of the chain, with the pools each watched factory discovered. */
export async function loadWatchJobs(pg: Pool, chainId: number): Promise<Map<Hex, WatchJob>> {
  const [jobs, pools] = await Promise.all([
    pg.query<JobRow>(
      `SELECT address, kind, from_block, done_to, skip_log_index, joined_at, logs
       FROM ingest_watch WHERE chain_id = $1`,
      [chainId],
    ),
    pg.query<{ factory: Hex; pool: Hex; created_block: string }>(
      'SELECT factory, pool, created_block FROM ingest_watch_pools WHERE chain_id = $1',
      [chainId],
    ),
  ]);
  const out = new Map<Hex, WatchJob>();
  for (const r of jobs.rows) {
    out.set(r.address, {
      address: r.address,
      kind: r.kind,
      fromBlock: Number(r.from_block),
      doneTo: Number(r.done_to),
      skipLogIndex: r.skip_log_index,
      joinedAt: r.joined_at === null ? null : Number(r.joined_at),
      logs: Number(r.logs),
      pools: new Map(),
    });
  }
  for (const r of pools.rows) out.get(r.factory)?.pools.set(r.pool, Number(r.created_block));
  return out;
}

/** Records a new job (nothing appended yet). Returns false when the address already has one. */
export async function insertWatchJob(pg: Pool, chainId: number, job: WatchJob): Promise<boolean> {
  const r = await pg.query(
    `INSERT INTO ingest_watch (chain_id, address, kind, from_block, done_to, skip_log_index, joined_at, logs)
     VALUES ($1, $2, $3, $4, $5, -1, NULL, 0) ON CONFLICT (chain_id, address) DO NOTHING`,
    [chainId, job.address, job.kind, job.fromBlock, job.doneTo],
  );
  return (r.rowCount ?? 0) > 0;
}

/**
 * Stores a job's progress after its chunk is in the ledger, together with the pools a factory's
 * chunk discovered (called before the chunk is appended, with `progressOnly` false, so a restart
 * never forgets a pool whose logs may be in the ledger).
 */
export async function saveWatchProgress(
  pg: Pool,
  chainId: number,
  job: WatchJob,
  discovered: ReadonlyMap<Hex, number> = new Map(),
): Promise<void> {
  await inTransaction(pg, async (c) => {
    if (discovered.size > 0) {
      const pools = [...discovered.keys()];
      await c.query(
        `INSERT INTO ingest_watch_pools (chain_id, factory, pool, created_block)
       SELECT $1, $2, p, b FROM unnest($3::text[], $4::bigint[]) AS t(p, b)
       ON CONFLICT (chain_id, factory, pool) DO NOTHING`,
        [chainId, job.address, pools, pools.map((p) => discovered.get(p))],
      );
    }
    await c.query(
      `UPDATE ingest_watch SET done_to = $3, skip_log_index = $4, joined_at = $5, logs = $6, updated_at = now()
     WHERE chain_id = $1 AND address = $2`,
      [chainId, job.address, job.doneTo, job.skipLogIndex, job.joinedAt, job.logs],
    );
  });
}

/**
 * A job's history is in the ledger up to the block the follower is at: from now on its addresses
 * (the pool; the factory and every pool it created) are followed like the configured ones. One
 * transaction, so a restart finds the addresses either still backfilling or followed.
 */
export async function joinWatchJob(
  pg: Pool,
  chainId: number,
  job: WatchJob,
  pools: ReadonlyMap<Hex, number>,
): Promise<void> {
  await inTransaction(pg, async (c) => {
    const addresses = [...pools.keys()];
    if (addresses.length > 0) {
      await c.query(
        `INSERT INTO ingest_pools (chain_id, address, created_block)
       SELECT $1, a, b FROM unnest($2::text[], $3::bigint[]) AS t(a, b)
       ON CONFLICT (chain_id, address) DO NOTHING`,
        [chainId, addresses, addresses.map((a) => pools.get(a))],
      );
    }
    await c.query(
      `UPDATE ingest_watch SET done_to = $3, joined_at = $4, logs = $5, skip_log_index = -1, updated_at = now()
     WHERE chain_id = $1 AND address = $2`,
      [chainId, job.address, job.doneTo, job.joinedAt, job.logs],
    );
  });
}

/** Drops a job that has not joined yet (the operator removed the request). */
export async function deleteWatchJob(pg: Pool, chainId: number, address: Hex): Promise<void> {
  await pg.query('DELETE FROM ingest_watch_pools WHERE chain_id = $1 AND factory = $2', [chainId, address]);
  await pg.query('DELETE FROM ingest_watch WHERE chain_id = $1 AND address = $2 AND joined_at IS NULL', [
    chainId,
    address,
  ]);
}
