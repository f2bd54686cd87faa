import { blockNumberOf, type Db } from './db';

/** The block an answer reflects. */
export interface BlockRef {
  readonly number: number;
  readonly hash: string;
}

export interface Checkpoint {
  readonly partition: string;
  readonly block: BlockRef;
}

/** The partition of position-manager (NFT) state; pool partitions are '0'..'P-1'. */
export const TOKENS_PARTITION = 'tokens';

interface CheckpointRow {
  partition: string;
  block_number: string;
  block_hash: string;
}

const toCheckpoint = (r: CheckpointRow): Checkpoint => ({
  partition: r.partition,
  block: { number: blockNumberOf(r.block_number), hash: r.block_hash },
});

/** Every partition's checkpoint on the chain, in partition order. */
export async function listCheckpoints(db: Db, chainId: number): Promise<Checkpoint[]> {
  const { rows } = await db.query<CheckpointRow>(
    `SELECT partition, block_number, block_hash FROM proj_checkpoints
      WHERE chain_id = $1 ORDER BY partition`,
    [chainId],
  );
  return rows.map(toCheckpoint);
}

/** One partition's checkpoint, or undefined when its consumer has not committed yet. */
export async function getCheckpoint(
  db: Db,
  chainId: number,
  partition: string,
): Promise<Checkpoint | undefined> {
  const { rows } = await db.query<CheckpointRow>(
    `SELECT partition, block_number, block_hash FROM proj_checkpoints
      WHERE chain_id = $1 AND partition = $2`,
    [chainId, partition],
  );
  const row = rows[0];
  return row === undefined ? undefined : toCheckpoint(row);
}

/**
 * The lowest checkpoint among the pool partitions (every partition but 'tokens'): every pool row in a
 * list is at least this fresh. Undefined when no pool partition has committed yet.
 */
export async function getLowestPoolCheckpoint(db: Db, chainId: number): Promise<Checkpoint | undefined> {
  const { rows } = await db.query<CheckpointRow>(
    `SELECT partition, block_number, block_hash FROM proj_checkpoints
      WHERE chain_id = $1 AND partition <> $2
      ORDER BY block_number, partition LIMIT 1`,
    [chainId, TOKENS_PARTITION],
  );
  const row = rows[0];
  return row === undefined ? undefined : toCheckpoint(row);
}

/**
 * The hash to stamp a `?block=N` answer of `pool` with. In order of preference:
 * 1. the canonical hash known for N: a checkpoint at exactly N (the pool's partition first), else a
 *    non-orphaned event at N (any pool; every state change comes from a log, so this covers every
 *    block in which anything indexed happened);
 * 2. otherwise no indexed log happened at N, and the hash is that of the newest non-orphaned row of the
 *    pool at or below N (its pool_history, its events, or its latest row when that is at or below N):
 *    the block whose state the answer carries forward to N.
 * Undefined when the pool has no row at or below N at all.
 */
export async function blockHashAt(
  db: Db,
  chainId: number,
  n: number,
  pool: { readonly address: string; readonly partition: string },
): Promise<string | undefined> {
  const { rows } = await db.query<{ hash: string }>(
    `SELECT hash FROM (
        (SELECT block_hash AS hash, 0 AS pref FROM proj_checkpoints
          WHERE chain_id = $1 AND block_number = $2
          ORDER BY (partition = $4) DESC LIMIT 1)
        UNION ALL
        (SELECT block_hash, 1 FROM events
          WHERE chain_id = $1 AND block_number = $2 AND status <> 'orphaned'
          ORDER BY (status = 'confirmed') DESC LIMIT 1)
        UNION ALL
        (SELECT hash, 2 FROM (
            (SELECT block_number, block_hash AS hash FROM pool_history
              WHERE chain_id = $1 AND address = $3 AND block_number <= $2 AND status <> 'orphaned'
              ORDER BY block_number DESC LIMIT 1)
            UNION ALL
            (SELECT block_number, block_hash FROM events
              WHERE chain_id = $1 AND address = $3 AND block_number <= $2 AND status <> 'orphaned'
              ORDER BY block_number DESC, log_index DESC LIMIT 1)
            UNION ALL
            SELECT block_number, block_hash FROM pools
              WHERE chain_id = $1 AND address = $3 AND block_number <= $2
          ) newest ORDER BY block_number DESC LIMIT 1)
      ) known ORDER BY pref LIMIT 1`,
    [chainId, n, pool.address, pool.partition],
  );
  return rows[0]?.hash;
}
