import type { Partition } from '@tickstream/shared';
import type { Pool } from 'pg';

/** Most blocks one finality UPDATE covers: each statement stays small however far behind it is. */
export const FINALITY_CHUNK_BLOCKS = 256;

/** What one finality pass of a partition did. */
export interface FinalityPass {
  /** The partition's rows are confirmed up to this block (null: nothing to confirm yet). */
  readonly confirmedBlock: number | null;
  /** Rows marked confirmed in this pass. */
  readonly rows: number;
}

const POOL_TABLES = ['pool_history', 'tick_history', 'position_history'] as const;
const POOL_COLUMN = { pool_history: 'address', tick_history: 'pool', position_history: 'pool' } as const;

/**
 * Marks the partition's history and event rows `confirmed` once they are `depth` blocks below its
 * checkpoint: rows with `status = 'unconfirmed'` and `block_number <= checkpoint - depth`. Progress is
 * kept in `proj_finality`, and each UPDATE covers at most `FINALITY_CHUNK_BLOCKS` blocks above it
 * (`maxChunks` per call), so a pass is a few small statements. Each chunk is one transaction that
 * locks the partition's `proj_finality` row, which a rewind also updates (lowering it): the two never
 * interleave. Orphaned rows are never touched.
 *
 * @example
 * await confirmPartition(pg, 31337, 0, 64); // { confirmedBlock: 1136, rows: 412 }
 */
export async function confirmPartition(
  pg: Pool,
  chainId: number,
  partition: Partition,
  depth: number,
  maxChunks = 8,
): Promise<FinalityPass> {
  const p = String(partition);
  let rows = 0;
  let confirmed: number | null = null;
  for (let chunk = 0; chunk < maxChunks; chunk++) {
    const c = await pg.connect();
    try {
      await c.query('BEGIN');
      await c.query(
        `INSERT INTO proj_finality (chain_id, partition, confirmed_block)
         SELECT $1, $2, coalesce((SELECT min(block_number) - 1 FROM events WHERE chain_id = $1 AND partition = $2), -1)
         ON CONFLICT DO NOTHING`,
        [chainId, p],
      );
      const state = await c.query<{ confirmed_block: string; block_number: string | null }>(
        `SELECT f.confirmed_block, cp.block_number FROM proj_finality f
           LEFT JOIN proj_checkpoints cp ON cp.chain_id = f.chain_id AND cp.partition = f.partition
          WHERE f.chain_id = $1 AND f.partition = $2 FOR UPDATE OF f`,
        [chainId, p],
      );
      const row = state.rows[0];
      const from = Number(row?.confirmed_block ?? -1);
      confirmed = from;
      if (row?.block_number === null || row?.block_number === undefined) {
        await c.query('ROLLBACK');
        return { confirmedBlock: null, rows };
      }
      const target = Number(row.block_number) - depth;
      if (target <= from) {
        await c.query('ROLLBACK');
        break;
      }
      const to = Math.min(target, from + FINALITY_CHUNK_BLOCKS);
      const params = [chainId, p, from, to];
      const events = await c.query(
        `UPDATE events SET status = 'confirmed'
          WHERE chain_id = $1 AND partition = $2 AND block_number > $3 AND block_number <= $4
            AND status = 'unconfirmed'`,
        params,
      );
      rows += events.rowCount ?? 0;
      if (partition !== 'tokens') {
        for (const table of POOL_TABLES) {
          const r = await c.query(
            `UPDATE ${table} SET status = 'confirmed'
              WHERE chain_id = $1 AND block_number > $3 AND block_number <= $4 AND status = 'unconfirmed'
                AND ${POOL_COLUMN[table]} IN (SELECT address FROM pools WHERE chain_id = $1 AND partition = $2)`,
            params,
          );
          rows += r.rowCount ?? 0;
        }
      }
      await c.query(
        'UPDATE proj_finality SET confirmed_block = $3, updated_at = now() WHERE chain_id = $1 AND partition = $2',
        [chainId, p, to],
      );
      await c.query('COMMIT');
      confirmed = to;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }
  return { confirmedBlock: confirmed, rows };
}
