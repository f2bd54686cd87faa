import type { Pool, PoolClient } from 'pg';

/**
 * Runs `work` on one connection inside BEGIN … COMMIT; any error rolls back, is rethrown, and the
 * connection goes back to the pool either way.
 *
 * @example await inTransaction(pg, async (c) => { await c.query('…'); await c.query('…'); });
 */
export async function inTransaction<T>(pg: Pool, work: (c: PoolClient) => Promise<T>): Promise<T> {
  const c = await pg.connect();
  try {
    await c.query('BEGIN');
    const result = await work(c);
    await c.query('COMMIT');
    return result;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    c.release();
  }
}
