import { TickstreamError } from '@tickstream/shared';
import type { Pool, PoolClient, QueryResultRow } from 'pg';

/** What the read functions need: something that runs a query (a pool or a client in a transaction). */
export interface Db {
  query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

/**
 * Runs `fn` in one REPEATABLE READ, READ ONLY transaction, so that the rows it reads and the
 * checkpoint it stamps the answer with come from the same snapshot (the projector writes both in one
 * transaction). Postgres failures become STORE_ERROR; errors thrown by `fn` on purpose pass through.
 *
 * @example
 * const pool = await withSnapshot(pg, (db) => getPool(db, chainId, address));
 */
export async function withSnapshot<T>(pg: Pool, fn: (db: Db) => Promise<T>): Promise<T> {
  let client: PoolClient;
  try {
    client = await pg.connect();
  } catch (cause) {
    throw storeError(cause);
  }
  let broken = false;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const out = await fn(client as unknown as Db);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    broken = !(await client.query('ROLLBACK').then(
      () => true,
      () => false,
    ));
    throw err instanceof TickstreamError ? err : storeError(err);
  } finally {
    // A connection whose rollback failed is closed rather than given back to the pool.
    client.release(broken ? true : undefined);
  }
}

function storeError(cause: unknown): TickstreamError {
  return new TickstreamError('STORE_ERROR', `Postgres read failed: ${(cause as Error).message}`, {
    cause,
    retryable: true,
  });
}

/** int8 columns come back from pg as strings; block numbers fit in a safe integer. */
export function blockNumberOf(value: string | number): number {
  return typeof value === 'number' ? value : Number(value);
}
