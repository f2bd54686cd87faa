import { type Partition, TickstreamError } from '@tickstream/shared';
import type { Pool, PoolClient } from 'pg';
import type { BatchChanges, PartitionModel, PoolRow } from '../apply';
import { NO_MARKS, type ReorgMarks } from '../consume/marks';
import type { Hex } from '../fold';
import type { Checkpoint, CheckpointState } from './checkpoint';
import {
  deletedTicks,
  deletionsSql,
  markOrphaned,
  type OrphanCounts,
  type Orphaned,
  poolRewrite,
  type Rewrite,
  tokenRewrite,
} from './rewind-rows';
import { writeChanges } from './write';

export type { OrphanCounts } from './rewind-rows';

/** Where a rewind starts: known before the ledger is replayed. */
export interface RewindStart {
  readonly chainId: number;
  readonly partition: Partition;
  /** The checkpoint seq the rewind started from (null: none yet): compare-and-set. */
  readonly expectedSeq: number | null;
  readonly reorgId: string;
  readonly toBlock: number;
}

/** What a rewind found by replaying the ledger. */
export interface RewindFinish {
  readonly checkpoint: Checkpoint;
  readonly marks: ReorgMarks;
  /** Canonical blocks at or below `toBlock` past the old checkpoint (a partition that was behind). */
  readonly forward: BatchChanges;
  /** The partition's model at `toBlock`: the latest rows of every key changed above it are rewritten from it. */
  readonly model: PartitionModel;
}

/** Where `RewindTransaction.begin`'s time went (ms): a pool connection, the locks, the orphan marking. */
export interface RewindBeginTimes {
  readonly connect: number;
  readonly lock: number;
  readonly orphan: number;
}

/** Where `RewindTransaction.finish`'s time went (ms). */
export interface RewindFinishTimes {
  /** Canonical blocks past the old checkpoint written. */
  readonly forward: number;
  /** Latest rows rewritten from the model. */
  readonly rewrite: number;
  /** Latest rows of keys absent at the target and snapshots above it deleted, finality lowered, checkpoint stored. */
  readonly checkpoint: number;
  readonly commit: number;
}

/** What a rewind writes, in one transaction. */
export type RewindWrite = RewindStart & RewindFinish;

export type RewindWriteResult =
  | {
      readonly status: 'written';
      readonly orphaned: OrphanCounts;
      /** Latest rows written from the model, and deleted (keys that did not exist at `toBlock`). */
      readonly rewritten: number;
      readonly deleted: number;
      readonly snapshotsDeleted: number;
      /** For Redis: the pools whose row changed, and those deleted. */
      readonly pools: PoolRow[];
      readonly deletedPools: Hex[];
    }
  /** The checkpoint already records this reorg: another run did it (nothing written). */
  | { readonly status: 'repeated' };

/**
 * The end of a rewind, in one statement: the latest rows of keys absent at the target deleted, the
 * snapshots above the target deleted, the finality progress lowered to the target (rows above it that
 * come back must be confirmed again), the checkpoint and its marks stored. Returns the rows and the
 * snapshots deleted.
 */
async function finishRewind(
  c: PoolClient,
  w: RewindWrite,
  r: Rewrite,
): Promise<{ deleted: number; snapshots: number }> {
  const { checkpoint: cp, marks } = w;
  const d = deletionsSql(r, 10);
  const deleted = d.names.length === 0 ? '0' : d.names.map((n) => `(SELECT count(*) FROM ${n})`).join(' + ');
  const { rows } = await c.query<{ snapshots: string; deleted: string }>(
    `WITH ${d.ctes.map((x) => `${x},\n`).join('')}
     s AS (DELETE FROM proj_snapshots WHERE chain_id = $1 AND partition = $2 AND block_number > $9 RETURNING 1),
     f AS (UPDATE proj_finality SET confirmed_block = $9, updated_at = now()
            WHERE chain_id = $1 AND partition = $2 AND confirmed_block > $9 RETURNING 1),
     c AS (INSERT INTO proj_checkpoints (chain_id, partition, stream_seq, block_number, block_hash, skip_reorg_id,
                 skip_to_block, last_reorg_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (chain_id, partition) DO UPDATE SET stream_seq = $3, block_number = $4, block_hash = $5,
                 skip_reorg_id = $6, skip_to_block = $7, last_reorg_id = $8, updated_at = now()
           RETURNING 1)
     SELECT (SELECT count(*) FROM s) AS snapshots, ${deleted} AS deleted,
            (SELECT count(*) FROM f) AS f, (SELECT count(*) FROM c) AS c`,
    [
      w.chainId,
      String(w.partition),
      cp.seq,
      cp.blockNumber,
      cp.blockHash,
      marks.skip?.reorgId ?? null,
      marks.skip?.toBlock ?? null,
      marks.lastReorgId,
      w.toBlock,
      ...d.params,
    ],
  );
  return { snapshots: Number(rows[0]?.snapshots ?? 0), deleted: Number(rows[0]?.deleted ?? 0) };
}

/** Locks the partition's checkpoint and finality rows (in this order, like batches and the finality task). */
async function lockPartition(c: PoolClient, w: RewindStart): Promise<CheckpointState> {
  const { rows } = await c.query<{
    stream_seq: string | null;
    block_number: string | null;
    block_hash: string | null;
    skip_reorg_id: string | null;
    skip_to_block: string | null;
    last_reorg_id: string | null;
  }>(
    `WITH cp AS (SELECT stream_seq, block_number, block_hash, skip_reorg_id, skip_to_block, last_reorg_id
                   FROM proj_checkpoints WHERE chain_id = $1 AND partition = $2 FOR UPDATE),
     f AS (SELECT 1 FROM proj_finality WHERE chain_id = $1 AND partition = $2 FOR UPDATE)
     SELECT cp.*, (SELECT count(*) FROM f) AS f FROM (SELECT 1) one LEFT JOIN cp ON true`,
    [w.chainId, String(w.partition)],
  );
  const r = rows[0];
  if (r === undefined || r.stream_seq === null) return { checkpoint: null, marks: NO_MARKS };
  return {
    checkpoint: { seq: Number(r.stream_seq), blockNumber: Number(r.block_number), blockHash: r.block_hash! },
    marks: {
      skip:
        r.skip_reorg_id === null || r.skip_to_block === null
          ? null
          : { reorgId: r.skip_reorg_id, toBlock: Number(r.skip_to_block) },
      lastReorgId: r.last_reorg_id,
    },
  };
}

/**
 * A rewind's one Postgres transaction, in two steps so that the first overlaps the replay of the
 * ledger: `begin` locks the partition's checkpoint (compare-and-set from `expectedSeq`) and marks the
 * history and event rows above `toBlock` orphaned (never deleted); `finish`, once the model at
 * `toBlock` is known, writes the canonical blocks past the old checkpoint (`forward`), rewrites the
 * latest rows of every key changed above `toBlock` from the model (or deletes them when the key did not
 * exist at `toBlock`), deletes the snapshots above `toBlock`, stores the checkpoint with its reorg marks
 * and commits. A checkpoint that already records `reorgId` means another run did it: `begin` returns
 * null, nothing written. The transaction holds one connection, which also serves `client` reads
 * meanwhile (e.g. the snapshot).
 *
 * @example
 * const tx = await RewindTransaction.begin(pg, { chainId, partition: 0, expectedSeq: 5300, reorgId, toBlock: 120 });
 * const r = await tx?.finish({ checkpoint, marks, forward, model });
 */
export class RewindTransaction {
  #open = true;
  /** Where `finish`'s time went (ms), once it ran. */
  finishMs: RewindFinishTimes | null = null;

  private constructor(
    readonly client: PoolClient,
    readonly start: RewindStart,
    readonly orphaned: Orphaned,
    /** Where `begin`'s time went (ms). */
    readonly beginMs: RewindBeginTimes,
  ) {}

  /** Locks, checks and marks the orphaned rows; null when the partition already rewound for `reorgId`. */
  static async begin(pg: Pool, start: RewindStart): Promise<RewindTransaction | null> {
    const t0 = performance.now();
    const c = await pg.connect();
    const connected = performance.now();
    try {
      await c.query('BEGIN');
      const current = await lockPartition(c, start);
      const locked = performance.now();
      if (current.marks.lastReorgId === start.reorgId) {
        await c.query('ROLLBACK');
        c.release();
        return null;
      }
      const seq = current.checkpoint?.seq ?? null;
      if (seq !== start.expectedSeq) {
        throw new TickstreamError(
          'CHECKPOINT_CONFLICT',
          `partition ${start.partition}: rewinding from checkpoint seq ${start.expectedSeq ?? 'none'}, found ${seq ?? 'none'}: ` +
            'another projector writes this partition',
          {
            details: {
              partition: String(start.partition),
              expected: start.expectedSeq,
              found: current.checkpoint,
            },
          },
        );
      }
      const orphaned = await markOrphaned(c, start);
      const marked = performance.now();
      return new RewindTransaction(c, start, orphaned, {
        connect: connected - t0,
        lock: locked - connected,
        orphan: marked - locked,
      });
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      c.release();
      throw storeError(start, err);
    }
  }

  /** Rewrites, stores the checkpoint and commits. */
  async finish(f: RewindFinish): Promise<RewindWriteResult & { status: 'written' }> {
    const w: RewindWrite = { ...this.start, ...f };
    const c = this.client;
    try {
      const t0 = performance.now();
      const rewrite =
        w.model.kind === 'tokens' ? tokenRewrite(w, this.orphaned.tokenIds) : poolRewrite(w, this.orphaned);
      if (w.forward.blocks > 0) await writeChanges(c, w.forward);
      const t1 = performance.now();
      await writeChanges(c, rewrite.batch);
      const t2 = performance.now();
      const { deleted, snapshots: snapshotsDeleted } = await finishRewind(c, w, rewrite);
      const t3 = performance.now();
      await c.query('COMMIT');
      this.#open = false;
      c.release();
      this.finishMs = {
        forward: t1 - t0,
        rewrite: t2 - t1,
        checkpoint: t3 - t2,
        commit: performance.now() - t3,
      };
      const b = rewrite.batch;
      return {
        status: 'written',
        orphaned: this.orphaned.counts,
        rewritten: b.pools.size + b.ticks.size + b.positions.size + b.nfts.size - deletedTicks(b),
        deleted: deleted + deletedTicks(b),
        snapshotsDeleted,
        pools: [...w.forward.pools.values(), ...b.pools.values()],
        deletedPools: rewrite.deletePools,
      };
    } catch (err) {
      await this.abort();
      throw storeError(w, err);
    }
  }

  /** Rolls back (nothing written) unless finished. Idempotent. */
  async abort(): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    await this.client.query('ROLLBACK').catch(() => undefined);
    this.client.release();
  }
}

function storeError(w: RewindStart, err: unknown): unknown {
  if (err instanceof TickstreamError) return err;
  return new TickstreamError(
    'STORE_ERROR',
    `partition ${w.partition}: writing the rewind to block ${w.toBlock} failed: ${(err as Error).message}`,
    { retryable: true, cause: err },
  );
}

/**
 * `RewindTransaction` in one go (both steps).
 *
 * @example
 * const r = await writeRewind(pg, { chainId, partition: 0, expectedSeq: 5300, reorgId, toBlock: 120, checkpoint, marks, forward, model });
 */
export async function writeRewind(pg: Pool, w: RewindWrite): Promise<RewindWriteResult> {
  const tx = await RewindTransaction.begin(pg, w);
  return tx === null ? { status: 'repeated' } : tx.finish(w);
}
