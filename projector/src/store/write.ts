import { TickstreamError } from '@tickstream/shared';
import type { Pool, PoolClient } from 'pg';
import type { BatchChanges, PoolRow, PositionRow, TickRow } from '../apply';
import { column as col, plainColumn } from './arrays';
import { type AdvanceResult, advanceCheckpoint, type Checkpoint } from './checkpoint';
import { CopySink } from './copy';
import {
  EVENTS_COLUMNS,
  eventLine,
  POOL_HISTORY_COLUMNS,
  POSITION_HISTORY_COLUMNS,
  poolHistoryLine,
  positionHistoryLine,
  TICK_HISTORY_COLUMNS,
  tickHistoryLine,
} from './copy-rows';
import { type SnapshotWrite, writeSnapshot } from './snapshots';

export type WriteResult = AdvanceResult;

const POOL_STATE = `sqrt_price_x96, tick, liquidity, fee_growth_global0_x128, fee_growth_global1_x128,
  protocol_fees_token0, protocol_fees_token1, fee_protocol, observation_cardinality_next`;

function poolState(rows: readonly PoolRow[]): string[] {
  return [
    plainColumn(rows, (r) => r.sqrtPriceX96),
    plainColumn(rows, (r) => r.tick),
    plainColumn(rows, (r) => r.liquidity),
    plainColumn(rows, (r) => r.feeGrowthGlobal0X128),
    plainColumn(rows, (r) => r.feeGrowthGlobal1X128),
    plainColumn(rows, (r) => r.protocolFeesToken0),
    plainColumn(rows, (r) => r.protocolFeesToken1),
    plainColumn(rows, (r) => r.feeProtocol),
    plainColumn(rows, (r) => r.observationCardinalityNext),
  ];
}
/** The casts of `poolState`'s 9 arrays, from parameter `$from`. */
function poolStateTypes(from: number): string {
  const types = ['numeric', 'int', 'numeric', 'numeric', 'numeric', 'numeric', 'numeric', 'int', 'int'];
  return types.map((t, i) => `$${from + i}::${t}[]`).join(', ');
}

async function writePools(c: PoolClient, b: BatchChanges): Promise<void> {
  const rows = [...b.pools.values()];
  if (rows.length === 0) return;
  await c.query(
    `INSERT INTO pools (chain_id, partition, address, ${POOL_STATE}, block_number, block_hash,
        token0, token1, fee, tick_spacing, created_block)
     SELECT $1, $2, * FROM unnest($3::text[], ${poolStateTypes(4)}, $13::bigint[], $14::text[],
        $15::text[], $16::text[], $17::int[], $18::int[], $19::bigint[])
     ON CONFLICT (chain_id, address) DO UPDATE SET
       sqrt_price_x96 = EXCLUDED.sqrt_price_x96, tick = EXCLUDED.tick, liquidity = EXCLUDED.liquidity,
       fee_growth_global0_x128 = EXCLUDED.fee_growth_global0_x128,
       fee_growth_global1_x128 = EXCLUDED.fee_growth_global1_x128,
       protocol_fees_token0 = EXCLUDED.protocol_fees_token0, protocol_fees_token1 = EXCLUDED.protocol_fees_token1,
       fee_protocol = EXCLUDED.fee_protocol, observation_cardinality_next = EXCLUDED.observation_cardinality_next,
       block_number = EXCLUDED.block_number, block_hash = EXCLUDED.block_hash`,
    [
      b.chainId,
      String(b.partition),
      plainColumn(rows, (r) => r.address),
      ...poolState(rows),
      plainColumn(rows, (r) => r.block.number),
      plainColumn(rows, (r) => r.block.hash),
      plainColumn(rows, (r) => r.token0),
      plainColumn(rows, (r) => r.token1),
      plainColumn(rows, (r) => r.fee),
      plainColumn(rows, (r) => r.tickSpacing),
      plainColumn(rows, (r) => r.createdBlock),
    ],
  );
}

/**
 * `ON CONFLICT` of a history row: a row of the same key, block and hash exists. It is left alone unless a
 * rewind marked it orphaned and the block came back (the same block appended again after an operator's
 * rollback): then it is canonical again, with these values.
 */
function revive(table: string, key: string, columns: string): string {
  const set = columns
    .split(',')
    .map((col) => col.trim())
    .filter((col) => col !== '')
    .map((col) => `${col} = EXCLUDED.${col}`)
    .join(', ');
  return `ON CONFLICT (${key}) DO UPDATE SET status = 'unconfirmed', ${set} WHERE ${table}.status = 'orphaned'`;
}

async function writePoolHistory(c: PoolClient, b: BatchChanges): Promise<void> {
  const rows = b.poolHistory;
  if (rows.length === 0) return;
  await c.query(
    `INSERT INTO pool_history (chain_id, address, ${POOL_STATE}, block_number, block_hash)
     SELECT $1, * FROM unnest($2::text[], ${poolStateTypes(3)}, $12::bigint[], $13::text[])
     ${revive('pool_history', 'chain_id, address, block_number, block_hash', POOL_STATE)}`,
    [
      b.chainId,
      plainColumn(rows, (r) => r.address),
      ...poolState(rows),
      plainColumn(rows, (r) => r.block.number),
      plainColumn(rows, (r) => r.block.hash),
    ],
  );
}

function tickValues(rows: readonly TickRow[]): string[] {
  return [
    plainColumn(rows, (r) => r.pool),
    plainColumn(rows, (r) => r.tick),
    plainColumn(rows, (r) => r.liquidityGross),
    plainColumn(rows, (r) => r.liquidityNet),
    plainColumn(rows, (r) => r.feeGrowthOutside0X128),
    plainColumn(rows, (r) => r.feeGrowthOutside1X128),
    plainColumn(rows, (r) => r.block.number),
  ];
}
const TICK_COLUMNS = `pool, tick, liquidity_gross, liquidity_net, fee_growth_outside0_x128,
  fee_growth_outside1_x128, block_number`;
const TICK_VALUES = `liquidity_gross, liquidity_net, fee_growth_outside0_x128, fee_growth_outside1_x128`;
const TICK_TYPES = `$2::text[], $3::int[], $4::numeric[], $5::numeric[], $6::numeric[], $7::numeric[], $8::bigint[]`;

async function writeTicks(c: PoolClient, b: BatchChanges): Promise<void> {
  const live: TickRow[] = [];
  const cleared: TickRow[] = [];
  for (const row of b.ticks.values()) (row.cleared ? cleared : live).push(row);
  if (cleared.length > 0) {
    await c.query(
      `DELETE FROM ticks WHERE chain_id = $1
         AND (pool, tick) IN (SELECT * FROM unnest($2::text[], $3::int[]))`,
      [b.chainId, plainColumn(cleared, (r) => r.pool), plainColumn(cleared, (r) => r.tick)],
    );
  }
  if (live.length > 0) {
    await c.query(
      `INSERT INTO ticks (chain_id, ${TICK_COLUMNS}) SELECT $1, * FROM unnest(${TICK_TYPES})
       ON CONFLICT (chain_id, pool, tick) DO UPDATE SET
         liquidity_gross = EXCLUDED.liquidity_gross, liquidity_net = EXCLUDED.liquidity_net,
         fee_growth_outside0_x128 = EXCLUDED.fee_growth_outside0_x128,
         fee_growth_outside1_x128 = EXCLUDED.fee_growth_outside1_x128, block_number = EXCLUDED.block_number`,
      [b.chainId, ...tickValues(live)],
    );
  }
}

async function writeTickHistory(c: PoolClient, b: BatchChanges): Promise<void> {
  if (b.tickHistory.length > 0) {
    await c.query(
      `INSERT INTO tick_history (chain_id, ${TICK_COLUMNS}, block_hash)
       SELECT $1, * FROM unnest(${TICK_TYPES}, $9::text[])
       ${revive('tick_history', 'chain_id, pool, tick, block_number, block_hash', TICK_VALUES)}`,
      [b.chainId, ...tickValues(b.tickHistory), plainColumn(b.tickHistory, (r) => r.block.hash)],
    );
  }
}

function positionValues(rows: readonly PositionRow[]): string[] {
  return [
    plainColumn(rows, (r) => r.pool),
    plainColumn(rows, (r) => r.owner),
    plainColumn(rows, (r) => r.tickLower),
    plainColumn(rows, (r) => r.tickUpper),
    plainColumn(rows, (r) => r.liquidity),
    plainColumn(rows, (r) => r.feeGrowthInside0LastX128),
    plainColumn(rows, (r) => r.feeGrowthInside1LastX128),
    plainColumn(rows, (r) => r.tokensOwed0),
    plainColumn(rows, (r) => r.tokensOwed1),
    plainColumn(rows, (r) => r.block.number),
  ];
}
const POSITION_COLUMNS = `pool, owner, tick_lower, tick_upper, liquidity, fee_growth_inside0_last_x128,
  fee_growth_inside1_last_x128, tokens_owed0, tokens_owed1, block_number`;
const POSITION_VALUES = `liquidity, fee_growth_inside0_last_x128, fee_growth_inside1_last_x128, tokens_owed0,
  tokens_owed1`;
const POSITION_TYPES = `$2::text[], $3::text[], $4::int[], $5::int[], $6::numeric[], $7::numeric[],
  $8::numeric[], $9::numeric[], $10::numeric[], $11::bigint[]`;

async function writePositions(c: PoolClient, b: BatchChanges): Promise<void> {
  const rows = [...b.positions.values()];
  if (rows.length > 0) {
    await c.query(
      `INSERT INTO positions (chain_id, ${POSITION_COLUMNS}) SELECT $1, * FROM unnest(${POSITION_TYPES})
       ON CONFLICT (chain_id, pool, owner, tick_lower, tick_upper) DO UPDATE SET
         liquidity = EXCLUDED.liquidity,
         fee_growth_inside0_last_x128 = EXCLUDED.fee_growth_inside0_last_x128,
         fee_growth_inside1_last_x128 = EXCLUDED.fee_growth_inside1_last_x128,
         tokens_owed0 = EXCLUDED.tokens_owed0, tokens_owed1 = EXCLUDED.tokens_owed1,
         block_number = EXCLUDED.block_number`,
      [b.chainId, ...positionValues(rows)],
    );
  }
}

async function writePositionHistory(c: PoolClient, b: BatchChanges): Promise<void> {
  const history = b.positionHistory;
  if (history.length > 0) {
    await c.query(
      `INSERT INTO position_history (chain_id, ${POSITION_COLUMNS}, block_hash)
       SELECT $1, * FROM unnest(${POSITION_TYPES}, $12::text[])
       ${revive('position_history', 'chain_id, pool, owner, tick_lower, tick_upper, block_number, block_hash', POSITION_VALUES)}`,
      [b.chainId, ...positionValues(history), plainColumn(history, (r) => r.block.hash)],
    );
  }
}

async function writeNfts(c: PoolClient, b: BatchChanges): Promise<void> {
  const rows = [...b.nfts.values()];
  if (rows.length === 0) return;
  await c.query(
    `INSERT INTO nft_positions (chain_id, token_id, owner, pool, tick_lower, tick_upper, liquidity, burned, block_number)
     SELECT $1, * FROM unnest($2::numeric[], $3::text[], $4::text[], $5::int[], $6::int[], $7::numeric[],
       $8::boolean[], $9::bigint[])
     ON CONFLICT (chain_id, token_id) DO UPDATE SET owner = EXCLUDED.owner, pool = EXCLUDED.pool,
       tick_lower = EXCLUDED.tick_lower, tick_upper = EXCLUDED.tick_upper, liquidity = EXCLUDED.liquidity,
       burned = EXCLUDED.burned, block_number = EXCLUDED.block_number`,
    [
      b.chainId,
      plainColumn(rows, (r) => r.tokenId),
      plainColumn(rows, (r) => r.owner),
      plainColumn(rows, (r) => r.pool),
      plainColumn(rows, (r) => r.tickLower),
      plainColumn(rows, (r) => r.tickUpper),
      plainColumn(rows, (r) => r.liquidity),
      plainColumn(rows, (r) => (r.burned ? 't' : 'f')),
      plainColumn(rows, (r) => r.block.number),
    ],
  );
}

async function writeEvents(c: PoolClient, b: BatchChanges): Promise<void> {
  const rows = b.events;
  if (rows.length === 0) return;
  // The args go as one JSON array (no per-element escaping), unnested in the same order.
  await c.query(
    `INSERT INTO events (chain_id, partition, address, block_number, block_hash, tx_index, log_index, tx_hash, type, args)
     SELECT $1, $10, * FROM unnest($2::text[], $3::bigint[], $4::text[], $5::int[], $6::int[], $7::text[], $8::text[],
       ARRAY(SELECT e FROM jsonb_array_elements($9::jsonb) WITH ORDINALITY AS x(e, i) ORDER BY i))
     ${revive('events', 'chain_id, block_number, log_index, block_hash', 'partition')}`,
    [
      b.chainId,
      plainColumn(rows, (r) => r.address),
      plainColumn(rows, (r) => r.blockNumber),
      plainColumn(rows, (r) => r.blockHash),
      plainColumn(rows, (r) => r.txIndex),
      plainColumn(rows, (r) => r.logIndex),
      plainColumn(rows, (r) => r.txHash),
      plainColumn(rows, (r) => r.type),
      `[${col(rows, (r) => r.args).join(',')}]`,
      String(b.partition),
    ],
  );
}

/** Options of `writeChanges`. */
export interface WriteOptions {
  /**
   * COPY the history and event rows instead of upserting them: the fast path of a batch whose rows are
   * all new (every block past the checkpoint, the usual case). A row whose key exists (a block appended
   * again after an operator's rollback revives orphaned rows) fails the COPY with a unique violation
   * (`isUniqueViolation`): the caller rolls back and writes the batch again without this option.
   */
  readonly append?: boolean;
  /**
   * With `append`: history and event rows at or below this block are written `confirmed` (they are
   * already FINALITY_DEPTH below the ledger's head), the rest `unconfirmed`. Null or absent: all
   * `unconfirmed`. The upsert path always writes `unconfirmed`; the finality task confirms them.
   */
  readonly confirmedThrough?: number | null;
}

/**
 * Bytes gathered per COPY hand-over for `rows` rows of about `rowBytes` each: enough for the batch's rows
 * in one chunk up to 256 KiB (a batch of a block or two needs a few KiB: no 256 KiB buffer per table
 * and batch for the garbage collector).
 */
function chunkFor(rows: number, rowBytes: number): number {
  return Math.min(256 * 1024, Math.max(4096, rows * rowBytes));
}

/** The status of a row of `block`: `confirmed` at or below `through`. */
function statusOf(block: number, through: number): 'confirmed' | 'unconfirmed' {
  return block <= through ? 'confirmed' : 'unconfirmed';
}

/** The history and event rows by COPY (see `WriteOptions.append`), confirmed through `through`. */
async function copyHistory(c: PoolClient, b: BatchChanges, through: number): Promise<void> {
  const chainId = b.chainId;
  if (b.poolHistory.length > 0) {
    const sink = CopySink.open(c, 'pool_history', POOL_HISTORY_COLUMNS, chunkFor(b.poolHistory.length, 512));
    for (const r of b.poolHistory) sink.line(poolHistoryLine(chainId, r, statusOf(r.block.number, through)));
    await sink.end();
  }
  if (b.tickHistory.length > 0) {
    const sink = CopySink.open(c, 'tick_history', TICK_HISTORY_COLUMNS, chunkFor(b.tickHistory.length, 384));
    for (const r of b.tickHistory) sink.line(tickHistoryLine(chainId, r, statusOf(r.block.number, through)));
    await sink.end();
  }
  if (b.positionHistory.length > 0) {
    const sink = CopySink.open(
      c,
      'position_history',
      POSITION_HISTORY_COLUMNS,
      chunkFor(b.positionHistory.length, 512),
    );
    for (const r of b.positionHistory)
      sink.line(positionHistoryLine(chainId, r, statusOf(r.block.number, through)));
    await sink.end();
  }
  if (b.events.length > 0) {
    const partition = String(b.partition);
    const sink = CopySink.open(c, 'events', EVENTS_COLUMNS, chunkFor(b.events.length, 768));
    for (const r of b.events) sink.line(eventLine(chainId, partition, r, statusOf(r.blockNumber, through)));
    await sink.end();
  }
}

/**
 * True for Postgres's unique violation (23505): with `append`, a history or event row that exists.
 *
 * @example isUniqueViolation({ code: '23505' }) === true
 */
export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === '23505';
}

/**
 * Writes what a batch changed, inside the caller's transaction: one bulk statement per table (`unnest`
 * arrays): pools, ticks (cleared ones deleted), positions, nft_positions, then the history tables
 * (cleared ticks as zero rows) and events: upserted, or COPYed with `append` (see `WriteOptions`).
 *
 * @example
 * await writeChanges(client, batch);
 */
export async function writeChanges(c: PoolClient, b: BatchChanges, opts: WriteOptions = {}): Promise<void> {
  await writePools(c, b);
  await writeTicks(c, b);
  await writePositions(c, b);
  await writeNfts(c, b);
  if (opts.append === true) {
    await copyHistory(c, b, opts.confirmedThrough ?? -1);
    return;
  }
  await writePoolHistory(c, b);
  await writeTickHistory(c, b);
  await writePositionHistory(c, b);
  await writeEvents(c, b);
}

/** Options of `writeBatch`. */
export interface BatchWriteOptions {
  /** The partition's snapshot as of the batch's last block, written in the same transaction. */
  readonly snapshot?: SnapshotWrite | undefined;
  /**
   * Rows at or below this block are written `confirmed` (see `WriteOptions.confirmedThrough`), and the
   * partition's `proj_finality` moves up to it when nothing below is left unconfirmed.
   */
  readonly confirmedThrough?: number | null;
  /** The checkpoint block before this batch (null before the partition's first commit). */
  readonly previousBlock?: number | null;
}

/**
 * After a batch whose rows are confirmed through `through`: the partition's `proj_finality` moves up to
 * min(`through`, the batch's last block) when every row below is confirmed: its confirmed block had
 * reached the previous checkpoint (no rows lie between that and the batch's first block), or this is
 * the partition's first commit (no rows before). Otherwise it stays, and the finality task goes on.
 */
async function advanceFinality(
  c: PoolClient,
  b: BatchChanges,
  expectedSeq: number | null,
  previousBlock: number | null,
  through: number,
): Promise<void> {
  const to = Math.min(through, b.block!.number);
  const p = String(b.partition);
  if (expectedSeq === null) {
    await c.query(
      `INSERT INTO proj_finality (chain_id, partition, confirmed_block) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING`,
      [b.chainId, p, to],
    );
    return;
  }
  if (previousBlock === null) return;
  await c.query(
    `UPDATE proj_finality SET confirmed_block = $3, updated_at = now()
      WHERE chain_id = $1 AND partition = $2 AND confirmed_block >= $4 AND confirmed_block < $3`,
    [b.chainId, p, to, previousBlock],
  );
}

/**
 * Writes a batch in ONE transaction: the checkpoint compare-and-set first (from `expectedSeq`, null
 * before the partition's first commit), then `writeChanges` (history and event rows COPYed: `append`),
 * then (when given) the partition's snapshot as of the batch's last block; rows already FINALITY_DEPTH
 * below the ledger's head are written confirmed (`BatchWriteOptions.confirmedThrough`). A batch whose checkpoint is
 * already there is not written again (`already-applied`); a checkpoint moved by someone else throws
 * CHECKPOINT_CONFLICT. History and event rows are keyed by block hash and never overwritten (except to
 * revive an orphaned one, see `revive`): when one of the batch's rows exists, the COPY fails and the
 * transaction is written again with upserts.
 *
 * @example
 * const r = await writeBatch(pg, batch, checkpoint?.seq ?? null);
 * if (r.status === 'advanced') checkpointSeq = batch.seq;
 */
export async function writeBatch(
  pg: Pool,
  b: BatchChanges,
  expectedSeq: number | null,
  opts: BatchWriteOptions = {},
): Promise<WriteResult> {
  if (b.block === null) throw new TickstreamError('INTERNAL', 'writeBatch: the batch has no block');
  const next: Checkpoint = { seq: b.seq, blockNumber: b.block.number, blockHash: b.block.hash };
  try {
    try {
      return await writeOn(pg, b, expectedSeq, next, true, opts);
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      return await writeOn(pg, b, expectedSeq, next, false, opts);
    }
  } catch (err) {
    if (err instanceof TickstreamError) throw err;
    throw new TickstreamError(
      'STORE_ERROR',
      `partition ${b.partition}: writing the batch failed: ${(err as Error).message}`,
      {
        retryable: true,
        cause: err,
      },
    );
  }
}

/**
 * One attempt of `writeBatch` on a connection of its own. A connection whose COPY failed is closed, not
 * given back: chunks may still have been on their way when Postgres refused the COPY.
 */
async function writeOn(
  pg: Pool,
  b: BatchChanges,
  expectedSeq: number | null,
  next: Checkpoint,
  append: boolean,
  opts: BatchWriteOptions,
): Promise<WriteResult> {
  const c = await pg.connect();
  let failed = false;
  try {
    return await writeOnce(c, b, expectedSeq, next, append, opts);
  } catch (err) {
    failed = append && isUniqueViolation(err);
    throw err;
  } finally {
    c.release(failed);
  }
}

/** One attempt of `writeBatch`'s transaction on `c`; rolled back when it throws. */
async function writeOnce(
  c: PoolClient,
  b: BatchChanges,
  expectedSeq: number | null,
  next: Checkpoint,
  append: boolean,
  opts: BatchWriteOptions,
): Promise<WriteResult> {
  const { snapshot } = opts;
  const through = append ? (opts.confirmedThrough ?? null) : null;
  let done = false;
  try {
    await c.query('BEGIN');
    const cas = await advanceCheckpoint(c, b.chainId, b.partition, expectedSeq, next);
    if (cas.status === 'already-applied') {
      await c.query('ROLLBACK');
      done = true;
      return cas;
    }
    await writeChanges(c, b, { append, confirmedThrough: through });
    if (through !== null) await advanceFinality(c, b, expectedSeq, opts.previousBlock ?? null, through);
    if (snapshot !== undefined) await writeSnapshot(c, b.chainId, b.partition, snapshot);
    await c.query('COMMIT');
    done = true;
    return cas;
  } catch (err) {
    if (!done) await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
