import type { Partition } from '@tickstream/shared';
import { TickstreamError } from '@tickstream/shared';
import type { Pool, PoolClient } from 'pg';

/** A partition consumer's position: the stream sequence and the block it covers. */
export interface Checkpoint {
  readonly seq: number;
  readonly blockNumber: number;
  readonly blockHash: string;
}

interface CheckpointRow {
  stream_seq: string;
  block_number: string;
  block_hash: string;
}

const toCheckpoint = (r: CheckpointRow): Checkpoint => ({
  seq: Number(r.stream_seq),
  blockNumber: Number(r.block_number),
  blockHash: r.block_hash,
});

/**
 * The partition's checkpoint, or null before its first commit.
 *
 * @example
 * const cp = await readCheckpoint(pg, 31337, 0); // { seq: 5120, blockNumber: 812, blockHash: '0x…' }
 */
export async function readCheckpoint(
  pg: Pool | PoolClient,
  chainId: number,
  partition: Partition,
): Promise<Checkpoint | null> {
  const { rows } = await pg.query<CheckpointRow>(
    'SELECT stream_seq, block_number, block_hash FROM proj_checkpoints WHERE chain_id = $1 AND partition = $2',
    [chainId, String(partition)],
  );
  return rows[0] === undefined ? null : toCheckpoint(rows[0]);
}

export type AdvanceResult =
  | { readonly status: 'advanced' }
  /** The checkpoint is already at or after `next`: the batch was applied before (a redelivery). */
  | { readonly status: 'already-applied'; readonly current: Checkpoint };

/**
 * Compare-and-set of the checkpoint inside the caller's transaction: moves it from `expected` (null = no
 * row yet) to `next`. The row stays locked until the transaction ends, so a concurrent writer waits. A
 * checkpoint found at or after `next` means "already applied" (it never moves back); any other value means someone else
 * writes this partition: CHECKPOINT_CONFLICT.
 *
 * @example
 * const r = await advanceCheckpoint(client, 31337, 0, 5120, { seq: 5300, blockNumber: 830, blockHash });
 * if (r.status === 'already-applied') await client.query('ROLLBACK');
 */
export async function advanceCheckpoint(
  client: PoolClient,
  chainId: number,
  partition: Partition,
  expected: number | null,
  next: Checkpoint,
): Promise<AdvanceResult> {
  const p = String(partition);
  const moved =
    expected === null
      ? await client.query(
          `INSERT INTO proj_checkpoints (chain_id, partition, stream_seq, block_number, block_hash)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (chain_id, partition) DO NOTHING`,
          [chainId, p, next.seq, next.blockNumber, next.blockHash],
        )
      : await client.query(
          `UPDATE proj_checkpoints SET stream_seq = $3, block_number = $4, block_hash = $5, updated_at = now()
            WHERE chain_id = $1 AND partition = $2 AND stream_seq = $6 AND stream_seq < $3`,
          [chainId, p, next.seq, next.blockNumber, next.blockHash, expected],
        );
  if (moved.rowCount === 1) return { status: 'advanced' };
  const current = await readCheckpoint(client, chainId, partition);
  if (current !== null && current.seq >= next.seq) return { status: 'already-applied', current };
  throw new TickstreamError(
    'CHECKPOINT_CONFLICT',
    `partition ${p}: checkpoint expected at seq ${expected ?? 'none'}, found ${current?.seq ?? 'none'} ` +
      `(moving to ${next.seq}): another projector writes this partition`,
    { details: { partition: p, expected, found: current, next } },
  );
}
