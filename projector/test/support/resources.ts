import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { RunningDevnet } from '@tickstream/deploy/devnet';
import { createTestDatabase, type TestDatabase } from '@tickstream/deploy/local';
import pg from 'pg';
import { expect } from 'vitest';
import { type ServiceProcess, spawnService } from '../../../ingest/test/support/process';
import { compareWithChain } from './chain-oracle';

/**
 * What an integration test file starts and must take down at its end: service processes, databases
 * (with a pool each) and JetStream streams.
 *
 * @example
 * const res = new TestResources();
 * const db = await res.database('proj');
 * const projector = res.spawn('projector/src/main.ts', env);
 * afterAll(() => res.close(nc));
 */
export class TestResources {
  readonly #children: ServiceProcess[] = [];
  readonly #streams: string[] = [];
  readonly #dbs: TestDatabase[] = [];
  readonly #pools: pg.Pool[] = [];

  /** A fresh database and a pool of `max` connections to it. */
  async database(name: string, max = 2): Promise<{ url: string; pool: pg.Pool }> {
    const db = await createTestDatabase(name);
    this.#dbs.push(db);
    const pool = new pg.Pool({ connectionString: db.url, max });
    this.#pools.push(pool);
    return { url: db.url, pool };
  }

  /** Starts a service (`spawnService`), killed at `close`. */
  spawn(entry: string, env: Record<string, string>): ServiceProcess {
    const child = spawnService(entry, env);
    this.#children.push(child);
    return child;
  }

  /** A stream deleted at `close`. */
  stream(name: string): void {
    this.#streams.push(name);
  }

  /** Kills the processes, deletes the streams (on `nc`, when given), ends the pools, drops the databases. */
  async close(nc: NatsConnection | undefined): Promise<void> {
    for (const c of this.#children) await c.kill();
    if (nc !== undefined) {
      const jsm = await jetstreamManager(nc);
      for (const s of this.#streams) await jsm.streams.delete(s).catch(() => false);
    }
    for (const p of this.#pools) await p.end();
    for (const db of this.#dbs) await db.drop();
  }
}

/** For `waitFor…`'s death check: undefined while `p` runs, else why it stopped (with its last output). */
export const exitOf =
  (p: ServiceProcess, name = 'projector') =>
  (): string | undefined =>
    p.child.exitCode !== null || p.child.signalCode !== null
      ? `${name} exited (${p.child.exitCode ?? p.child.signalCode}):\n${p.output().slice(-4000)}`
      : undefined;

/**
 * Asserts that the projection in `db` equals the devnet's contracts (`eth_call`) at `block`: no
 * difference, the devnet's 7 pools (`orMorePools`: at least those, for tests that add some), and
 * enough ticks, positions and NFTs to mean something.
 */
export async function expectEqualsChain(
  devnet: RunningDevnet,
  db: pg.Pool,
  block: number,
  { orMorePools = false } = {},
): Promise<void> {
  const report = await compareWithChain(db, {
    rpcUrl: devnet.rpcUrl,
    chainId: devnet.chainId,
    factory: devnet.addresses.factory,
    positionManager: devnet.addresses.positionManager,
    block,
  });
  console.log(
    `compared with the chain at block ${block}: ${JSON.stringify({ ...report, differences: report.differences.length })}`,
  );
  expect(report.differences.slice(0, 50)).toEqual([]);
  if (orMorePools) expect(report.pools).toBeGreaterThanOrEqual(7);
  else expect(report.pools).toBe(7);
  expect(report.ticks).toBeGreaterThan(50);
  expect(report.positions).toBeGreaterThan(50);
  expect(report.tokens).toBeGreaterThan(20);
}
