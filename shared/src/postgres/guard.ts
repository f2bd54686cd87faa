import type { Logger } from '../log';

/** What `guardPool` needs of a `pg` Pool (structural: `shared` does not depend on `pg`). */
export interface GuardedPool {
  on(event: 'error', listener: (err: Error, client: GuardedClient) => void): unknown;
  on(event: 'acquire', listener: (client: GuardedClient) => void): unknown;
}

/** What `guardPool` needs of a `pg` client. */
export interface GuardedClient {
  on(event: 'error', listener: (err: Error) => void): unknown;
}

const guardedPools = new WeakSet<GuardedPool>();

/**
 * Keeps a lost Postgres connection (a restart, a failover, `pg_terminate_backend`) from crashing the
 * process. `pg` emits `error` on a client whose connection fails; the pool listens on idle clients and
 * re-emits on itself (a process without a pool listener dies of it), and on a checked-out client no
 * one listens. Here both are logged, once: the failed client's queries reject (the caller retries them
 * as any other failure) and the pool replaces the connection. A client that was ever checked out keeps
 * its listener (one per client), which also logs its failures while idle. A pool is guarded once,
 * however often this is called on it (the service, and the projector's takeover fence).
 *
 * @example
 * const pool = new pg.Pool({ connectionString });
 * guardPool(pool, log);
 */
export function guardPool(pool: GuardedPool, log: Logger): void {
  if (guardedPools.has(pool)) return;
  guardedPools.add(pool);
  const guarded = new WeakSet<GuardedClient>();
  const lost = (err: Error) => log.warn({ err: err.message }, 'postgres connection lost');
  pool.on('error', (err, client) => {
    if (!guarded.has(client)) lost(err); // else its own listener logged it
  });
  pool.on('acquire', (client) => {
    if (guarded.has(client)) return;
    guarded.add(client);
    client.on('error', lost);
  });
}
