/**
 * The whole pipeline against the chain: a seeded workload on real anvil, ingest → JetStream → projector
 * → Postgres → api, then every REST answer compared with eth_call on the contracts at the block the
 * answer names — at the head and at historical blocks through `?block=N`. Zero differences.
 */
import {
  nonfungiblePositionManagerAbi,
  type RunningDevnet,
  runWorkload,
  startDevnet,
} from '@tickstream/deploy/devnet';
import {
  createTestDatabase,
  freePort,
  getJson,
  type ServerProcess,
  type TestDatabase,
  waitFor,
} from '@tickstream/deploy/local';
import { startService } from '@tickstream/deploy/run';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { Address, PublicClient } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chainNft,
  chainPool,
  chainPositionKeys,
  chainPositions,
  chainTicks,
  oracleClient,
} from './support/chain-oracle';

const SEED = Number(process.env.TEST_SEED ?? 3_000);
const REDIS_URL = 'redis://127.0.0.1:6379/10';

async function flushRedis(url: string): Promise<void> {
  const redis = new Redis(url);
  await redis.flushdb();
  await redis.quit();
}
const TRANSACTIONS = 3_200;

let devnet: RunningDevnet;
let db: TestDatabase;
let chain: PublicClient;
let api: string;
let head: number;
const services: ServerProcess[] = [];

interface Block {
  number: number;
  hash: string;
}
interface PoolSummary {
  address: Address;
  tickSpacing: number;
}

async function get<T>(path: string): Promise<T> {
  const r = await fetch(`${api}${path}`);
  const body = (await r.json()) as T;
  if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${JSON.stringify(body)}`);
  return body;
}

async function allPools(): Promise<PoolSummary[]> {
  const out: PoolSummary[] = [];
  let cursor: string | null = null;
  do {
    const page: { pools: PoolSummary[]; nextCursor: string | null } = await get(
      `/v1/pools?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`,
    );
    out.push(...page.pools);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return out;
}

/** REST pool, ticks and positions at `at` (latest when undefined) against eth_call at the block REST names. */
async function compare(
  pool: PoolSummary,
  at?: number,
): Promise<{ block: number; ticks: number; positions: number }> {
  const q = at === undefined ? '' : `?block=${at}`;
  const { pool: p, block } = await get<{ pool: Record<string, unknown>; block: Block }>(
    `/v1/pools/${pool.address}${q}`,
  );
  if (at !== undefined) expect(block.number).toBe(at);
  const n = BigInt(block.number);
  const onChain = await chainPool(chain, pool.address, n);
  expect({ pool: pool.address, block: block.number, ...pick(p) }).toEqual({
    pool: pool.address,
    block: block.number,
    ...onChain,
  });

  const { ticks } = await get<{ ticks: unknown[] }>(`/v1/pools/${pool.address}/ticks${q}`);
  expect(ticks).toEqual(await chainTicks(chain, pool.address, pool.tickSpacing, n));

  const { positions } = await get<{ positions: { owner: string; tickLower: number; tickUpper: number }[] }>(
    `/v1/pools/${pool.address}/positions${q}`,
  );
  const keys = await chainPositionKeys(chain, pool.address, n);
  const byKey = (x: { owner: string; tickLower: number; tickUpper: number }) =>
    `${x.owner}:${x.tickLower}:${x.tickUpper}`;
  const sorted = <T extends { owner: string; tickLower: number; tickUpper: number }>(xs: T[]) =>
    [...xs].sort((a, b) => (byKey(a) < byKey(b) ? -1 : 1));
  expect(sorted(positions)).toEqual(sorted(await chainPositions(chain, pool.address, keys, n)));
  return { block: block.number, ticks: ticks.length, positions: positions.length };
}

function pick(p: Record<string, unknown>) {
  return {
    sqrtPriceX96: p.sqrtPriceX96,
    tick: p.tick,
    feeProtocol: p.feeProtocol,
    liquidity: p.liquidity,
    feeGrowthGlobal0X128: p.feeGrowthGlobal0X128,
    feeGrowthGlobal1X128: p.feeGrowthGlobal1X128,
    protocolFees: p.protocolFees,
  };
}

/** Waits until every partition is projected up to `block` and the api is ready. */
async function waitProjected(block: number): Promise<void> {
  await waitFor(
    async () => {
      const r = await getJson(`${api}/ready`);
      const body = r.body as { partitions?: { blockNumber: number }[] };
      return r.status === 200 && (body.partitions ?? []).every((p) => p.blockNumber >= block);
    },
    { timeoutMs: 300_000, what: `every partition projected up to block ${block}` },
  );
}

beforeAll(async () => {
  devnet = await startDevnet({ port: await freePort(), genesisTimestamp: 1_700_000_000 });
  const stats = await runWorkload(devnet, { seed: SEED, transactions: TRANSACTIONS, txPerBlock: 20 });
  expect(stats.transactions).toBeGreaterThanOrEqual(3_000);
  chain = oracleClient(devnet.rpcUrl);
  head = Number(await chain.getBlockNumber({ cacheTime: 0 }));
  db = await createTestDatabase('pipeline');
  const apiPort = await freePort();
  api = `http://127.0.0.1:${apiPort}`;
  const env = {
    CHAIN_ID: String(devnet.chainId),
    RPC_URL: devnet.rpcUrl,
    FACTORY_ADDRESS: devnet.addresses.factory,
    POSITION_MANAGER_ADDRESS: devnet.addresses.positionManager,
    START_BLOCK: String(devnet.addresses.deployBlock),
    DATABASE_URL: db.url,
    LEDGER_STREAM_PREFIX: `E2E${Date.now()}`,
    FINALITY_DEPTH: '12',
    BACKFILL_RANGE: '40',
    POLL_INTERVAL_MS: '100',
    API_PORT: String(apiPort),
    API_READY_MAX_LAG_BLOCKS: '0',
    CONTROL_PLANE: 'none',
    // A Redis database of its own: a head published by another run (npm start, a bench) must not count.
    REDIS_URL: REDIS_URL,
  };
  await flushRedis(REDIS_URL);
  services.push(await startService({ name: 'e2e-ingest', entry: 'ingest/src/main.ts', env }));
  services.push(await startService({ name: 'e2e-projector', entry: 'projector/src/main.ts', env }));
  services.push(
    await startService({
      name: 'e2e-api',
      entry: 'api/src/main.ts',
      env,
      isReady: async () => (await getJson(`${api}/health`)).status === 200,
    }),
  );
  await waitProjected(head);
}, 600_000);

afterAll(async () => {
  for (const s of services.reverse()) await s.stop().catch(() => {});
  await devnet?.stop();
  await db?.drop();
  await flushRedis(REDIS_URL);
});

describe('REST answers equal eth_call on the contracts', () => {
  it('default: every pool at the head (slot0, liquidity, fee growth, protocol fees, every initialized tick, every position)', async () => {
    const pools = await allPools();
    expect(pools.length).toBeGreaterThanOrEqual(5);
    let ticks = 0;
    let positions = 0;
    for (const pool of pools) {
      const r = await compare(pool);
      expect(r.block).toBe(head);
      ticks += r.ticks;
      positions += r.positions;
    }
    console.log(
      `head ${head}: ${pools.length} pools, ${ticks} ticks, ${positions} positions equal to eth_call`,
    );
    expect(ticks).toBeGreaterThan(20);
    expect(positions).toBeGreaterThan(20);
  });

  it('behavior: the same at six historical blocks through ?block=N', async () => {
    const pools = await allPools();
    const first = Number(devnet.addresses.deployBlock);
    const blocks = [0.15, 0.3, 0.45, 0.6, 0.75, 0.9].map((f) => Math.floor(first + f * (head - first)));
    let compared = 0;
    for (const n of blocks) {
      for (const pool of pools) {
        const r = await fetch(`${api}/v1/pools/${pool.address}?block=${n}`);
        if (r.status === 404) {
          expect(await chain.getCode({ address: pool.address, blockNumber: BigInt(n) })).toBeUndefined();
          continue; // created later: nothing to compare
        }
        await compare(pool, n);
        compared++;
      }
    }
    console.log(`blocks ${blocks.join(', ')}: ${compared} pool states equal to eth_call`);
    expect(compared).toBeGreaterThanOrEqual(5 * 5);
  });

  it('behavior: position-manager NFTs equal positions(tokenId) and ownerOf', async () => {
    const mints = await chain.getContractEvents({
      address: devnet.addresses.positionManager,
      abi: nonfungiblePositionManagerAbi,
      eventName: 'Transfer',
      args: { from: '0x0000000000000000000000000000000000000000' },
      fromBlock: 0n,
      toBlock: BigInt(head),
    });
    expect(mints.length).toBeGreaterThan(50);
    let burned = 0;
    for (const m of mints) {
      const id = m.args.tokenId!;
      const rest = await get<{
        position: { owner: string; tickLower: number; tickUpper: number; liquidity: string; burned: boolean };
      }>(`/v1/positions/${id}`);
      const onChain = await chainNft(chain, devnet.addresses.positionManager, id, BigInt(head));
      if (onChain === null) {
        burned++;
        expect(rest.position.burned).toBe(true);
      } else {
        const { owner, tickLower, tickUpper, liquidity } = rest.position;
        expect({ id, owner, tickLower, tickUpper, liquidity }).toEqual({ id, ...onChain });
      }
    }
    console.log(`${mints.length} NFTs (${burned} burned) equal to the position manager`);
    expect(burned).toBeGreaterThan(0);
  });
});

// Last: it moves the chain past `head`.
describe('a service that goes away', () => {
  it('behavior: every Postgres session of the pipeline terminated (as by a Postgres restart): ingest, projector and api go on; new blocks are projected and served equal to eth_call', async () => {
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ pid: number }>(
        'SELECT pg_terminate_backend(pid), pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      );
      expect(rows.length).toBeGreaterThanOrEqual(3); // ingest, projector and api each held sessions
    } finally {
      await admin.end();
    }
    await runWorkload(devnet, { seed: SEED + 1, transactions: 60, txPerBlock: 4, continueFrom: true });
    const newHead = Number(await chain.getBlockNumber({ cacheTime: 0 }));
    await waitProjected(newHead);
    // before: a client's error event with no listener crashed the projector (static assignment) and ingest
    expect(services.map((s) => [s.label, s.running])).toEqual(services.map((s) => [s.label, true]));
    for (const pool of await allPools()) expect((await compare(pool)).block).toBeGreaterThanOrEqual(newHead);
  });
});
