import { TickstreamError } from '@tickstream/shared';
import type { Pool, PoolClient } from 'pg';
import type { BatchChanges, PoolRow, PositionRow, TickRow } from '../apply';
import { column as col, plainArray as plain } from './arrays';
import { type AdvanceResult, advanceCheckpoint, type Checkpoint } from './checkpoint';
import { type SnapshotWrite, writeSnapshot } from './snapshots';

export type WriteResult = AdvanceResult;

const POOL_STATE = `sqrt_price_x96, tick, liquidity, fee_growth_global0_x128, fee_growth_global1_x128,
  protocol_fees_token0, protocol_fees_token1, fee_protocol, observation_cardinality_next`;

function poolState(rows: readonly PoolRow[]): string[] {
  return [
    plain(col(rows, (r) => r.sqrtPriceX96)),
    plain(col(rows, (r) => r.tick)),
    plain(col(rows, (r) => r.liquidity)),
    plain(col(rows, (r) => r.feeGrowthGlobal0X128)),
    plain(col(rows, (r) => r.feeGrowthGlobal1X128)),
    plain(col(rows, (r) => r.protocolFeesToken0)),
    plain(col(rows, (r) => r.protocolFeesToken1)),
    plain(col(rows, (r) => r.feeProtocol)),
    plain(col(rows, (r) => r.observationCardinalityNext)),
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
      plain(col(rows, (r) => r.address)),
      ...poolState(rows),
      plain(col(rows, (r) => r.block.number)),
      plain(col(rows, (r) => r.block.hash)),
      plain(col(rows, (r) => r.token0)),
      plain(col(rows, (r) => r.token1)),
      plain(col(rows, (r) => r.fee)),
      plain(col(rows, (r) => r.tickSpacing)),
      plain(col(rows, (r) => r.createdBlock)),
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
      plain(col(rows, (r) => r.address)),
      ...poolState(rows),
      plain(col(rows, (r) => r.block.number)),
      plain(col(rows, (r) => r.block.hash)),
    ],
  );
}

function tickValues(rows: readonly TickRow[]): string[] {
  return [
    plain(col(rows, (r) => r.pool)),
    plain(col(rows, (r) => r.tick)),
    plain(col(rows, (r) => r.liquidityGross)),
    plain(col(rows, (r) => r.liquidityNet)),
    plain(col(rows, (r) => r.feeGrowthOutside0X128)),
    plain(col(rows, (r) => r.feeGrowthOutside1X128)),
    plain(col(rows, (r) => r.block.number)),
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
      [b.chainId, plain(col(cleared, (r) => r.pool)), plain(col(cleared, (r) => r.tick))],
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
  if (b.tickHistory.length > 0) {
    await c.query(
      `INSERT INTO tick_history (chain_id, ${TICK_COLUMNS}, block_hash)
       SELECT $1, * FROM unnest(${TICK_TYPES}, $9::text[])
       ${revive('tick_history', 'chain_id, pool, tick, block_number, block_hash', TICK_VALUES)}`,
      [b.chainId, ...tickValues(b.tickHistory), plain(col(b.tickHistory, (r) => r.block.hash))],
    );
  }
}

function positionValues(rows: readonly PositionRow[]): string[] {
  return [
    plain(col(rows, (r) => r.pool)),
    plain(col(rows, (r) => r.owner)),
    plain(col(rows, (r) => r.tickLower)),
    plain(col(rows, (r) => r.tickUpper)),
    plain(col(rows, (r) => r.liquidity)),
    plain(col(rows, (r) => r.feeGrowthInside0LastX128)),
    plain(col(rows, (r) => r.feeGrowthInside1LastX128)),
    plain(col(rows, (r) => r.tokensOwed0)),
    plain(col(rows, (r) => r.tokensOwed1)),
    plain(col(rows, (r) => r.block.number)),
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
  const history = b.positionHistory;
  if (history.length > 0) {
    await c.query(
      `INSERT INTO position_history (chain_id, ${POSITION_COLUMNS}, block_hash)
       SELECT $1, * FROM unnest(${POSITION_TYPES}, $12::text[])
       ${revive('position_history', 'chain_id, pool, owner, tick_lower, tick_upper, block_number, block_hash', POSITION_VALUES)}`,
      [b.chainId, ...positionValues(history), plain(col(history, (r) => r.block.hash))],
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
      plain(col(rows, (r) => r.tokenId)),
      plain(col(rows, (r) => r.owner)),
      plain(col(rows, (r) => r.pool)),
      plain(col(rows, (r) => r.tickLower)),
      plain(col(rows, (r) => r.tickUpper)),
      plain(col(rows, (r) => r.liquidity)),
      plain(col(rows, (r) => (r.burned ? 't' : 'f'))),
      plain(col(rows, (r) => r.block.number)),
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
      plain(col(rows, (r) => r.address)),
      plain(col(rows, (r) => r.blockNumber)),
      plain(col(rows, (r) => r.blockHash)),
      plain(col(rows, (r) => r.txIndex)),
      plain(col(rows, (r) => r.logIndex)),
      plain(col(rows, (r) => r.txHash)),
      plain(col(rows, (r) => r.type)),
      `[${col(rows, (r) => r.args).join(',')}]`,
      String(b.partition),
    ],
  );
}

/**
 * Writes what a batch changed, inside the caller's transaction: one bulk statement per table (`unnest`
 * arrays): pools, pool_history, ticks (cleared ones deleted), tick_history (cleared ones as zero rows),
 * positions, position_history, nft_positions, events.
 *
 * @example
 * await writeChanges(client, batch);
 */
export async function writeChanges(c: PoolClient, b: BatchChanges): Promise<void> {
  await writePools(c, b);
  await writePoolHistory(c, b);
  await writeTicks(c, b);
  await writePositions(c, b);
  await writeNfts(c, b);
  await writeEvents(c, b);
}

/**
 * Writes a batch in ONE transaction: the checkpoint compare-and-set first (from `expectedSeq`, null
 * before the partition's first commit), then `writeChanges`, then (when given) the partition's snapshot
 * as of the batch's last block. A batch whose checkpoint is already there is not written again
 * (`already-applied`); a checkpoint moved by someone else throws CHECKPOINT_CONFLICT. History and event
 * rows are keyed by block hash and never overwritten (except to revive an orphaned one, see `revive`).
 *
 * @example
 * const r = await writeBatch(pg, batch, checkpoint?.seq ?? null);
 * if (r.status === 'advanced') checkpointSeq = batch.seq;
 */
export async function writeBatch(
  pg: Pool,
  b: BatchChanges,
  expectedSeq: number | null,
  snapshot?: SnapshotWrite,
): Promise<WriteResult> {
  if (b.block === null) throw new TickstreamError('INTERNAL', 'writeBatch: the batch has no block');
  const next: Checkpoint = { seq: b.seq, blockNumber: b.block.number, blockHash: b.block.hash };
  const c = await pg.connect();
  let done = false;
  try {
    await c.query('BEGIN');
    const cas = await advanceCheckpoint(c, b.chainId, b.partition, expectedSeq, next);
    if (cas.status === 'already-applied') {
      await c.query('ROLLBACK');
      done = true;
      return cas;
    }
    await writeChanges(c, b);
    if (snapshot !== undefined) await writeSnapshot(c, b.chainId, b.partition, snapshot);
    await c.query('COMMIT');
    done = true;
    return cas;
  } catch (err) {
    if (!done) await c.query('ROLLBACK').catch(() => undefined);
    if (err instanceof TickstreamError) throw err;
    throw new TickstreamError(
      'STORE_ERROR',
      `partition ${b.partition}: writing the batch failed: ${(err as Error).message}`,
      {
        retryable: true,
        cause: err,
      },
    );
  } finally {
    c.release();
  }
}
