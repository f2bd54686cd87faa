import type { Partition } from '@tickstream/shared';
import type { Pool, PoolClient } from 'pg';
import { createPartitionModel, createPoolEntry, type PartitionModel, type PoolEntry } from '../apply';
import type { ReorgMarks } from '../consume/marks';
import { createPoolState, type Hex, positionKey, takeChanges } from '../fold';
import { flipTick } from '../math';
import { type Checkpoint, readCheckpointState } from './checkpoint';

interface PoolTableRow {
  address: Hex;
  token0: Hex;
  token1: Hex;
  fee: number;
  tick_spacing: number;
  created_block: string;
  sqrt_price_x96: string;
  tick: number | null;
  liquidity: string;
  fee_growth_global0_x128: string;
  fee_growth_global1_x128: string;
  protocol_fees_token0: string;
  protocol_fees_token1: string;
  fee_protocol: number;
  observation_cardinality_next: number;
  block_number: string;
  block_hash: Hex;
}

interface TickTableRow {
  pool: Hex;
  tick: number;
  liquidity_gross: string;
  liquidity_net: string;
  fee_growth_outside0_x128: string;
  fee_growth_outside1_x128: string;
  block_number: string;
}

interface PositionTableRow {
  pool: Hex;
  owner: Hex;
  tick_lower: number;
  tick_upper: number;
  liquidity: string;
  fee_growth_inside0_last_x128: string;
  fee_growth_inside1_last_x128: string;
  tokens_owed0: string;
  tokens_owed1: string;
  block_number: string;
}

interface NftTableRow {
  token_id: string;
  owner: Hex;
  pool: Hex | null;
  tick_lower: number | null;
  tick_upper: number | null;
  liquidity: string;
  block_number: string;
}

function poolEntry(r: PoolTableRow): PoolEntry {
  const createdBlock = Number(r.created_block);
  const state = createPoolState({
    type: 'PoolCreated',
    log: { blockNumber: createdBlock, txIndex: 0, logIndex: 0, blockHash: '0x', address: '0x' },
    token0: r.token0,
    token1: r.token1,
    fee: r.fee,
    tickSpacing: r.tick_spacing,
    pool: r.address,
  });
  state.sqrtPriceX96 = BigInt(r.sqrt_price_x96);
  state.tick = r.tick ?? 0;
  state.liquidity = BigInt(r.liquidity);
  state.feeGrowthGlobal0X128 = BigInt(r.fee_growth_global0_x128);
  state.feeGrowthGlobal1X128 = BigInt(r.fee_growth_global1_x128);
  state.protocolFees.token0 = BigInt(r.protocol_fees_token0);
  state.protocolFees.token1 = BigInt(r.protocol_fees_token1);
  state.feeProtocol = r.fee_protocol;
  state.observationCardinalityNext = r.observation_cardinality_next;
  return createPoolEntry(state, { number: Number(r.block_number), hash: r.block_hash }, createdBlock);
}

/**
 * Rebuilds a partition's in-memory model from the latest tables, as of its checkpoint (they are written
 * in the same transaction): pools (and the factory's pool list), their initialized ticks (and from them
 * the tick bitmap), their positions; for 'tokens', the live NFT positions.
 *
 * @example
 * const model = await loadModel(pg, 31337, 2); // model.pools.size === pools of partition 2
 */
export async function loadModel(
  pg: Pool | PoolClient,
  chainId: number,
  partition: Partition,
): Promise<PartitionModel> {
  const model = createPartitionModel(chainId, partition);
  if (model.kind === 'tokens') {
    const { rows } = await pg.query<NftTableRow>(
      `SELECT token_id, owner, pool, tick_lower, tick_upper, liquidity, block_number FROM nft_positions
        WHERE chain_id = $1 AND NOT burned`,
      [chainId],
    );
    for (const r of rows) {
      model.tokenBlocks.set(BigInt(r.token_id), Number(r.block_number));
      model.tokens.tokens.set(BigInt(r.token_id), {
        owner: r.owner,
        pool: r.pool,
        tickLower: r.tick_lower ?? 0,
        tickUpper: r.tick_upper ?? 0,
        liquidity: BigInt(r.liquidity),
      });
    }
    return model;
  }
  const pools = await pg.query<PoolTableRow>(
    `SELECT address, token0, token1, fee, tick_spacing, created_block, sqrt_price_x96, tick, liquidity,
            fee_growth_global0_x128, fee_growth_global1_x128, protocol_fees_token0, protocol_fees_token1,
            fee_protocol, observation_cardinality_next, block_number, block_hash
       FROM pools WHERE chain_id = $1 AND partition = $2`,
    [chainId, String(partition)],
  );
  for (const r of pools.rows) {
    const entry = poolEntry(r);
    model.pools.set(entry.state.address, entry);
    const { token0, token1, fee, tickSpacing } = entry.state;
    model.factory.pools.set(entry.state.address, { token0, token1, fee, tickSpacing });
  }
  const addresses = [...model.pools.keys()];
  if (addresses.length === 0) return model;
  const ticks = await pg.query<TickTableRow>(
    `SELECT pool, tick, liquidity_gross, liquidity_net, fee_growth_outside0_x128, fee_growth_outside1_x128,
            block_number
       FROM ticks WHERE chain_id = $1 AND pool = ANY($2::text[])`,
    [chainId, addresses],
  );
  for (const r of ticks.rows) {
    const { state, tickBlocks } = model.pools.get(r.pool)!;
    tickBlocks.set(r.tick, Number(r.block_number));
    state.ticks.set(r.tick, {
      liquidityGross: BigInt(r.liquidity_gross),
      liquidityNet: BigInt(r.liquidity_net),
      feeGrowthOutside0X128: BigInt(r.fee_growth_outside0_x128),
      feeGrowthOutside1X128: BigInt(r.fee_growth_outside1_x128),
      initialized: true,
    });
    flipTick(state.tickBitmap, r.tick, state.tickSpacing);
  }
  const positions = await pg.query<PositionTableRow>(
    `SELECT pool, owner, tick_lower, tick_upper, liquidity, fee_growth_inside0_last_x128,
            fee_growth_inside1_last_x128, tokens_owed0, tokens_owed1, block_number
       FROM positions WHERE chain_id = $1 AND pool = ANY($2::text[])`,
    [chainId, addresses],
  );
  for (const r of positions.rows) {
    const { state, positionBlocks } = model.pools.get(r.pool)!;
    const key = positionKey(r.owner, r.tick_lower, r.tick_upper);
    positionBlocks.set(key, Number(r.block_number));
    state.positions.set(key, {
      owner: r.owner,
      tickLower: r.tick_lower,
      tickUpper: r.tick_upper,
      liquidity: BigInt(r.liquidity),
      feeGrowthInside0LastX128: BigInt(r.fee_growth_inside0_last_x128),
      feeGrowthInside1LastX128: BigInt(r.fee_growth_inside1_last_x128),
      tokensOwed0: BigInt(r.tokens_owed0),
      tokensOwed1: BigInt(r.tokens_owed1),
    });
  }
  for (const { state } of model.pools.values()) takeChanges(state);
  return model;
}

/** A partition as it was committed: its checkpoint (null before the first commit), reorg marks and model. */
export interface LoadedPartition {
  readonly checkpoint: Checkpoint | null;
  readonly marks: ReorgMarks;
  readonly model: PartitionModel;
}

/**
 * Reads a partition's checkpoint and rebuilds its model in one REPEATABLE READ snapshot, so the model is
 * exactly the state at the checkpoint even if a batch commits meanwhile.
 *
 * @example
 * const { checkpoint, model } = await loadPartition(pg, 31337, 'tokens');
 */
export async function loadPartition(
  pg: Pool,
  chainId: number,
  partition: Partition,
): Promise<LoadedPartition> {
  const c = await pg.connect();
  try {
    await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { checkpoint, marks } = await readCheckpointState(c, chainId, partition);
    const model = await loadModel(c, chainId, partition);
    await c.query('COMMIT');
    return { checkpoint, marks, model };
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}
