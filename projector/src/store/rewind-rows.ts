import type { PoolClient } from 'pg';
import { type BatchChanges, createBatch, nftRow, poolRow, positionRow, tickRow } from '../apply';
import { type Hex, positionKey } from '../fold';
import { plainArray as plain } from './arrays';
import type { RewindStart, RewindWrite } from './rewind';
import { TOKEN_EVENT_TYPES } from './schema';

/**
 * The row work of a rewind, inside its transaction: marking the history and event rows above the
 * target orphaned (and learning which keys they were of), and the latest rows of those keys as the
 * model has them at the target.
 */

/** History rows marked orphaned, by table. */
export interface OrphanCounts {
  readonly pool_history: number;
  readonly tick_history: number;
  readonly position_history: number;
  readonly events: number;
}

/** The keys whose rows were marked orphaned, and how many rows per table. */
export interface Orphaned {
  readonly counts: OrphanCounts;
  readonly pools: Hex[];
  readonly ticks: [Hex, number][];
  readonly positions: [Hex, Hex, number, number][];
  readonly tokenIds: bigint[];
}

/**
 * Marks every history and event row of the partition above the target orphaned, in one statement, and
 * returns the distinct keys they were of (pool, tick, position, token id).
 */
export async function markOrphaned(c: PoolClient, w: RewindStart): Promise<Orphaned> {
  const above = `chain_id = $1 AND block_number > $3 AND status <> 'orphaned'`;
  const { rows } = await c.query<{
    ph: string;
    th: string;
    qh: string;
    ev: string;
    pools: Hex[];
    ticks: [Hex, number][];
    positions: [Hex, Hex, number, number][];
    tokens: string[];
  }>(
    `WITH p AS (SELECT address FROM pools WHERE chain_id = $1 AND partition = $2),
     ph AS (UPDATE pool_history SET status = 'orphaned' WHERE ${above} AND address IN (SELECT address FROM p)
            RETURNING address),
     th AS (UPDATE tick_history SET status = 'orphaned' WHERE ${above} AND pool IN (SELECT address FROM p)
            RETURNING pool, tick),
     qh AS (UPDATE position_history SET status = 'orphaned' WHERE ${above} AND pool IN (SELECT address FROM p)
            RETURNING pool, owner, tick_lower, tick_upper),
     ev AS (UPDATE events SET status = 'orphaned' WHERE ${above} AND partition = $2
            RETURNING CASE WHEN type = ANY($4::text[]) THEN args->>'tokenId' END AS token_id)
     SELECT (SELECT count(*) FROM ph) AS ph, (SELECT count(*) FROM th) AS th, (SELECT count(*) FROM qh) AS qh,
            (SELECT count(*) FROM ev) AS ev,
            (SELECT coalesce(jsonb_agg(DISTINCT address), '[]') FROM ph) AS pools,
            (SELECT coalesce(jsonb_agg(DISTINCT jsonb_build_array(pool, tick)), '[]') FROM th) AS ticks,
            (SELECT coalesce(jsonb_agg(DISTINCT jsonb_build_array(pool, owner, tick_lower, tick_upper)), '[]')
               FROM qh) AS positions,
            (SELECT coalesce(jsonb_agg(DISTINCT token_id) FILTER (WHERE token_id IS NOT NULL), '[]') FROM ev) AS tokens`,
    [w.chainId, String(w.partition), w.toBlock, TOKEN_EVENT_TYPES],
  );
  const r = rows[0]!;
  return {
    counts: {
      pool_history: Number(r.ph),
      tick_history: Number(r.th),
      position_history: Number(r.qh),
      events: Number(r.ev),
    },
    pools: r.pools,
    ticks: r.ticks,
    positions: r.positions,
    tokenIds: r.tokens.map((t) => BigInt(t)),
  };
}

export interface Rewrite {
  readonly batch: BatchChanges;
  readonly deletePools: Hex[];
  readonly deletePositions: { pool: Hex; owner: Hex; tickLower: number; tickUpper: number }[];
  readonly deleteTokens: bigint[];
}

/** The latest rows of the keys changed above the target, as the model has them at the target. */
export function poolRewrite(w: RewindWrite, o: Orphaned): Rewrite {
  const model = w.model;
  const batch = createBatch(w.chainId, w.partition);
  const out: Rewrite = { batch, deletePools: [], deletePositions: [], deleteTokens: [] };
  if (model.kind !== 'pools') return out;
  for (const address of o.pools) {
    const entry = model.pools.get(address);
    if (entry === undefined) out.deletePools.push(address);
    else batch.pools.set(address, poolRow(entry, entry.block));
  }
  for (const [pool, tick] of o.ticks) {
    const entry = model.pools.get(pool);
    const info = entry?.state.ticks.get(tick);
    const block = { number: entry?.tickBlocks.get(tick) ?? w.toBlock, hash: '0x' as Hex };
    // A tick absent at the target is a cleared row: writeTicks deletes it.
    batch.ticks.set(`${pool}:${tick}`, tickRow(pool, tick, info, block));
  }
  for (const [pool, owner, tickLower, tickUpper] of o.positions) {
    const entry = model.pools.get(pool);
    const key = positionKey(owner, tickLower, tickUpper);
    const state = entry?.state.positions.get(key);
    if (entry === undefined || state === undefined) {
      out.deletePositions.push({ pool, owner, tickLower, tickUpper });
    } else {
      const block = { number: entry.positionBlocks.get(key) ?? w.toBlock, hash: '0x' as Hex };
      batch.positions.set(`${pool}:${key}`, positionRow(pool, state, block));
    }
  }
  return out;
}

export function tokenRewrite(w: RewindWrite, tokenIds: readonly bigint[]): Rewrite {
  const batch = createBatch(w.chainId, w.partition);
  const out: Rewrite = { batch, deletePools: [], deletePositions: [], deleteTokens: [] };
  if (w.model.kind !== 'tokens') return out;
  for (const id of tokenIds) {
    const token = w.model.tokens.tokens.get(id);
    if (token === undefined) out.deleteTokens.push(id);
    else {
      const block = { number: w.model.tokenBlocks.get(id) ?? w.toBlock, hash: '0x' as Hex };
      batch.nfts.set(id, nftRow(id, token, false, block));
    }
  }
  return out;
}

/**
 * The deletions of a rewrite (latest rows of keys that did not exist at the target) as data-modifying
 * `WITH` items, for the rewind's closing statement (one round trip instead of one per table): each
 * `RETURNING 1`, named `d0`, `d1`, …; their parameters are numbered from `firstParam` on (`$1` is the
 * chain id). Tables with nothing to delete are left out.
 *
 * @example
 * const d = deletionsSql(rewrite, 10); // { ctes: ['d0 AS (DELETE FROM pools …)'], names: ['d0'], params: ['{0xab}'] }
 */
export function deletionsSql(
  r: Rewrite,
  firstParam: number,
): { ctes: string[]; names: string[]; params: string[] } {
  const out = { ctes: [] as string[], names: [] as string[], params: [] as string[] };
  const add = (sql: (n: (i: number) => string) => string, params: string[]) => {
    const base = firstParam + out.params.length;
    const name = `d${out.names.length}`;
    out.ctes.push(`${name} AS (${sql((i) => `$${base + i}`)} RETURNING 1)`);
    out.names.push(name);
    out.params.push(...params);
  };
  if (r.deletePools.length > 0)
    add(
      (n) => `DELETE FROM pools WHERE chain_id = $1 AND address = ANY(${n(0)}::text[])`,
      [plain(r.deletePools)],
    );
  if (r.deletePositions.length > 0) {
    const ps = r.deletePositions;
    add(
      (n) =>
        `DELETE FROM positions WHERE chain_id = $1 AND (pool, owner, tick_lower, tick_upper) IN
           (SELECT * FROM unnest(${n(0)}::text[], ${n(1)}::text[], ${n(2)}::int[], ${n(3)}::int[]))`,
      [
        plain(ps.map((p) => p.pool)),
        plain(ps.map((p) => p.owner)),
        plain(ps.map((p) => p.tickLower)),
        plain(ps.map((p) => p.tickUpper)),
      ],
    );
  }
  if (r.deleteTokens.length > 0)
    add(
      (n) => `DELETE FROM nft_positions WHERE chain_id = $1 AND token_id = ANY(${n(0)}::numeric[])`,
      [plain(r.deleteTokens)],
    );
  return out;
}

/** Cleared ticks in a batch (rows deleted from `ticks`). */
export function deletedTicks(b: BatchChanges): number {
  let n = 0;
  for (const t of b.ticks.values()) if (t.cleared) n++;
  return n;
}
