import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type RunningDevnet, runWorkload, startDevnet } from '@tickstream/deploy/devnet';
import { freePort, waitFor } from '@tickstream/deploy/local';
import { streamName } from '@tickstream/shared';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys } from '../src/store';
import { exitOf, expectEqualsChain, TestResources } from './support/resources';
import {
  dropRedisKeys,
  headNumber,
  ingestEnv,
  projectorEnv,
  TEST_REDIS_URL,
  uniquePrefix,
  waitForCheckpoints,
  waitForLedger,
} from './support/stack';

const SEED = Number(process.env.TEST_SEED ?? 20261122);
const TRANSACTIONS = 1_500;

let devnet: RunningDevnet;
let nc: NatsConnection;
let redis: Redis;
const res = new TestResources();

/** A ledger of the whole devnet under a fresh prefix (ingest runs until the test ends). */
async function ledger(name: string): Promise<{ prefix: string; head: number }> {
  const prefix = uniquePrefix(name);
  res.stream(streamName(prefix, devnet.chainId));
  const db = await res.database(`${name}_ingest`);
  res.spawn('ingest/src/main.ts', ingestEnv(devnet, prefix, db.url));
  const head = await headNumber(devnet.rpcUrl);
  await waitForLedger(nc, prefix, devnet.chainId, head);
  return { prefix, head };
}

beforeAll(async () => {
  devnet = await startDevnet({ port: await freePort(), genesisTimestamp: 1_700_000_000 });
  const stats = await runWorkload(devnet, { seed: SEED, transactions: TRANSACTIONS, txPerBlock: 5 });
  expect(stats.transactions).toBeGreaterThanOrEqual(TRANSACTIONS);
  nc = await connect({ servers: 'nats://127.0.0.1:4222' });
  redis = new Redis(TEST_REDIS_URL);
}, 600_000);

afterAll(async () => {
  await res.close(nc);
  await nc?.close();
  if (redis !== undefined) await dropRedisKeys(redis, devnet.chainId);
  redis?.disconnect();
  await devnet?.stop();
});

describe('projector against real anvil, ingest, NATS, Postgres and Redis', () => {
  it('default: every partition reaches the head and Postgres equals the contracts (eth_call) at it', async () => {
    const { prefix, head } = await ledger('proj');
    const db = await res.database('proj');
    const projector = res.spawn(
      'projector/src/main.ts',
      projectorEnv(devnet.chainId, prefix, db.url, {
        PROJECTOR_PROGRESS_INTERVAL_MS: '100',
        PROJECTOR_BATCH_ENTRIES: '100',
      }),
    );
    const checkpoints = await waitForCheckpoints(db.pool, devnet.chainId, head, exitOf(projector));
    expect([...checkpoints.values()].every((n) => n === head)).toBe(true);
    await waitFor(
      async () => {
        const raw = await redis.get(redisKeys.head(devnet.chainId));
        return raw !== null && (JSON.parse(raw) as { number: number }).number >= head;
      },
      { timeoutMs: 10_000, what: 'the Redis head' },
    );
    await expectEqualsChain(devnet, db.pool, head);

    // Redis holds the same latest pools as Postgres.
    const { rows } = await db.pool.query(
      'SELECT address, sqrt_price_x96, liquidity, fee_growth_global1_x128 FROM pools WHERE chain_id = $1',
      [devnet.chainId],
    );
    for (const r of rows) {
      const cached = JSON.parse((await redis.get(redisKeys.pool(devnet.chainId, r.address)))!);
      expect(cached).toMatchObject({
        address: r.address,
        sqrtPriceX96: r.sqrt_price_x96,
        liquidity: r.liquidity,
        feeGrowthGlobal1X128: r.fee_growth_global1_x128,
      });
    }
    expect(projector.output()).toMatch(/"msg":"progress"/);
    expect(projector.output()).toMatch(/partition caught up with the ledger/);

    await projector.kill('SIGTERM');
    expect((await projector.exited).code).toBe(0);
    expect(projector.output()).toContain('projector stopped');
  });

  it('behavior: kill -9 between commit and ack, restart: no block applied twice, state equals the chain', async () => {
    const { prefix, head } = await ledger('crash');
    const db = await res.database('crash');
    const env = projectorEnv(devnet.chainId, prefix, db.url, { PROJECTOR_BATCH_ENTRIES: '150' });
    const first = res.spawn('projector/src/main.ts', { ...env, PROJECTOR_FAULT: 'crash-after-commit:3' });
    const exit = await first.exited;
    expect(exit.signal).toBe('SIGKILL');
    expect(first.output()).toContain('PROJECTOR_FAULT: SIGKILL after commit, before ack');
    // Some partition committed a batch its consumer never acked: the checkpoint is past the ack floor.
    const { rows } = await db.pool.query<{ partition: string; stream_seq: string }>(
      'SELECT partition, stream_seq FROM proj_checkpoints',
    );
    const jsm = await jetstreamManager(nc);
    const unacked = [];
    for (const r of rows) {
      const info = await jsm.consumers.info(
        streamName(prefix, devnet.chainId),
        `${prefix}_projector_${r.partition}`,
      );
      if (info.ack_floor.stream_seq < Number(r.stream_seq)) unacked.push(r.partition);
    }
    expect(unacked.length).toBeGreaterThan(0);

    const second = res.spawn('projector/src/main.ts', env);
    await waitForCheckpoints(db.pool, devnet.chainId, head, exitOf(second));
    expect(second.output()).toMatch(/"consumer":"recreated"/); // the unacked consumer restarts at the checkpoint
    await expectEqualsChain(devnet, db.pool, head);
    const dup = await db.pool.query(
      `SELECT count(*)::int AS n FROM (SELECT block_number, log_index FROM events WHERE chain_id = $1
        GROUP BY 1, 2 HAVING count(*) > 1) d`,
      [devnet.chainId],
    );
    expect(dup.rows[0].n).toBe(0);
    await second.kill('SIGTERM');
  });
});
