import { promisify } from 'node:util';
import { deflateRaw, inflateRaw } from 'node:zlib';
import { type Partition, TickstreamError } from '@tickstream/shared';
import type { Pool, PoolClient } from 'pg';
import { decodeSnapshot, encodeSnapshot, type PartitionModel } from '../apply';

const deflate = promisify(deflateRaw);
const inflate = promisify(inflateRaw);

/**
 * Snapshots kept per partition (the newest ones): with one per SNAPSHOT_EVERY_BLOCKS (default 8), 32
 * cover the last 256 blocks, far more than a reorg may.
 */
export const SNAPSHOTS_KEPT = 32;

/** A snapshot to write with a batch: the partition's model after the batch's last block. */
export interface SnapshotWrite {
  readonly blockNumber: number;
  readonly blockHash: string;
  /** The stream sequence the model covers (the batch's checkpoint). */
  readonly seq: number;
  /** `await packSnapshot(model)`. */
  readonly state: Buffer;
}

/** A snapshot read back. */
export interface LoadedSnapshot extends SnapshotRef {
  readonly model: PartitionModel;
  /** Bytes stored (compressed). */
  readonly bytes: number;
}

/**
 * The model as stored in `proj_snapshots.state`: `encodeSnapshot`'s JSON, raw-deflated (big integers as
 * decimal strings compress several times over). The deflate runs on libuv's thread pool, off the event
 * loop.
 *
 * @example
 * const state = await packSnapshot(model);
 */
export async function packSnapshot(model: PartitionModel): Promise<Buffer> {
  return deflate(encodeSnapshot(model), { level: 1 });
}

/**
 * Whether a batch moving a partition from block `before` (null: no checkpoint yet) to `after` crosses a
 * multiple of `every`: then the batch writes a snapshot at `after`.
 *
 * @example
 * crossesSnapshot(31, 33, 32) === true; crossesSnapshot(33, 40, 32) === false
 */
export function crossesSnapshot(before: number | null, after: number, every: number): boolean {
  return before === null || Math.floor(after / every) > Math.floor(before / every);
}

/**
 * Stores a snapshot inside the caller's transaction and drops the partition's older ones beyond the
 * newest `SNAPSHOTS_KEPT`.
 *
 * @example await writeSnapshot(client, 31337, 2, { blockNumber: 128, blockHash, seq: 5120, state });
 */
export async function writeSnapshot(
  c: PoolClient,
  chainId: number,
  partition: Partition,
  s: SnapshotWrite,
  keep = SNAPSHOTS_KEPT,
): Promise<void> {
  const p = String(partition);
  await c.query(
    `INSERT INTO proj_snapshots (chain_id, partition, block_number, block_hash, stream_seq, state)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
    [chainId, p, s.blockNumber, s.blockHash, s.seq, s.state],
  );
  await c.query(
    `DELETE FROM proj_snapshots WHERE chain_id = $1 AND partition = $2 AND stream_seq < (
       SELECT min(stream_seq) FROM (SELECT stream_seq FROM proj_snapshots WHERE chain_id = $1 AND partition = $2
                                     ORDER BY stream_seq DESC LIMIT $3) newest)`,
    [chainId, p, keep],
  );
}

/** Where a snapshot stands (its state not read yet). */
export interface SnapshotRef {
  readonly blockNumber: number;
  readonly blockHash: string;
  readonly seq: number;
}

/**
 * The partition's newest snapshot at or below `block` (without its state), or null when there is none
 * (a rewind then replays the partition from the start of the stream).
 *
 * @example
 * const ref = await findSnapshot(pg, 31337, 2, 1200); // { blockNumber: 1184, blockHash, seq: 80211 }
 */
export async function findSnapshot(
  pg: Pool | PoolClient,
  chainId: number,
  partition: Partition,
  block: number,
): Promise<SnapshotRef | null> {
  const { rows } = await pg.query<{ block_number: string; block_hash: string; stream_seq: string }>(
    `SELECT block_number, block_hash, stream_seq FROM proj_snapshots
      WHERE chain_id = $1 AND partition = $2 AND block_number <= $3
      ORDER BY block_number DESC, stream_seq DESC LIMIT 1`,
    [chainId, String(partition), block],
  );
  const r = rows[0];
  return r === undefined
    ? null
    : { blockNumber: Number(r.block_number), blockHash: r.block_hash, seq: Number(r.stream_seq) };
}

/**
 * `findSnapshot` for several partitions in one query: by partition name, those that have one.
 *
 * @example
 * const refs = await findSnapshots(pg, 31337, [0, 1, 'tokens'], 1200); // Map { '0' => { blockNumber: 1184, … } }
 */
export async function findSnapshots(
  pg: Pool | PoolClient,
  chainId: number,
  partitions: readonly Partition[],
  block: number,
): Promise<Map<string, SnapshotRef>> {
  const { rows } = await pg.query<{
    partition: string;
    block_number: string;
    block_hash: string;
    stream_seq: string;
  }>(
    `SELECT DISTINCT ON (partition) partition, block_number, block_hash, stream_seq FROM proj_snapshots
      WHERE chain_id = $1 AND partition = ANY($2::text[]) AND block_number <= $3
      ORDER BY partition, block_number DESC, stream_seq DESC`,
    [chainId, partitions.map(String), block],
  );
  return new Map(
    rows.map((r) => [
      r.partition,
      { blockNumber: Number(r.block_number), blockHash: r.block_hash, seq: Number(r.stream_seq) },
    ]),
  );
}

/**
 * Reads and decodes the state of a snapshot found by `findSnapshot`.
 *
 * @example
 * const snap = await readSnapshot(pg, 31337, 2, ref); // { …ref, model, bytes }
 */
export async function readSnapshot(
  pg: Pool | PoolClient,
  chainId: number,
  partition: Partition,
  ref: SnapshotRef,
): Promise<LoadedSnapshot> {
  const { rows } = await pg.query<{ state: Buffer }>(
    'SELECT state FROM proj_snapshots WHERE chain_id = $1 AND partition = $2 AND stream_seq = $3',
    [chainId, String(partition), ref.seq],
  );
  const r = rows[0];
  if (r === undefined) {
    throw new TickstreamError(
      'STORE_ERROR',
      `partition ${partition}: snapshot at block ${ref.blockNumber} (seq ${ref.seq}) is gone`,
      { retryable: true },
    );
  }
  return {
    ...ref,
    model: decodeSnapshot(chainId, partition, (await inflate(r.state)).toString('utf8')),
    bytes: r.state.length,
  };
}

/**
 * The partition's newest snapshot at or below `block`, decoded; null when there is none.
 *
 * @example
 * const snap = await loadSnapshot(pg, 31337, 2, 1200); // { blockNumber: 1184, seq: 80211, model, … }
 */
export async function loadSnapshot(
  pg: Pool | PoolClient,
  chainId: number,
  partition: Partition,
  block: number,
): Promise<LoadedSnapshot | null> {
  const ref = await findSnapshot(pg, chainId, partition, block);
  return ref === null ? null : readSnapshot(pg, chainId, partition, ref);
}

/**
 * Deletes the partition's snapshots above `block` (they hold state of blocks a rewind drops).
 *
 * @example await deleteSnapshotsAbove(client, 31337, 2, 1200);
 */
export async function deleteSnapshotsAbove(
  c: PoolClient,
  chainId: number,
  partition: Partition,
  block: number,
): Promise<number> {
  const r = await c.query(
    'DELETE FROM proj_snapshots WHERE chain_id = $1 AND partition = $2 AND block_number > $3',
    [chainId, String(partition), block],
  );
  return r.rowCount ?? 0;
}
