import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { cachedState, type RunningDevnet, startDevnet } from '@tickstream/deploy/devnet';
import { freePort } from '@tickstream/deploy/local';
import { createLogger, loadConfig, streamName } from '@tickstream/shared';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RebuildProgress, type RebuildResult, rebuildProjections } from '../src/rebuild';
import { redisKeys } from '../src/store';
import { exitOf, expectEqualsChain, TestResources } from './support/resources';
import {
  dropRedisKeys,
  headNumber,
  ingestEnv,
  PARTITIONS,
  projectorEnv,
  uniquePrefix,
  waitForCheckpoints,
  waitForLedger,
} from './support/stack';

const SEED = Number(process.env.TEST_SEED ?? 20261122);
const TRANSACTIONS = 1_500;
const TABLES = [
  'pools',
  'pool_history',
  'ticks',
  'tick_history',
  'positions',
  'position_history',
  'nft_positions',
  'events',
];
const log = createLogger('rebuild-test', 'warn');
/**
 * A Redis database of its own: the other projector tests, run at the same time, publish the same pools
 * (same devnet deployment, chain 31337) to theirs, which would race the check of the rebuilt pools.
 */
const REDIS_URL = process.env.REBUILD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/13';
const env = (chainId: number, prefix: string, url: string, extra: Record<string, string> = {}) =>
  projectorEnv(chainId, prefix, url, { REDIS_URL, ...extra });

let devnet: RunningDevnet;
let nc: NatsConnection;
let redis: Redis;
let prefix: string;
let head: number;
const res = new TestResources();

async function rebuild(
  db: { url: string; pool: pg.Pool },
  opts: Parameters<typeof rebuildProjections>[1] = {},
): Promise<RebuildResult> {
  const cfg = loadConfig('projector', env(devnet.chainId, prefix, db.url, { FINALITY_DEPTH: '12' }));
  return rebuildProjections({ pg: db.pool, nc, jsm: await jetstreamManager(nc), log, cfg, redis }, opts);
}

/**
 * Every row of `table` in schema `a` and in schema `b`, in one order. `status` is compared as canonical
 * or orphaned: `confirmed` follows the finality task's timing, not the ledger.
 */
async function rowsOf(db: pg.Pool, schema: string, table: string): Promise<unknown[]> {
  const { rows: cols } = await db.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1
      ORDER BY column_name`,
    [table],
  );
  const list = cols.map((c) =>
    c.column_name === 'status' ? `(status = 'orphaned') AS orphaned` : `"${c.column_name}"::text`,
  );
  const { rows } = await db.query({
    text: `SELECT ${list.join(', ')} FROM "${schema}"."${table}" ORDER BY ${list.map((_, i) => i + 1).join(', ')}`,
    rowMode: 'array',
  });
  return rows;
}

async function expectSameRows(db: pg.Pool, a: string, b: string, tables = TABLES): Promise<void> {
  for (const t of tables) {
    const [x, y] = await Promise.all([rowsOf(db, a, t), rowsOf(db, b, t)]);
    expect({ table: t, rows: x.length }).toEqual({ table: t, rows: y.length });
    expect(x, `${t}: ${a} vs ${b}`).toEqual(y);
  }
}

beforeAll(async () => {
  const state = await cachedState({ seed: SEED, transactions: TRANSACTIONS, txPerBlock: 5 });
  devnet = await startDevnet({ port: await freePort(), loadState: state.path });
  nc = await connect({ servers: 'nats://127.0.0.1:4222' });
  redis = new Redis(REDIS_URL);
  prefix = uniquePrefix('rebuild');
  res.stream(streamName(prefix, devnet.chainId));
  const ingestDb = await res.database('rebuild_ingest', 8);
  res.spawn('ingest/src/main.ts', ingestEnv(devnet, prefix, ingestDb.url));
  head = await headNumber(devnet.rpcUrl);
  await waitForLedger(nc, prefix, devnet.chainId, head);
}, 600_000);

afterAll(async () => {
  await res.close(nc);
  await nc?.close();
  if (redis !== undefined) await dropRedisKeys(redis, devnet.chainId);
  redis?.disconnect();
  await devnet?.stop();
});

describe('rebuild from the ledger', () => {
  it('default: the rebuilt projection equals the live one row by row, and the contracts (eth_call)', async () => {
    const db = await res.database('rebuild_live', 8);
    const projector = res.spawn('projector/src/main.ts', env(devnet.chainId, prefix, db.url));
    await waitForCheckpoints(db.pool, devnet.chainId, head, exitOf(projector));
    const before = await db.pool.query('SELECT * FROM proj_checkpoints ORDER BY partition');
    const progress: RebuildProgress[] = [];
    const r = await rebuild(db, { onProgress: (p) => progress.push(p), progressIntervalMs: 10 });

    expect(r.swapped).toBe(true);
    expect(r.archive).toBe('tickstream_rebuild_old');
    expect(r.partitions).toEqual(['0', '1', '2', '3', 'tokens']);
    expect(r.events).toBeGreaterThan(1_500);
    expect(r.swap?.lockedBlocks).toBe(0); // the live projector was idle at the head
    expect(progress.map((p) => p.phase)).toEqual(expect.arrayContaining(['read', 'keys', 'swap', 'done']));
    expect(progress.at(-1)).toMatchObject({ entriesDone: r.entries, entriesTotal: r.entries });
    // The live checkpoints were matched, not moved.
    const after = await db.pool.query('SELECT * FROM proj_checkpoints ORDER BY partition');
    expect(after.rows).toEqual(before.rows);
    for (const row of before.rows) {
      expect(r.swap?.checkpoints[row.partition]).toEqual({
        seq: Number(row.stream_seq),
        blockNumber: Number(row.block_number),
        blockHash: row.block_hash,
      });
    }
    await expectSameRows(db.pool, 'public', 'tickstream_rebuild_old');
    await expectEqualsChain(devnet, db.pool, head);
    // Redis got the rebuilt pools.
    const { rows } = await db.pool.query<{ address: string; sqrt_price_x96: string }>(
      'SELECT address, sqrt_price_x96 FROM pools',
    );
    for (const p of rows) {
      const cached = JSON.parse((await redis.get(redisKeys.pool(devnet.chainId, p.address)))!);
      expect(cached.sqrtPriceX96).toBe(p.sqrt_price_x96);
    }
    await projector.kill('SIGTERM');
    expect((await projector.exited).code).toBe(0);
  });

  it('behavior: swapped in under a projector still catching up, which goes on into the new tables', async () => {
    const db = await res.database('rebuild_running', 8);
    const projector = res.spawn(
      'projector/src/main.ts',
      env(devnet.chainId, prefix, db.url, { PROJECTOR_BATCH_ENTRIES: '20' }),
    );
    // Wait for the first commits, then rebuild while it goes on.
    await waitForCheckpoints(
      db.pool,
      devnet.chainId,
      Number(devnet.addresses.deployBlock) + 5,
      exitOf(projector),
    );
    const r = await rebuild(db);
    expect(r.swapped).toBe(true);
    const cps = Object.values(r.swap!.checkpoints).map((c) => c.blockNumber);
    await waitForCheckpoints(db.pool, devnet.chainId, head, exitOf(projector));
    expect(projector.output()).not.toMatch(/CHECKPOINT_CONFLICT|reloading/);
    console.log(
      `swapped at blocks ${cps.join(', ')} (head ${head}); ${r.swap!.lockedBlocks} blocks folded under the lock in ${Math.round(r.swap!.lockMs)} ms`,
    );
    await expectEqualsChain(devnet, db.pool, head);
    // What the projector wrote after the swap equals a rebuild of the whole ledger.
    const again = await rebuild(db, { swap: false, schema: 'rebuild_check' });
    expect(again.swapped).toBe(false);
    await expectSameRows(db.pool, 'public', 'rebuild_check');
    await projector.kill('SIGTERM');
    expect((await projector.exited).code).toBe(0);
  });

  it('args: projection tokens replaces nft_positions and the tokens events only', async () => {
    const db = await res.database('rebuild_tokens', 8);
    const projector = res.spawn('projector/src/main.ts', env(devnet.chainId, prefix, db.url));
    await waitForCheckpoints(db.pool, devnet.chainId, head, exitOf(projector));
    await projector.kill('SIGTERM');
    const r = await rebuild(db, { projection: 'tokens' });
    expect(r.partitions).toEqual(['tokens']);
    expect(Object.keys(r.rows).sort()).toEqual(['events', 'nft_positions']);
    expect(r.swap!.keptRows).toBeGreaterThan(0); // the pool partitions' events
    await expectSameRows(db.pool, 'public', 'tickstream_rebuild_old', ['nft_positions', 'events']);
    const untouched = await db.pool.query(
      `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'tickstream_rebuild_old'`,
    );
    expect(untouched.rows[0].n).toBe(2);
    await expect(rebuild(db, { projection: 'nope' })).rejects.toThrow(/unknown projection 'nope'/);
    expect(PARTITIONS).toBe(4);
  });
});
