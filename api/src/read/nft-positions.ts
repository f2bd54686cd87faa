import type { Db } from './db';

/** A NonfungiblePositionManager token. `pool` and the ticks are null when the projector could not place it. */
export interface NftPosition {
  readonly tokenId: string;
  readonly owner: string;
  readonly pool: string | null;
  readonly tickLower: number | null;
  readonly tickUpper: number | null;
  readonly liquidity: string;
  readonly burned: boolean;
}

interface NftRow {
  token_id: string;
  owner: string;
  pool: string | null;
  tick_lower: number | null;
  tick_upper: number | null;
  liquidity: string;
  burned: boolean;
}

/** One token's latest state, by decimal token id; undefined when unknown. */
export async function getNftPosition(
  db: Db,
  chainId: number,
  tokenId: string,
): Promise<NftPosition | undefined> {
  const { rows } = await db.query<NftRow>(
    `SELECT token_id, owner, pool, tick_lower, tick_upper, liquidity, burned FROM nft_positions
      WHERE chain_id = $1 AND token_id = $2::numeric`,
    [chainId, tokenId],
  );
  const r = rows[0];
  if (r === undefined) return undefined;
  return {
    tokenId: r.token_id,
    owner: r.owner,
    pool: r.pool,
    tickLower: r.tick_lower,
    tickUpper: r.tick_upper,
    liquidity: r.liquidity,
    burned: r.burned,
  };
}
