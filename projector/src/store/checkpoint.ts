import type { Partition } from '@tickstream/shared';
import { TickstreamError } from '@tickstream/shared';
import type { Pool, PoolClient } from 'pg';
import { NO_MARKS, type ReorgMarks } from '../consume/marks';

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

interface MarksRow {
  skip_reorg_id: string | null;
  skip_to_block: string | null;
  last_reorg_id: string | null;
}

const toMarks = (r: MarksRow | undefined): ReorgMarks =>
  r === undefined
    ? NO_MARKS
    : {
        skip:
          r.skip_reorg_id === null || r.skip_to_block === null
            ? null
            : { reorgId: r.skip_reorg_id, toBlock: Number(r.skip_to_block) },
        lastReorgId: r.last_reorg_id,
      };

/** A checkpoint with the partition's reorg marks. */
export interface CheckpointState {
  readonly checkpoint: Checkpoint | null;
  readonly marks: ReorgMarks;
}

/**
 * The partition's checkpoint and reorg marks (`NO_MARKS` before its first commit). `forUpdate` locks the
 * row until the caller's transaction ends.
 *
 * @example
 * const { checkpoint, marks } = await readCheckpointState(pg, 31337, 0);
 */
export async function readCheckpointState(
  pg: Pool | PoolClient,
  chainId: number,
  partition: Partition,
  forUpdate = false,
): Promise<CheckpointState> {
  const { rows } = await pg.query<CheckpointRow & MarksRow>(
    `SELECT stream_seq, block_number, block_hash, skip_reorg_id, skip_to_block, last_reorg_id
       FROM proj_checkpoints WHERE chain_id = $1 AND partition = $2${forUpdate ? ' FOR UPDATE' : ''}`,
    [chainId, String(partition)],
  );
  const r = rows[0];
  return { checkpoint: r === undefined ? null : toCheckpoint(r), marks: toMarks(r) };
}

/**
 * Moves the checkpoint past a rollback entry the partition has already rewound for (its block stays),
 * and stores the marks after it; compare-and-set from `expected` like `advanceCheckpoint`. Returns
 * false when the checkpoint is already at or past `seq`.
 *
 * @example await passRollback(pg, 31337, 0, 5120, 5230, { skip: null, lastReorgId: 'r-105-0xab12' });
 */
export async function passRollback(
  pg: Pool,
  chainId: number,
  partition: Partition,
  expected: number | null,
  seq: number,
  marks: ReorgMarks,
): Promise<boolean> {
  const p = String(partition);
  const moved = await pg.query(
    `UPDATE proj_checkpoints SET stream_seq = $3, skip_reorg_id = $4, skip_to_block = $5, last_reorg_id = $6,
            updated_at = now()
      WHERE chain_id = $1 AND partition = $2 AND stream_seq IS NOT DISTINCT FROM $7 AND stream_seq < $3`,
    [chainId, p, seq, marks.skip?.reorgId ?? null, marks.skip?.toBlock ?? null, marks.lastReorgId, expected],
  );
  if (moved.rowCount === 1) return true;
  const current = await readCheckpoint(pg, chainId, partition);
  if (current !== null && current.seq >= seq) return false;
  if (current === null) return false; // nothing committed yet: nothing to move past (the next batch creates it)
  throw new TickstreamError(
    'CHECKPOINT_CONFLICT',
    `partition ${p}: checkpoint expected at seq ${expected ?? 'none'}, found ${current.seq} ` +
      `(passing the rollback at ${seq}): another projector writes this partition`,
    { details: { partition: p, expected, found: current, seq } },
  );
}

/**
 * `readCheckpointState` for several partitions in one query, by partition name.
 *
 * @example
 * const states = await readCheckpointStates(pg, 31337, [0, 1, 'tokens']); // states.get('0')?.checkpoint
 */
export async function readCheckpointStates(
  pg: Pool | PoolClient,
  chainId: number,
  partitions: readonly Partition[],
): Promise<Map<string, CheckpointState>> {
  const { rows } = await pg.query<CheckpointRow & MarksRow & { partition: string }>(
    `SELECT partition, stream_seq, block_number, block_hash, skip_reorg_id, skip_to_block, last_reorg_id
       FROM proj_checkpoints WHERE chain_id = $1 AND partition = ANY($2::text[])`,
    [chainId, partitions.map(String)],
  );
  const out = new Map<string, CheckpointState>();
  for (const p of partitions) out.set(String(p), { checkpoint: null, marks: NO_MARKS });
  for (const r of rows) out.set(r.partition, { checkpoint: toCheckpoint(r), marks: toMarks(r) });
  return out;
}
