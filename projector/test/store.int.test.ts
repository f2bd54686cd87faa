import { createTestDatabase, type TestDatabase } from '@tickstream/deploy/local';
import { createLogger, isTickstreamError } from '@tickstream/shared';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accumulate,
  applyBlock,
  type BatchChanges,
  createBatch,
  createPartitionModel,
  type PartitionModel,
} from '../src/apply';
import { blockHash, poolScenario, sealedBlock } from '../src/apply/test-ledger';
import type { Hex } from '../src/fold';
import { ALICE, BOB, ev, MANAGER, POOL } from '../src/fold/test-fixtures';
import {
  loadPartition,
  migrateProjections,
  publishBatch,
  readCheckpoint,
  redisKeys,
  writeBatch,
} from '../src/store';
import { TEST_REDIS_URL } from './support/stack';

const CHAIN = 31337;
const log = createLogger('test', 'silent');
let db: TestDatabase;
let pool: pg.Pool;
let redis: Redis;
let chain = CHAIN;

/** Row counts of every projection table, for "nothing changed". */
async function snapshot(chainId: number) {
  const out: Record<string, unknown> = {};
  for (const table of [
    'pools',
    'pool_history',
    'ticks',
    'tick_history',
    'positions',
    'position_history',
    'nft_positions',
    'events',
    'proj_checkpoints',
  ]) {
    const { rows } = await pool.query(`SELECT * FROM ${table} WHERE chain_id = $1 ORDER BY 2, 3, 4`, [
      chainId,
    ]);
    out[table] = rows.map((r: Record<string, unknown>) => ({ ...r, updated_at: undefined }));
  }
  return out;
}

function poolBatch(chainId: number): { batch: BatchChanges; model: PartitionModel } {
  const model = createPartitionModel(chainId, 0);
  const batch = createBatch(chainId, 0);
  for (const b of poolScenario().blocks) accumulate(batch, applyBlock(model, b));
  return { batch, model };
}

beforeAll(async () => {
  db = await createTestDatabase('projector_store');
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
  redis = new Redis(TEST_REDIS_URL);
  await migrateProjections(pool);
});

afterAll(async () => {
  await pool?.end();
  redis?.disconnect();
  await db?.drop();
});

describe('writeBatch', () => {
  it('default: one transaction writes latest rows, history (cleared ticks as zero rows) and the checkpoint', async () => {
    chain = CHAIN + 1;
    const { batch } = poolBatch(chain);
    expect(await writeBatch(pool, batch, null)).toEqual({ status: 'advanced' });
    expect(await readCheckpoint(pool, chain, 0)).toEqual({
      seq: 120,
      blockNumber: 12,
      blockHash: blockHash(12),
    });
    const { rows: ticks } = await pool.query(
      'SELECT tick, liquidity_gross FROM ticks WHERE chain_id = $1 ORDER BY tick',
      [chain],
    );
    expect(ticks).toEqual([
      { tick: -120, liquidity_gross: (5n * 10n ** 17n).toString() },
      { tick: 60, liquidity_gross: (5n * 10n ** 17n).toString() },
    ]);
    const { rows: cleared } = await pool.query(
      `SELECT tick, block_number, liquidity_gross, liquidity_net, fee_growth_outside0_x128 FROM tick_history
        WHERE chain_id = $1 AND block_number = 11 ORDER BY tick`,
      [chain],
    );
    expect(cleared).toEqual([
      {
        tick: -60,
        block_number: '11',
        liquidity_gross: '0',
        liquidity_net: '0',
        fee_growth_outside0_x128: '0',
      },
      {
        tick: 60,
        block_number: '11',
        liquidity_gross: '0',
        liquidity_net: '0',
        fee_growth_outside0_x128: '0',
      },
    ]);
    const { rows: pools } = await pool.query(
      'SELECT address, partition, tick, created_block, block_number FROM pools WHERE chain_id = $1',
      [chain],
    );
    expect(pools).toEqual([
      { address: POOL, partition: '0', tick: 0, created_block: '10', block_number: '12' },
    ]);
    const { rows: events } = await pool.query(
      'SELECT type, address, args FROM events WHERE chain_id = $1 ORDER BY block_number, log_index',
      [chain],
    );
    expect(events.map((e: { type: string }) => e.type)).toEqual([
      'PoolCreated',
      'Initialize',
      'Mint',
      'Burn',
      'Mint',
    ]);
    expect(events.every((e: { address: string }) => e.address === POOL)).toBe(true);
    expect(events[2].args).toMatchObject({ owner: ALICE, amount: (10n ** 18n).toString(), tickLower: -60 });
    const { rows: history } = await pool.query(
      'SELECT count(*)::int AS n FROM pool_history WHERE chain_id = $1',
      [chain],
    );
    expect(history[0].n).toBe(3);
  });

  it('behavior: the same batch applied twice leaves rows and checkpoint unchanged (already applied, not an error)', async () => {
    chain = CHAIN + 2;
    const { batch } = poolBatch(chain);
    await writeBatch(pool, batch, null);
    const before = await snapshot(chain);
    const again = await writeBatch(pool, poolBatch(chain).batch, null);
    expect(again).toMatchObject({ status: 'already-applied', current: { seq: 120 } });
    // A redelivery seen by a process that already moved on: expected = the checkpoint, batch below it.
    const stale = createBatch(chain, 0);
    accumulate(stale, applyBlock(createPartitionModel(chain, 0), poolScenario().blocks[0]!));
    expect(await writeBatch(pool, stale, 120)).toMatchObject({ status: 'already-applied' });
    expect(await snapshot(chain)).toEqual(before);
  });

  it('error: a checkpoint moved by someone else is CHECKPOINT_CONFLICT and nothing is written', async () => {
    chain = CHAIN + 3;
    const { batch } = poolBatch(chain);
    const first = createBatch(chain, 0);
    accumulate(first, applyBlock(createPartitionModel(chain, 0), poolScenario().blocks[0]!));
    await writeBatch(pool, first, null); // checkpoint at 100
    const before = await snapshot(chain);
    try {
      await writeBatch(pool, batch, 90); // this writer believes the checkpoint is at 90
      expect.unreachable();
    } catch (err) {
      expect(isTickstreamError(err, 'CHECKPOINT_CONFLICT')).toBe(true);
      expect((err as Error).message).toMatch(/expected at seq 90, found 100/);
    }
    expect(await snapshot(chain)).toEqual(before);
  });
});

describe('loadPartition', () => {
  it('default: rebuilds pools, ticks, the tick bitmap and positions as folded', async () => {
    chain = CHAIN + 4;
    const { batch, model } = poolBatch(chain);
    await writeBatch(pool, batch, null);
    const loaded = await loadPartition(pool, chain, 0);
    expect(loaded.checkpoint?.seq).toBe(120);
    if (loaded.model.kind !== 'pools' || model.kind !== 'pools') throw new Error('pool partition expected');
    const a = loaded.model.pools.get(POOL)!;
    const b = model.pools.get(POOL)!;
    expect(a.createdBlock).toBe(10);
    const { dirty: _d1, ...rebuilt } = a.state;
    const { dirty: _d2, ...folded } = b.state;
    expect(rebuilt).toEqual(folded);
    expect(loaded.model.factory.pools.get(POOL)).toMatchObject({ fee: 3000, tickSpacing: 60 });

    // The rebuilt model folds the next block exactly like the one that never stopped.
    const next = sealedBlock(0, 13, 130, [ev('Initialize', { sqrtPriceX96: 1n << 96n, tick: 0 })]);
    expect(() => applyBlock(loaded.model, next)).toThrow(/already initialized/);
  });

  it('default: tokens partition keeps live tokens; burned ones stay in the table, marked', async () => {
    chain = CHAIN + 5;
    const ZERO: Hex = '0x0000000000000000000000000000000000000000';
    const ctx = { pool: POOL, tickLower: -60, tickUpper: 60 };
    const model = createPartitionModel(chain, 'tokens');
    const batch = createBatch(chain, 'tokens');
    const t = (from: Hex, to: Hex, tokenId: bigint) => ev('Transfer', { from, to, tokenId }, MANAGER);
    const inc = (tokenId: bigint) =>
      ev('IncreaseLiquidity', { tokenId, liquidity: 10n, amount0: 1n, amount1: 1n }, MANAGER);
    const dec = ev('DecreaseLiquidity', { tokenId: 2n, liquidity: 10n, amount0: 1n, amount1: 1n }, MANAGER);
    accumulate(
      batch,
      applyBlock(
        model,
        sealedBlock('tokens', 5, 50, [t(ZERO, ALICE, 1n), [inc(1n), ctx], t(ZERO, BOB, 2n), [inc(2n), ctx]]),
      ),
    );
    accumulate(
      batch,
      applyBlock(model, sealedBlock('tokens', 6, 60, [[dec, ctx], t(BOB, ZERO, 2n), t(ALICE, BOB, 1n)])),
    );
    await writeBatch(pool, batch, null);
    const { rows } = await pool.query(
      'SELECT token_id, owner, pool, tick_lower, liquidity, burned FROM nft_positions WHERE chain_id = $1 ORDER BY token_id',
      [chain],
    );
    expect(rows).toEqual([
      { token_id: '1', owner: BOB, pool: POOL, tick_lower: -60, liquidity: '10', burned: false },
      { token_id: '2', owner: BOB, pool: POOL, tick_lower: -60, liquidity: '0', burned: true },
    ]);
    const loaded = await loadPartition(pool, chain, 'tokens');
    if (loaded.model.kind !== 'tokens' || model.kind !== 'tokens') throw new Error('tokens expected');
    expect(loaded.model.tokens.tokens).toEqual(model.tokens.tokens);
  });
});

describe('publishBatch', () => {
  it('default: pools, checkpoint and head in Redis; the head never goes back', async () => {
    chain = 900_000 + Math.floor(Math.random() * 99_999);
    const { batch } = poolBatch(chain);
    expect(await publishBatch(redis, batch, log)).toBe(true);
    const stored = JSON.parse((await redis.get(redisKeys.pool(chain, POOL)))!);
    expect(stored).toMatchObject({
      address: POOL,
      tick: 0,
      liquidity: (5n * 10n ** 17n).toString(),
      block: { number: 12 },
    });
    expect(JSON.parse((await redis.get(redisKeys.checkpoint(chain, '0')))!)).toEqual({
      seq: 120,
      number: 12,
      hash: blockHash(12),
    });
    const older = createBatch(chain, 1);
    accumulate(older, applyBlock(createPartitionModel(chain, 1), sealedBlock(1, 11, 115, [])));
    await publishBatch(redis, older, log);
    expect(JSON.parse((await redis.get(redisKeys.head(chain)))!)).toEqual({
      number: 12,
      hash: blockHash(12),
    });
    await redis.del(
      redisKeys.pool(chain, POOL),
      redisKeys.checkpoint(chain, '0'),
      redisKeys.checkpoint(chain, '1'),
      redisKeys.head(chain),
    );
  });

  it('behavior: Redis down is logged, not thrown', async () => {
    const down = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    down.on('error', () => undefined);
    expect(await publishBatch(down, poolBatch(chain).batch, log)).toBe(false);
    down.disconnect();
  });
});
