import type { Db } from './db';

/** One pool position (what `positions(key)` returns, with the key spelled out). */
export interface Position {
  readonly owner: string;
  readonly tickLower: number;
  readonly tickUpper: number;
  readonly liquidity: string;
  readonly feeGrowthInside0LastX128: string;
  readonly feeGrowthInside1LastX128: string;
  readonly tokensOwed0: string;
  readonly tokensOwed1: string;
}

interface PositionRow {
  owner: string;
  tick_lower: number;
  tick_upper: number;
  liquidity: string;
  fee_growth_inside0_last_x128: string;
  fee_growth_inside1_last_x128: string;
  tokens_owed0: string;
  tokens_owed1: string;
}

const toPosition = (r: PositionRow): Position => ({
  owner: r.owner,
  tickLower: r.tick_lower,
  tickUpper: r.tick_upper,
  liquidity: r.liquidity,
  feeGrowthInside0LastX128: r.fee_growth_inside0_last_x128,
  feeGrowthInside1LastX128: r.fee_growth_inside1_last_x128,
  tokensOwed0: r.tokens_owed0,
  tokensOwed1: r.tokens_owed1,
});

const COLUMNS = `owner, tick_lower, tick_upper, liquidity, fee_growth_inside0_last_x128,
  fee_growth_inside1_last_x128, tokens_owed0, tokens_owed1`;

/**
 * The positions of a pool now, by (owner, tickLower, tickUpper). Positions with no liquidity are
 * served too: the contract keeps them, and they may still have tokens owed.
 */
export async function listPositions(db: Db, chainId: number, pool: string): Promise<Position[]> {
  const { rows } = await db.query<PositionRow>(
    `SELECT ${COLUMNS} FROM positions
      WHERE chain_id = $1 AND pool = $2
      ORDER BY owner, tick_lower, tick_upper`,
    [chainId, pool],
  );
  return rows.map(toPosition);
}

/** The positions of a pool as of block `n`: per key, the newest non-orphaned `position_history` row at or below `n`. */
export async function listPositionsAt(db: Db, chainId: number, pool: string, n: number): Promise<Position[]> {
  const { rows } = await db.query<PositionRow>(
    `SELECT DISTINCT ON (owner, tick_lower, tick_upper) ${COLUMNS} FROM position_history
      WHERE chain_id = $1 AND pool = $2 AND block_number <= $3 AND status <> 'orphaned'
      ORDER BY owner, tick_lower, tick_upper, block_number DESC`,
    [chainId, pool, n],
  );
  return rows.map(toPosition);
}
