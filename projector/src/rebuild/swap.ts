import type { Logger, Partition } from '@tickstream/shared';
import { TickstreamError } from '@tickstream/shared';
import type { Redis } from 'ioredis';
import type { Pool, PoolClient } from 'pg';
import { type BatchChanges, createBatch, type PoolRow } from '../apply';
import type { Hex } from '../fold';
import { publishBatch, writeChanges } from '../store';
import type { FoldPosition } from './fold';
import type { Projection } from './projections';
import { ident } from './schema';

/** What the swap needs from the rebuild. */
export interface SwapPlan {
  readonly chainId: number;
  readonly projection: Projection;
  /** Where the rebuilt tables are; where the live ones go (archive); where the live ones are. */
  readonly schema: string;
  readonly archive: string;
  readonly liveSchema: string;
  readonly confirmedBlock: number;
  readonly folds: readonly SwapFold[];
  /** Reads the stream on to `seq` (entries pushed into the folds, nothing folded). */
  readTo(seq: number): Promise<void>;
  /**
   * Folds each of `folds` to its target (held blocks too) and returns its changes (one batch per fold,
   * `createBatch` + `accumulate`); the folds' positions are updated once it resolves.
   */
  foldTo(targets: readonly number[]): Promise<BatchChanges[]>;
  /** The latest pool rows of each of `folds` (for Redis). */
  pools(): Promise<ReadonlyMap<Hex, PoolRow>[]>;
}

/** A partition's fold as the swap sees it (folded on a worker thread: `RemoteFold`). */
export interface SwapFold {
  readonly name: string;
  readonly partition: Partition;
  readonly kind: 'pools' | 'tokens';
  readonly position: FoldPosition;
}

/** What the swap did. */
export interface SwapResult {
  /** Per partition: the checkpoint the rebuilt state stands at (the live one's when there was one). */
  readonly checkpoints: Record<string, { seq: number; blockNumber: number; blockHash: string }>;
  /** Blocks folded while the live checkpoints were locked (the live projector waits meanwhile). */
  readonly lockedBlocks: number;
  /** Live rows carried into the rebuilt tables (other chains or partitions, orphaned rows). */
  readonly keptRows: number;
  readonly lockMs: number;
}

interface LiveRow {
  partition: string;
  stream_seq: string;
  block_number: string;
  block_hash: string;
  skip_reorg_id: string | null;
}

/**
 * Swaps the rebuilt tables in, in ONE transaction:
 *
 * 1. the live `proj_checkpoints` and `proj_finality` tables are locked against writes (SHARE ROW
 *    EXCLUSIVE): a live projector's next batch waits at its checkpoint compare-and-set (one already
 *    past it commits first), the finality task at its first statement;
 * 2. each fold is brought to exactly the live checkpoint (reading the few entries the live projector
 *    applied since the catch-up; their rows are written with `writeChanges`); a partition without a live
 *    checkpoint stays where the rebuild got; the block hash must equal the live one;
 * 3. the live tables are locked; per table, the live rows that are not the rebuilt partitions'
 *    canonical rows (other chains, other partitions in `events`, orphaned rows: the audit trail) are
 *    copied into the rebuilt table, the live table moves to the archive schema and the rebuilt one
 *    takes its place (every table's statements in one round trip);
 * 4. checkpoints (only created where there was none: a live one is already right) and finality rows.
 *
 * After the commit the live projector's compare-and-set succeeds (its checkpoint did not move) and it
 * goes on writing, into the new tables, from a model equal to theirs. Then the pools are published to
 * Redis. A live checkpoint with a skip mark (a rewind by command waiting for its rollback entry) or
 * behind the rebuilt state is NOT_READY (retryable: run the rebuild again).
 *
 * @example
 * const r = await swapIn(pg, redis, log, plan);
 */
export async function swapIn(
  pg: Pool,
  redis: Redis | undefined,
  log: Logger,
  plan: SwapPlan,
): Promise<SwapResult> {
  const { chainId, projection, folds } = plan;
  const s = ident(plan.schema);
  const a = ident(plan.archive);
  const live = ident(plan.liveSchema);
  const names = folds.map((f) => f.name);
  await pg.query(`DROP SCHEMA IF EXISTS ${a} CASCADE; CREATE SCHEMA ${a}`);
  // The rebuilt tables' columns, for the rows carried over.
  const cols = await pg.query<{ t: string; list: string }>(
    `SELECT table_name AS t, string_agg(column_name, ', ' ORDER BY ordinal_position) AS list
       FROM information_schema.columns WHERE table_schema = $1 AND table_name = ANY($2::text[])
      GROUP BY table_name`,
    [plan.schema, projection.tables.map((t) => t.name)],
  );
  const columns = new Map(cols.rows.map((r) => [r.t, r.list]));
  const c = await pg.connect();
  const t0 = performance.now();
  try {
    await c.query('BEGIN');
    // Table locks, before anything else: a batch that is past its compare-and-set (it holds ROW
    // EXCLUSIVE on proj_checkpoints) commits first; later ones, and first commits of partitions without
    // a checkpoint row, wait for the swap. Row locks alone would deadlock with a batch blocked on them
    // (it takes the table lock before the row). Same for the finality task and proj_finality.
    await c.query(`LOCK TABLE ${live}.proj_checkpoints IN SHARE ROW EXCLUSIVE MODE`);
    await c.query(`LOCK TABLE ${live}.proj_finality IN SHARE ROW EXCLUSIVE MODE`);
    const { rows } = await c.query<LiveRow>(
      `SELECT partition, stream_seq, block_number, block_hash, skip_reorg_id FROM ${live}.proj_checkpoints
        WHERE chain_id = $1 AND partition = ANY($2::text[])`,
      [chainId, names],
    );
    const byName = new Map(rows.map((r) => [r.partition, r]));
    const targets = folds.map((f) => {
      const r = byName.get(f.name);
      if (r === undefined) return f.position.seq;
      if (r.skip_reorg_id !== null) {
        throw new TickstreamError(
          'NOT_READY',
          `partition ${f.name} is skipping the orphaned fork of reorg ${r.skip_reorg_id} until its rollback entry: run the rebuild again once it has passed`,
          { retryable: true },
        );
      }
      const seq = Number(r.stream_seq);
      if (seq < f.position.seq) {
        throw new TickstreamError(
          'NOT_READY',
          `partition ${f.name}: the live checkpoint (seq ${seq}) is behind the rebuilt state (seq ${f.position.seq}): run the rebuild again`,
          { retryable: true },
        );
      }
      return seq;
    });
    await plan.readTo(Math.max(0, ...targets));
    const batches: BatchChanges[] = [];
    let lockedBlocks = 0;
    const checkpoints: SwapResult['checkpoints'] = {};
    const folded = await plan.foldTo(targets);
    for (const [i, f] of folds.entries()) {
      const batch = folded[i]!;
      lockedBlocks += batch.blocks;
      if (batch.blocks > 0) batches.push(batch);
      const at = f.position;
      const r = byName.get(f.name);
      if (r !== undefined && (at.seq !== Number(r.stream_seq) || at.block?.hash !== r.block_hash)) {
        throw new TickstreamError(
          'INTERNAL',
          `partition ${f.name}: the rebuilt state stands at seq ${at.seq} block ${at.block?.number} ${at.block?.hash}, ` +
            `the live one at seq ${r.stream_seq} block ${r.block_number} ${r.block_hash}`,
        );
      }
      if (at.block !== null) {
        checkpoints[f.name] = { seq: at.seq, blockNumber: at.block.number, blockHash: at.block.hash };
      }
    }
    if (batches.length > 0) {
      await c.query(`SET LOCAL search_path TO ${s}`);
      for (const b of batches) await writeChanges(c, b);
      await c.query(`SET LOCAL search_path TO ${live}`);
    }
    const keptRows = await moveTables(c, plan, columns, names);
    for (const f of folds) {
      const cp = checkpoints[f.name];
      if (cp === undefined || byName.has(f.name)) continue;
      await c.query(
        `INSERT INTO ${live}.proj_checkpoints (chain_id, partition, stream_seq, block_number, block_hash, last_reorg_id)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [chainId, f.name, cp.seq, cp.blockNumber, cp.blockHash, f.position.lastReorgId],
      );
    }
    await c.query(
      `INSERT INTO ${live}.proj_finality (chain_id, partition, confirmed_block)
       SELECT $1, unnest($2::text[]), $3
       ON CONFLICT (chain_id, partition) DO UPDATE SET confirmed_block = $3, updated_at = now()`,
      [chainId, names, plan.confirmedBlock],
    );
    await c.query('COMMIT');
    const lockMs = performance.now() - t0;
    await pg.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    const latest = redis === undefined ? [] : await plan.pools();
    for (const [i, f] of folds.entries()) {
      const cp = checkpoints[f.name];
      if (f.kind !== 'pools' || cp === undefined || latest[i] === undefined) continue;
      const b = createBatch(chainId, f.partition);
      for (const [k, v] of latest[i]!) b.pools.set(k, v);
      b.seq = cp.seq;
      b.block = { number: cp.blockNumber, hash: cp.blockHash as `0x${string}` };
      await publishBatch(redis, b, log);
    }
    return { checkpoints, lockedBlocks, keptRows, lockMs };
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}

/**
 * Carries the live rows that stay into the rebuilt tables, then swaps each pair: the live tables
 * locked at once, then every table's statements in one round trip. Returns the rows carried.
 */
async function moveTables(
  c: PoolClient,
  plan: SwapPlan,
  columns: ReadonlyMap<string, string>,
  partitions: readonly string[],
): Promise<number> {
  const s = ident(plan.schema);
  const live = ident(plan.liveSchema);
  const tables = plan.projection.tables;
  await c.query(`LOCK TABLE ${tables.map((t) => `${live}.${t.name}`).join(', ')} IN ACCESS EXCLUSIVE MODE`);
  // Literals (one multi-statement query takes no parameters): an integer and plain partition names.
  const chain = String(Math.trunc(plan.chainId));
  const names = `ARRAY[${partitions.map((p) => `'${p.replaceAll("'", "''")}'`).join(', ')}]::text[]`;
  const sql: string[] = [];
  for (const t of tables) {
    const list = columns.get(t.name)!;
    const keep = [`chain_id <> ${chain}`];
    if (t.history) keep.push(`status = 'orphaned'`);
    if (t.shared) keep.push('partition IS NULL', `NOT (partition = ANY(${names}))`);
    sql.push(
      `INSERT INTO ${s}.${t.name} (${list}) SELECT ${list} FROM ${live}.${t.name} WHERE ${keep.join(' OR ')}
       ON CONFLICT DO NOTHING`,
      `ALTER TABLE ${live}.${t.name} SET SCHEMA ${ident(plan.archive)}`,
      `ALTER TABLE ${s}.${t.name} SET SCHEMA ${live}`,
    );
  }
  const results = (await c.query(sql.join(';\n'))) as unknown as {
    command: string;
    rowCount: number | null;
  }[];
  return results.reduce((n, r) => n + (r.command === 'INSERT' ? (r.rowCount ?? 0) : 0), 0);
}
