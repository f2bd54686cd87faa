import { blockNumberOf, type Db } from './db';

/** A pool in lists. Big integers are decimal strings; `tick` is null until the pool is initialized. */
export interface PoolSummary {
  readonly address: string;
  readonly token0: string;
  readonly token1: string;
  readonly fee: number;
  readonly tickSpacing: number;
  readonly sqrtPriceX96: string;
  readonly tick: number | null;
  readonly liquidity: string;
}

/** The full state of one pool (what slot0(), liquidity(), feeGrowthGlobal*() and protocolFees() return). */
export interface PoolDetail extends PoolSummary {
  readonly feeGrowthGlobal0X128: string;
  readonly feeGrowthGlobal1X128: string;
  readonly protocolFees: { readonly token0: string; readonly token1: string };
  readonly feeProtocol: number;
}

/** Where a pool's rows live and since when it exists; not served. */
export interface PoolPlacement {
  readonly partition: string;
  readonly createdBlock: number;
}

interface StateRow {
  sqrt_price_x96: string;
  tick: number | null;
  liquidity: string;
  fee_growth_global0_x128: string;
  fee_growth_global1_x128: string;
  protocol_fees_token0: string;
  protocol_fees_token1: string;
  fee_protocol: number;
}

interface PoolRow extends StateRow {
  address: string;
  partition: string;
  token0: string;
  token1: string;
  fee: number;
  tick_spacing: number;
  created_block: string;
}

const POOL_COLUMNS = `address, partition, token0, token1, fee, tick_spacing, created_block,
  sqrt_price_x96, tick, liquidity, fee_growth_global0_x128, fee_growth_global1_x128,
  protocol_fees_token0, protocol_fees_token1, fee_protocol`;

const STATE_COLUMNS = `sqrt_price_x96, tick, liquidity, fee_growth_global0_x128, fee_growth_global1_x128,
  protocol_fees_token0, protocol_fees_token1, fee_protocol`;

/** The state of a pool between PoolCreated and Initialize, as the contract reports it: all zero. */
const CREATED_STATE: StateRow = {
  sqrt_price_x96: '0',
  tick: null,
  liquidity: '0',
  fee_growth_global0_x128: '0',
  fee_growth_global1_x128: '0',
  protocol_fees_token0: '0',
  protocol_fees_token1: '0',
  fee_protocol: 0,
};

/** The columns that never change after PoolCreated. */
type IdentityRow = Pick<PoolRow, 'address' | 'token0' | 'token1' | 'fee' | 'tick_spacing'>;

const toSummary = (r: IdentityRow, s: StateRow): PoolSummary => ({
  address: r.address,
  token0: r.token0,
  token1: r.token1,
  fee: r.fee,
  tickSpacing: r.tick_spacing,
  sqrtPriceX96: s.sqrt_price_x96,
  tick: s.tick,
  liquidity: s.liquidity,
});

const toDetail = (r: IdentityRow, s: StateRow): PoolDetail => ({
  ...toSummary(r, s),
  feeGrowthGlobal0X128: s.fee_growth_global0_x128,
  feeGrowthGlobal1X128: s.fee_growth_global1_x128,
  protocolFees: { token0: s.protocol_fees_token0, token1: s.protocol_fees_token1 },
  feeProtocol: s.fee_protocol,
});

export interface FoundPool {
  readonly pool: PoolDetail;
  readonly placement: PoolPlacement;
}

/** The latest state of one pool (canonical chain), or undefined when the pool is not indexed. */
export async function getPool(db: Db, chainId: number, address: string): Promise<FoundPool | undefined> {
  const { rows } = await db.query<PoolRow>(
    `SELECT ${POOL_COLUMNS} FROM pools WHERE chain_id = $1 AND address = $2`,
    [chainId, address],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  return {
    pool: toDetail(row, row),
    placement: { partition: row.partition, createdBlock: blockNumberOf(row.created_block) },
  };
}

/**
 * The state of `pool` as of block `n`: the newest non-orphaned `pool_history` row at or below `n`, or
 * the all-zero state of a created but not yet initialized pool when there is none. The caller checks
 * that the pool existed at `n` (`placement.createdBlock <= n`).
 */
export async function getPoolAt(db: Db, chainId: number, pool: PoolDetail, n: number): Promise<PoolDetail> {
  const { rows } = await db.query<StateRow>(
    `SELECT ${STATE_COLUMNS} FROM pool_history
      WHERE chain_id = $1 AND address = $2 AND block_number <= $3 AND status <> 'orphaned'
      ORDER BY block_number DESC LIMIT 1`,
    [chainId, pool.address, n],
  );
  const { address, token0, token1, fee, tickSpacing } = pool;
  return toDetail({ address, token0, token1, fee, tick_spacing: tickSpacing }, rows[0] ?? CREATED_STATE);
}

export interface PoolPage {
  readonly pools: PoolSummary[];
  /** The address to continue after, when there are more pools. */
  readonly lastAddress: string | undefined;
}

/** One page of pools in address order, strictly after `after` when given. */
export async function listPools(
  db: Db,
  chainId: number,
  page: { readonly after: string | undefined; readonly limit: number },
): Promise<PoolPage> {
  const { rows } = await db.query<PoolRow>(
    `SELECT ${POOL_COLUMNS} FROM pools
      WHERE chain_id = $1 AND ($2::text IS NULL OR address > $2)
      ORDER BY address LIMIT $3`,
    [chainId, page.after ?? null, page.limit + 1],
  );
  const more = rows.length > page.limit;
  const served = more ? rows.slice(0, page.limit) : rows;
  return {
    pools: served.map((r) => toSummary(r, r)),
    lastAddress: more ? served[served.length - 1]?.address : undefined,
  };
}
