import type { Db } from './db';

/** One initialized tick (what `ticks(t)` returns, less the oracle fields). Big integers are decimal strings. */
export interface Tick {
  readonly tick: number;
  readonly liquidityGross: string;
  readonly liquidityNet: string;
  readonly feeGrowthOutside0X128: string;
  readonly feeGrowthOutside1X128: string;
}

interface TickRow {
  tick: number;
  liquidity_gross: string;
  liquidity_net: string;
  fee_growth_outside0_x128: string;
  fee_growth_outside1_x128: string;
}

const toTick = (r: TickRow): Tick => ({
  tick: r.tick,
  liquidityGross: r.liquidity_gross,
  liquidityNet: r.liquidity_net,
  feeGrowthOutside0X128: r.fee_growth_outside0_x128,
  feeGrowthOutside1X128: r.fee_growth_outside1_x128,
});

const COLUMNS = 'tick, liquidity_gross, liquidity_net, fee_growth_outside0_x128, fee_growth_outside1_x128';

/** The initialized ticks of a pool now, by tick. A cleared tick (liquidity_gross = 0) is not served. */
export async function listTicks(db: Db, chainId: number, pool: string): Promise<Tick[]> {
  const { rows } = await db.query<TickRow>(
    `SELECT ${COLUMNS} FROM ticks
      WHERE chain_id = $1 AND pool = $2 AND liquidity_gross <> 0
      ORDER BY tick`,
    [chainId, pool],
  );
  return rows.map(toTick);
}

/**
 * The initialized ticks of a pool as of block `n`: per tick, the newest non-orphaned `tick_history`
 * row at or below `n`, dropping ticks whose newest row has liquidity_gross = 0 (the projector's record
 * of a cleared tick).
 */
export async function listTicksAt(db: Db, chainId: number, pool: string, n: number): Promise<Tick[]> {
  const { rows } = await db.query<TickRow>(
    `SELECT ${COLUMNS} FROM (
        SELECT DISTINCT ON (tick) ${COLUMNS} FROM tick_history
         WHERE chain_id = $1 AND pool = $2 AND block_number <= $3 AND status <> 'orphaned'
         ORDER BY tick, block_number DESC
      ) newest
      WHERE liquidity_gross <> 0
      ORDER BY tick`,
    [chainId, pool, n],
  );
  return rows.map(toTick);
}
