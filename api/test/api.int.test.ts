import { createLogger } from '@tickstream/shared';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
// Tests only: the projector owns the schema; the api itself only reads the tables.
import { migrateProjections } from '../../projector/src/store/schema';
import { type AppDeps, createApp, listen } from '../src';
import {
  ErrorResponse,
  EventsResponse,
  NftPositionResponse,
  PoolListResponse,
  PoolResponse,
  PositionsResponse,
  ReadyResponse,
  TicksResponse,
} from '../src/openapi/schemas';
import { createTestDatabase, type TestDatabase } from './database';
import {
  ALICE,
  BOB,
  CAROL,
  h,
  MAX_SQRT_RATIO_MINUS_1,
  OTHER_POOLS,
  P1,
  P2,
  Q128,
  seed,
  servedEvents,
  TOKEN0,
  TOKEN1,
  U128_MAX,
  U256_MAX,
} from './fixture';

const chainId = 900_000 + Math.floor(Math.random() * 90_000);
const log = createLogger('api-test', 'silent');
let db: TestDatabase;
let pool: pg.Pool;
let app: ReturnType<typeof createApp>;

const appWith = (patch: Partial<AppDeps> = {}) =>
  createApp({ pg: pool, chainId, log, readyMaxLag: 5, ...patch });

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
  await migrateProjections(pool);
  await seed(pool, chainId);
  app = appWith();
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

async function get(path: string, on = app): Promise<{ status: number; body: unknown }> {
  const res = await on.request(path);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return { status: res.status, body: await res.json() };
}

/** GETs `path`, expects 200 and a body that the response schema (strict) accepts. */
async function ok<S extends z.ZodType>(path: string, schema: S, on = app): Promise<z.infer<S>> {
  const { status, body } = await get(path, on);
  expect(status, JSON.stringify(body)).toBe(200);
  return schema.parse(body);
}

/** GETs `path`, expects `status` and the error envelope. */
async function fails(path: string, status: number, on = app): Promise<{ code: string; message: string }> {
  const res = await get(path, on);
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  return ErrorResponse.parse(res.body).error;
}

const block = (n: number, hash = h(n)) => ({ number: n, hash });

const P1_SUMMARY = {
  address: P1,
  token0: TOKEN0,
  token1: TOKEN1,
  fee: 3000,
  tickSpacing: 60,
  sqrtPriceX96: MAX_SQRT_RATIO_MINUS_1,
  tick: 887271,
  liquidity: U128_MAX,
};
const P1_LATEST = {
  ...P1_SUMMARY,
  feeGrowthGlobal0X128: U256_MAX,
  feeGrowthGlobal1X128: '12345',
  protocolFees: { token0: '7', token1: Q128 },
  feeProtocol: 68,
};
const zeroState = { sqrtPriceX96: '0', tick: null, liquidity: '0' };
const P2_SUMMARY = { address: P2, token0: TOKEN0, token1: CAROL, fee: 500, tickSpacing: 10, ...zeroState };

describe('GET /v1/pools/:address', () => {
  it('default: the latest state at the partition checkpoint, big integers as decimal strings', async () => {
    expect(await ok(`/v1/pools/${P1}`, PoolResponse)).toEqual({ pool: P1_LATEST, block: block(120) });
  });

  it('behavior: any case in, lowercase out', async () => {
    expect((await ok(`/v1/pools/${P1.toUpperCase().replace('0X', '0x')}`, PoolResponse)).pool.address).toBe(
      P1,
    );
  });

  it('behavior: a created, uninitialized pool is all zero with tick null', async () => {
    expect(await ok(`/v1/pools/${P2}`, PoolResponse)).toEqual({
      pool: {
        ...P2_SUMMARY,
        feeGrowthGlobal0X128: '0',
        feeGrowthGlobal1X128: '0',
        protocolFees: { token0: '0', token1: '0' },
        feeProtocol: 0,
      },
      block: block(118),
    });
  });

  const state = (sqrtPriceX96: string, tick: number | null, liquidity: string, fg0: string, fg1: string) => ({
    ...P1_SUMMARY,
    sqrtPriceX96,
    tick,
    liquidity,
    feeGrowthGlobal0X128: fg0,
    feeGrowthGlobal1X128: fg1,
    protocolFees: { token0: '0', token1: '0' },
    feeProtocol: 0,
  });
  const S105 = state('79228162514264337593543950336', 0, '0', '0', '0');
  const S110 = state('79307426338960776842885539845', 20, '1000', Q128, '0');
  const S112 = state('79466191966197645195421774833', 60, '1000', Q128, '5');

  it.each([
    // [block, state, hash: why]
    [100, state('0', null, '0', '0', '0'), h(100), 'created, not yet initialized: all zero; a log at 100'],
    [
      104,
      state('0', null, '0', '0', '0'),
      h(100),
      'no log at 104: hash of the newest row below (PoolCreated)',
    ],
    [105, S105, h(105), 'Initialize at 105'],
    [111, S110, h(110), 'no log at 111: hash of the history row at 110'],
    [112, S112, h(112), 'the canonical row at 112, not the orphaned one'],
    [113, S112, h(113), 'canonical hash of 113 known from another pool'],
    [114, S112, h(112), 'nothing known at 114: the newest non-orphaned row below'],
    [118, P1_LATEST, h(118), "canonical hash of 118 known from partition 1's checkpoint"],
    [120, P1_LATEST, h(120), 'the checkpoint itself'],
  ])('args: block=%i', async (n, pool, hash) => {
    expect(await ok(`/v1/pools/${P1}?block=${n}`, PoolResponse)).toEqual({ pool, block: block(n, hash) });
  });

  it('behavior: a pool without history or logs takes the hash of its latest row below N', async () => {
    const [first] = OTHER_POOLS;
    expect(await ok(`/v1/pools/${first}?block=103`, PoolResponse)).toEqual({
      pool: {
        address: first,
        token0: TOKEN0,
        token1: TOKEN1,
        fee: 100,
        tickSpacing: 1,
        ...zeroState,
        feeGrowthGlobal0X128: '0',
        feeGrowthGlobal1X128: '0',
        protocolFees: { token0: '0', token1: '0' },
        feeProtocol: 0,
      },
      block: block(103, h(102)),
    });
  });

  it('error: a block before the pool was created is 404', async () => {
    expect(await fails(`/v1/pools/${P1}?block=99`, 404)).toEqual({
      code: 'NOT_FOUND',
      message: `pool ${P1} did not exist at block 99 (created at block 100)`,
    });
  });

  it('error: a block ahead of the indexed head is 400', async () => {
    expect(await fails(`/v1/pools/${P1}?block=121`, 400)).toEqual({
      code: 'BAD_REQUEST',
      message: 'block: 121 is ahead of the indexed head 120',
    });
    // P2's partition is at 118.
    expect((await fails(`/v1/pools/${P2}?block=119`, 400)).message).toBe(
      'block: 119 is ahead of the indexed head 118',
    );
  });

  it('args: finality=confirmed answers FINALITY_DEPTH blocks below the checkpoint', async () => {
    const confirmedApp = appWith({ finalityDepth: 8 });
    expect(await ok(`/v1/pools/${P1}?finality=confirmed`, PoolResponse, confirmedApp)).toEqual({
      pool: S112,
      block: block(112, h(112)),
    });
    expect(await ok(`/v1/pools/${P1}?finality=latest`, PoolResponse, confirmedApp)).toEqual(
      await ok(`/v1/pools/${P1}`, PoolResponse, confirmedApp),
    );
    expect((await fails(`/v1/pools/${P1}?finality=confirmed&block=113`, 400, confirmedApp)).message).toBe(
      'block: 113 is not confirmed yet (confirmed up to 112)',
    );
    expect((await fails(`/v1/pools/${P1}/ticks?finality=safe`, 400)).message).toBe(
      "finality: expected latest or confirmed, got 'safe'",
    );
  });

  it('error: unknown pool is 404 naming the address', async () => {
    const unknown = `0x${'9'.repeat(40)}`;
    expect(await fails(`/v1/pools/${unknown}`, 404)).toEqual({
      code: 'NOT_FOUND',
      message: `pool ${unknown} not found`,
    });
    expect((await fails(`/v1/pools/${unknown}?block=5`, 404)).message).toBe(`pool ${unknown} not found`);
  });

  it.each(['0x123', 'xyz', `0x${'a'.repeat(41)}`, `0x${'z'.repeat(40)}`])(
    'error: address %s',
    async (raw) => {
      for (const suffix of ['', '/ticks', '/positions', '/events']) {
        expect(await fails(`/v1/pools/${raw}${suffix}`, 400)).toEqual({
          code: 'BAD_REQUEST',
          message: `address: expected 0x followed by 40 hex digits, got '${raw}'`,
        });
      }
    },
  );

  it.each([
    ['abc', `block: expected a non-negative whole number, got 'abc'`],
    ['-1', `block: expected a non-negative whole number, got '-1'`],
    ['1.5', `block: expected a non-negative whole number, got '1.5'`],
    ['', `block: expected a non-negative whole number, got ''`],
    [
      '99999999999999999999',
      `block: expected a block number at most 9007199254740991, got '99999999999999999999'`,
    ],
  ])('error: block=%s', async (raw, message) => {
    for (const suffix of ['', '/ticks', '/positions']) {
      expect(await fails(`/v1/pools/${P1}${suffix}?block=${raw}`, 400)).toEqual({
        code: 'BAD_REQUEST',
        message,
      });
    }
  });
});

describe('GET /v1/pools', () => {
  const all = [
    P1_SUMMARY,
    P2_SUMMARY,
    ...OTHER_POOLS.map((address) => ({
      address,
      token0: TOKEN0,
      token1: TOKEN1,
      fee: 100,
      tickSpacing: 1,
      ...zeroState,
    })),
  ];

  it('default: every pool in address order, stamped with the lowest pool-partition checkpoint', async () => {
    expect(await ok('/v1/pools', PoolListResponse)).toEqual({
      pools: all,
      nextCursor: null,
      block: block(118),
    });
  });

  it('behavior: pages concatenated equal the full list, without repeats', async () => {
    const seen: unknown[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const page: z.infer<typeof PoolListResponse> = await ok(
        `/v1/pools?limit=7${cursor === null ? '' : `&cursor=${cursor}`}`,
        PoolListResponse,
      );
      sizes.push(page.pools.length);
      seen.push(...page.pools);
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(sizes).toEqual([7, 7, 7, 4]);
    expect(seen).toEqual(all);
  });

  it('behavior: a last page of exactly `limit` has no next cursor', async () => {
    const first = await ok('/v1/pools?limit=20', PoolListResponse);
    const second = await ok(`/v1/pools?limit=5&cursor=${first.nextCursor}`, PoolListResponse);
    expect(second.pools).toHaveLength(5);
    expect(second.nextCursor).toBeNull();
  });

  it.each(['100000', '1001', '0', '-1', 'ten'])('error: limit=%s', async (raw) => {
    expect(await fails(`/v1/pools?limit=${raw}`, 400)).toEqual({
      code: 'BAD_REQUEST',
      message: `limit: expected a whole number from 1 to 1000, got '${raw}'`,
    });
  });

  it('error: a malformed cursor, or a cursor of another list', async () => {
    const events = await ok(`/v1/pools/${P1}/events?limit=1`, EventsResponse);
    for (const raw of ['garbage', 'not*base64', events.nextCursor ?? '']) {
      expect(await fails(`/v1/pools?cursor=${raw}`, 400)).toEqual({
        code: 'BAD_REQUEST',
        message: `cursor: not a cursor of this list, got '${raw}'`,
      });
    }
  });
});

describe('GET /v1/pools/:address/ticks', () => {
  const t = (tick: number, gross: string, net: string, fo0: string, fo1: string) => ({
    tick,
    liquidityGross: gross,
    liquidityNet: net,
    feeGrowthOutside0X128: fo0,
    feeGrowthOutside1X128: fo1,
  });

  it('default: initialized ticks by tick; cleared ones left out', async () => {
    expect(await ok(`/v1/pools/${P1}/ticks`, TicksResponse)).toEqual({
      ticks: [t(-60, '1000', '1000', U256_MAX, '1'), t(60, '1000', '-1000', '0', '0')],
      block: block(120),
    });
  });

  it.each([
    [107, [], h(105)],
    [
      109,
      [t(-60, '1000', '1000', '0', '0'), t(60, '1000', '-1000', '0', '0'), t(120, '500', '-500', '0', '0')],
      h(108),
    ],
    [110, [t(-60, '1000', '1000', '0', '0'), t(60, '1000', '-1000', '0', '0')], h(110)],
    [112, [t(-60, '1000', '1000', U256_MAX, '1'), t(60, '1000', '-1000', '0', '0')], h(112)],
  ])(
    'args: block=%i (newest row per tick; a tick cleared at 110 goes; orphaned rows never)',
    async (n, ticks, hash) => {
      expect(await ok(`/v1/pools/${P1}/ticks?block=${n}`, TicksResponse)).toEqual({
        ticks,
        block: block(n, hash),
      });
    },
  );

  it('error: unknown pool, block ahead', async () => {
    expect((await fails(`/v1/pools/0x${'9'.repeat(40)}/ticks`, 404)).code).toBe('NOT_FOUND');
    expect((await fails(`/v1/pools/${P1}/ticks?block=500`, 400)).message).toBe(
      'block: 500 is ahead of the indexed head 120',
    );
  });
});

describe('GET /v1/pools/:address/positions', () => {
  const p = (
    owner: string,
    tickLower: number,
    tickUpper: number,
    liquidity: string,
    owed0: string,
    owed1: string,
  ) => ({
    owner,
    tickLower,
    tickUpper,
    liquidity,
    feeGrowthInside0LastX128: Q128,
    feeGrowthInside1LastX128: '0',
    tokensOwed0: owed0,
    tokensOwed1: owed1,
  });
  const aliceBurned = p(ALICE, -60, 60, '0', '5', '6');
  const carol = p(CAROL, 60, 120, U128_MAX, '0', '0');

  it('default: every position by (owner, tickLower, tickUpper), with no liquidity too', async () => {
    expect(await ok(`/v1/pools/${P1}/positions`, PositionsResponse)).toEqual({
      positions: [aliceBurned, carol],
      block: block(120),
    });
  });

  it.each([
    [107, [], h(105)],
    [109, [p(ALICE, -60, 60, '1000', '0', '0')], h(108)],
    [112, [p(ALICE, -60, 60, '1000', '0', '0'), carol], h(112)],
    [116, [aliceBurned, carol], h(115)],
  ])('args: block=%i (orphaned positions never served)', async (n, positions, hash) => {
    const body = await ok(`/v1/pools/${P1}/positions?block=${n}`, PositionsResponse);
    expect(body).toEqual({ positions, block: block(n, hash) });
    expect(body.positions.map((x) => x.owner)).not.toContain(BOB);
  });
});

describe('GET /v1/positions/:tokenId', () => {
  const one = {
    tokenId: '1',
    owner: ALICE,
    pool: P1,
    tickLower: -60,
    tickUpper: 60,
    liquidity: '1000',
    burned: false,
  };

  it("default: the token, stamped with the 'tokens' checkpoint", async () => {
    expect(await ok('/v1/positions/1', NftPositionResponse)).toEqual({ position: one, block: block(119) });
    expect((await ok('/v1/positions/0001', NftPositionResponse)).position).toEqual(one);
  });

  it('behavior: the largest uint256 id, burned, without pool', async () => {
    expect((await ok(`/v1/positions/${U256_MAX}`, NftPositionResponse)).position).toEqual({
      tokenId: U256_MAX,
      owner: BOB,
      pool: null,
      tickLower: null,
      tickUpper: null,
      liquidity: '0',
      burned: true,
    });
  });

  it('error: unknown token is 404, a malformed id 400', async () => {
    expect(await fails('/v1/positions/2', 404)).toEqual({
      code: 'NOT_FOUND',
      message: 'position 2 not found',
    });
    const tooBig = (1n << 256n).toString();
    for (const raw of ['abc', '-1', '1.5', tooBig]) {
      expect(await fails(`/v1/positions/${raw}`, 400)).toEqual({
        code: 'BAD_REQUEST',
        message: `tokenId: expected a decimal uint256, got '${raw}'`,
      });
    }
  });
});

describe('GET /v1/pools/:address/events', () => {
  const all = servedEvents(P1);
  const swaps = all.filter((e) => e.type === 'Swap');

  it('default: non-orphaned events in chain order, stamped with the partition checkpoint', async () => {
    expect(all).toHaveLength(7);
    expect(await ok(`/v1/pools/${P1}/events`, EventsResponse)).toEqual({
      events: all,
      nextCursor: null,
      block: block(120),
    });
  });

  it('args: type, fromBlock, toBlock', async () => {
    expect((await ok(`/v1/pools/${P1}/events?type=Swap`, EventsResponse)).events).toEqual(swaps);
    expect((await ok(`/v1/pools/${P1}/events?fromBlock=110&toBlock=112`, EventsResponse)).events).toEqual(
      swaps,
    );
    expect((await ok(`/v1/pools/${P1}/events?fromBlock=111&toBlock=111`, EventsResponse)).events).toEqual([]);
    expect((await ok(`/v1/pools/${P1}/events?fromBlock=112&type=Swap`, EventsResponse)).events).toEqual(
      swaps.slice(2),
    );
    expect((await ok(`/v1/pools/${P2}/events`, EventsResponse)).events).toEqual(servedEvents(P2));
  });

  it('behavior: pages concatenated equal the full list, without repeats', async () => {
    const seen: unknown[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: z.infer<typeof EventsResponse> = await ok(
        `/v1/pools/${P1}/events?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`,
        EventsResponse,
      );
      seen.push(...page.events);
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null);
    expect(pages).toBe(4);
    expect(seen).toEqual(all);
  });

  it('error: bad parameters name themselves', async () => {
    const base = `/v1/pools/${P1}/events`;
    expect(await fails(`${base}?type=Transfer`, 400)).toEqual({
      code: 'BAD_REQUEST',
      message:
        "type: expected one of Initialize, Mint, Burn, Swap, Collect, Flash, SetFeeProtocol, CollectProtocol, IncreaseObservationCardinalityNext, PoolCreated, got 'Transfer'",
    });
    expect((await fails(`${base}?fromBlock=10&toBlock=5`, 400)).message).toBe(
      'fromBlock: 10 is greater than toBlock 5',
    );
    expect((await fails(`${base}?fromBlock=x`, 400)).message).toBe(
      "fromBlock: expected a non-negative whole number, got 'x'",
    );
    expect((await fails(`${base}?toBlock=-3`, 400)).message).toBe(
      "toBlock: expected a non-negative whole number, got '-3'",
    );
    expect((await fails(`${base}?limit=100000`, 400)).message).toBe(
      "limit: expected a whole number from 1 to 1000, got '100000'",
    );
    const poolsCursor = (await ok('/v1/pools?limit=1', PoolListResponse)).nextCursor;
    expect((await fails(`${base}?cursor=${poolsCursor}`, 400)).message).toBe(
      `cursor: not a cursor of this list, got '${poolsCursor?.slice(0, 80)}…'`,
    );
    expect((await fails(`/v1/pools/0x${'9'.repeat(40)}/events`, 404)).code).toBe('NOT_FOUND');
  });
});

describe('GET /health, /ready', () => {
  const ready = (
    partitions: { partition: string; blockNumber: number; lag: number }[],
    head = block(120),
  ) => ({
    status: 'ready',
    head,
    maxLagBlocks: 5,
    partitions,
  });
  const lags = [
    { partition: '0', blockNumber: 120, lag: 0 },
    { partition: '1', blockNumber: 118, lag: 2 },
    { partition: 'tokens', blockNumber: 119, lag: 1 },
  ];

  it('default: health is ok; ready when every checkpoint is within the lag of the highest', async () => {
    expect(await get('/health')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await ok('/ready', ReadyResponse)).toEqual(ready(lags));
    expect(await ok('/ready', ReadyResponse, appWith({ partitions: 2 }))).toEqual(ready(lags));
  });

  it('error: a partition too far behind is 503 NOT_READY with the lag', async () => {
    expect(await fails('/ready', 503, appWith({ readyMaxLag: 1 }))).toEqual({
      code: 'NOT_READY',
      message: 'not ready: partition 1 at block 118 is 2 blocks behind head 120 (max 1)',
    });
  });

  it('error: an expected partition without a checkpoint', async () => {
    expect((await fails('/ready', 503, appWith({ partitions: 3 }))).message).toBe(
      'not ready: no checkpoint yet for partition 2',
    );
  });

  it('error: nothing projected yet (another chain)', async () => {
    const empty = appWith({ chainId: chainId + 1 });
    expect((await fails('/ready', 503, empty)).message).toBe('not ready: no partition has a checkpoint yet');
    expect(await fails('/v1/pools', 503, empty)).toEqual({
      code: 'NOT_READY',
      message: 'no pool partition has a checkpoint yet',
    });
  });

  it('behavior: the head published in Redis counts', async () => {
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true });
    const key = `ts:${chainId}:head`;
    try {
      await redis.connect();
      const withRedis = appWith({ redis });
      await redis.set(key, JSON.stringify(block(123)));
      expect(await ok('/ready', ReadyResponse, withRedis)).toEqual(
        ready(
          [
            { partition: '0', blockNumber: 120, lag: 3 },
            { partition: '1', blockNumber: 118, lag: 5 },
            { partition: 'tokens', blockNumber: 119, lag: 4 },
          ],
          block(123),
        ),
      );
      await redis.set(key, JSON.stringify(block(130)));
      expect((await fails('/ready', 503, withRedis)).message).toBe(
        'not ready: partition 0 at block 120 is 10 blocks behind head 130 (max 5); ' +
          'partition 1 at block 118 is 12 blocks behind head 130 (max 5); ' +
          'partition tokens at block 119 is 11 blocks behind head 130 (max 5)',
      );
      await redis.set(key, 'not json');
      expect(await ok('/ready', ReadyResponse, withRedis)).toEqual(ready(lags));
    } finally {
      await redis.del(key).catch(() => undefined);
      redis.disconnect();
    }
  });

  it('behavior: a Redis that does not answer is ignored after a short wait', async () => {
    const silent = { get: () => new Promise<string | null>(() => {}) };
    expect(await ok('/ready', ReadyResponse, appWith({ redis: silent }))).toEqual(ready(lags));
  });

  it('error: Postgres down: ready is 503, reads are 500 with a generic message, health still 200', async () => {
    const down = new pg.Pool({
      connectionString: 'postgres://postgres@127.0.0.1:1/none',
      connectionTimeoutMillis: 2_000,
    });
    try {
      const broken = appWith({ pg: down });
      expect(await get('/health', broken)).toEqual({ status: 200, body: { status: 'ok' } });
      expect(await fails('/ready', 503, broken)).toEqual({
        code: 'NOT_READY',
        message: 'not ready: cannot read the checkpoints from Postgres',
      });
      expect(await fails(`/v1/pools/${P1}`, 500, broken)).toEqual({
        code: 'STORE_ERROR',
        message: 'internal error (STORE_ERROR); see the api log',
      });
      // Bad input is still a 400, checked before any I/O.
      expect((await fails('/v1/pools/xyz', 400, broken)).code).toBe('BAD_REQUEST');
    } finally {
      await down.end();
    }
  });
});

describe('routes, envelope, OpenAPI', () => {
  it('error: unknown routes and methods are 404 with the envelope', async () => {
    expect(await fails('/v1/nope', 404)).toEqual({ code: 'NOT_FOUND', message: 'no route GET /v1/nope' });
    expect(await fails('/pools', 404)).toEqual({ code: 'NOT_FOUND', message: 'no route GET /pools' });
    const res = await app.request('/v1/pools', { method: 'POST' });
    expect(res.status).toBe(404);
    expect(ErrorResponse.parse(await res.json()).error.code).toBe('NOT_FOUND');
  });

  it('default: the OpenAPI document lists exactly the routes served, and its refs resolve', async () => {
    const { status, body } = await get('/v1/openapi.json');
    expect(status).toBe(200);
    const doc = body as {
      openapi: string;
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    const served = app.routes
      .filter((r) => r.method === 'GET')
      .map((r) => r.path.replace(/:(\w+)/g, '{$1}'))
      .sort();
    expect(Object.keys(doc.paths).sort()).toEqual(served);
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map(
      (m) => m[1],
    );
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect(doc.components.schemas).toHaveProperty(ref as string);
  });

  it('behavior: through a real listening server', async () => {
    const server = await listen(app, { host: '127.0.0.1', port: 0 });
    try {
      const res = await fetch(`${server.url}/v1/pools/${P1}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toEqual({ pool: P1_LATEST, block: block(120) });
      const missing = await fetch(`${server.url}/v1/pools/${P1}?block=abc`);
      expect(missing.status).toBe(400);
      expect(await missing.json()).toEqual({
        error: { code: 'BAD_REQUEST', message: "block: expected a non-negative whole number, got 'abc'" },
      });
    } finally {
      await server.close();
    }
  });
});
