import { connect, type NatsConnection } from '@nats-io/transport-node';
import { runCli } from '@tickstream/coordinator/cli';
import { connectEtcd, watchKeysFor, watchStatusSchema } from '@tickstream/coordinator/client';
import {
  type RunningDevnet,
  runWorkload,
  startDevnet,
  uniswapV3FactoryAbi,
  uniswapV3PoolAbi,
} from '@tickstream/deploy/devnet';
import {
  createTestDatabase,
  type EtcdMember,
  freePort,
  startEtcd,
  type TestDatabase,
  waitFor,
} from '@tickstream/deploy/local';
import {
  factoryEventsAbi,
  type Hex,
  type LogEntry,
  partitionOfAddress,
  streamName,
  TOPIC,
} from '@tickstream/shared';
import type { Etcd3 } from 'etcd3';
import pg from 'pg';
import { createPublicClient, createWalletClient, http, parseEventLogs } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyBlock, createPartitionModel, type PoolPartitionModel } from '../../projector/src/apply';
import { BlockAssembler } from '../../projector/src/consume';
import { uniquePrefix } from './support/env';
import { startFaultProxy } from './support/fault-proxy';
import { readStream, type StoredEntry } from './support/ledger';
import { chainLogKeys, duplicates, type LogKey, ledgerLogKeys } from './support/oracle';
import { spawnService } from './support/process';

/**
 * Runtime watches (`tickstream watch add`): ingest starts after the pools were created (START_BLOCK
 * past their PoolCreated), so it does not know them; an operator adds one while ingest follows the
 * head under live traffic; its whole history must arrive in the ledger, one to one with eth_getLogs,
 * before its first live entry, while the head keeps being followed.
 */
const SEED = Number(process.env.TEST_SEED ?? 20261122);
// A chain id of its own: the watch list lives in the shared etcd under /tickstream/<chainId>/.
const CHAIN_ID = 41_000 + Math.floor(Math.random() * 20_000);
// An etcd of its own: the shared one on 2379 belongs to whoever started it (and stops with them).
let ETCD_URL: string;
let etcdMember: EtcdMember;

let devnet: RunningDevnet;
let nc: NatsConnection;
let etcd: Etcd3;
let pools: Hex[];
let startBlock: number;
const dbs: TestDatabase[] = [];

async function headNumber(): Promise<number> {
  const client = createPublicClient({ transport: http(devnet.rpcUrl) });
  return Number(await client.getBlockNumber({ cacheTime: 0 }));
}

async function ingestEnv(
  prefix: string,
  rpcUrl: string,
  extra: Record<string, string> = {},
): Promise<Record<string, string>> {
  const db = await createTestDatabase('ingest');
  dbs.push(db);
  return {
    RPC_URL: rpcUrl,
    CHAIN_ID: String(devnet.chainId),
    FACTORY_ADDRESS: devnet.addresses.factory,
    POSITION_MANAGER_ADDRESS: devnet.addresses.positionManager,
    START_BLOCK: String(startBlock),
    DATABASE_URL: db.url,
    NATS_URL: 'nats://127.0.0.1:4222',
    LEDGER_STREAM_PREFIX: prefix,
    FINALITY_DEPTH: '12',
    BACKFILL_RANGE: '6',
    POLL_INTERVAL_MS: '50',
    PARTITIONS: '4',
    CONTROL_PLANE: 'etcd',
    ETCD_URL,
    MODULE_ID: `watch-test-${prefix}`,
    ...extra,
  };
}

function keyOf(l: {
  blockNumber: number;
  logIndex: number;
  blockHash: string;
  txHash: string;
  address: string;
  topics: readonly string[];
  data: string;
}): LogKey {
  return {
    id: `${l.blockNumber}:${l.logIndex}:${l.blockHash}`,
    content: [l.txHash, l.address, ...l.topics, l.data].join('|').toLowerCase(),
  };
}

/** eth_getLogs of one address over [0, toBlock], through viem (independent of ingest's RPC code). */
async function chainLogsOf(address: Hex, toBlock: number): Promise<LogKey[]> {
  const client = createPublicClient({ transport: http(devnet.rpcUrl, { timeout: 60_000 }) });
  const logs = await client.getLogs({ address, fromBlock: 0n, toBlock: BigInt(toBlock) });
  return logs.map((l) =>
    keyOf({
      blockNumber: Number(l.blockNumber),
      logIndex: l.logIndex,
      blockHash: l.blockHash,
      txHash: l.transactionHash,
      address: l.address,
      topics: l.topics,
      data: l.data,
    }),
  );
}

const sortKeys = (keys: LogKey[]) =>
  [...keys].sort((a, b) => {
    const [ab, al] = a.id.split(':').map(Number) as [number, number];
    const [bb, bl] = b.id.split(':').map(Number) as [number, number];
    return ab - bb || al - bl;
  });

function logsOf(stored: readonly StoredEntry[], address: Hex): (StoredEntry & { entry: LogEntry })[] {
  return stored.filter(
    (s): s is StoredEntry & { entry: LogEntry } => s.entry.kind === 'log' && s.entry.address === address,
  );
}

/** Waits until the stream's last entry is the tokens seal of a block >= `block`. */
async function waitForBlock(prefix: string, block: number, timeoutMs = 180_000): Promise<void> {
  const stream = streamName(prefix, devnet.chainId);
  await waitFor(
    async () => {
      const stored = await readStream(nc, stream).catch(() => []);
      const last = stored.at(-1)?.entry;
      return last?.kind === 'seal' && last.partition === 'tokens' && last.blockNumber >= block;
    },
    { timeoutMs, what: `ledger ${prefix} to reach block ${block}`, maxIntervalMs: 500 },
  );
}

async function waitForJoin(address: Hex, timeoutMs = 180_000) {
  const key = watchKeysFor(devnet.chainId).status(address);
  return waitFor(
    async () => {
      const text = await etcd.get(key).string();
      const status = text === null ? undefined : watchStatusSchema.parse(JSON.parse(text));
      return status?.state === 'following' ? status : undefined;
    },
    { timeoutMs, what: `${address} to join the follower`, maxIntervalMs: 250 },
  );
}

/**
 * The watched pool's entries equal eth_getLogs of its address, one to one; the catch-up segment
 * comes whole before the first live entry; returns the figures.
 */
async function expectPoolHistory(prefix: string, pool: Hex, toBlock: number, joinedAt: number) {
  const stored = await readStream(nc, streamName(prefix, devnet.chainId));
  const mine = logsOf(stored, pool).filter((s) => s.entry.blockNumber <= toBlock);
  const ledger = mine.map((s) => keyOf(s.entry));
  const chain = await chainLogsOf(pool, toBlock);
  expect(duplicates(ledger)).toEqual([]);
  expect(new Set(stored.map((s) => s.msgId)).size).toBe(stored.length);
  expect(sortKeys(ledger)).toEqual(chain);
  const catchUp = mine.filter((s) => s.entry.catchUp === true);
  const live = mine.filter((s) => s.entry.catchUp !== true);
  // History below the join block, live from it on; all history before the first live entry.
  expect(catchUp.every((s) => s.entry.blockNumber < joinedAt)).toBe(true);
  expect(live.every((s) => s.entry.blockNumber >= joinedAt)).toBe(true);
  if (live.length > 0 && catchUp.length > 0) expect(catchUp.at(-1)!.seq).toBeLessThan(live[0]!.seq);
  // The pool's PoolCreated (from its factory) is in the segment too, before the pool's own logs.
  const created = stored.filter(
    (s) =>
      s.entry.kind === 'log' &&
      s.entry.address === devnet.addresses.factory &&
      s.entry.data.toLowerCase().endsWith(pool.slice(2).toLowerCase()),
  );
  expect(created.length).toBe(1);
  expect((created[0]!.entry as LogEntry).catchUp).toBe(true);
  expect(created[0]!.seq).toBeLessThan(mine[0]!.seq);
  return { stored, logs: chain.length, catchUp: catchUp.length, live: live.length };
}

/** A pool's state as a projection holds it, to compare with the contract. */
interface PoolView {
  readonly sqrtPriceX96: unknown;
  readonly tick: unknown;
  readonly liquidity: unknown;
  readonly feeGrowthGlobal0X128: unknown;
  readonly feeGrowthGlobal1X128: unknown;
  /** tick -> [liquidityGross, liquidityNet, feeGrowthOutside0X128, feeGrowthOutside1X128] */
  readonly ticks: ReadonlyMap<number, readonly unknown[]>;
}

/** Differences between `view` and the pool contract by eth_call at `block` (none when exact). */
async function chainDiffs(pool: Hex, block: number, view: PoolView): Promise<string[]> {
  const client = createPublicClient({ transport: http(devnet.rpcUrl) });
  const at = { address: pool, abi: uniswapV3PoolAbi, blockNumber: BigInt(block) } as const;
  const slot0 = (await client.readContract({ ...at, functionName: 'slot0' })) as readonly unknown[];
  const out: string[] = [];
  const same = (what: string, mine: unknown, chain: unknown) => {
    if (String(mine) !== String(chain)) out.push(`${what}: projection ${mine}, chain ${chain}`);
  };
  same('sqrtPriceX96', view.sqrtPriceX96, slot0[0]);
  same('tick', view.tick, slot0[1]);
  same('liquidity', view.liquidity, await client.readContract({ ...at, functionName: 'liquidity' }));
  same(
    'feeGrowthGlobal0X128',
    view.feeGrowthGlobal0X128,
    await client.readContract({ ...at, functionName: 'feeGrowthGlobal0X128' }),
  );
  same(
    'feeGrowthGlobal1X128',
    view.feeGrowthGlobal1X128,
    await client.readContract({ ...at, functionName: 'feeGrowthGlobal1X128' }),
  );
  for (const [tick, mine] of view.ticks) {
    const t = (await client.readContract({
      ...at,
      functionName: 'ticks',
      args: [tick],
    })) as readonly unknown[];
    for (let i = 0; i < 4; i++) same(`tick ${tick} field ${i}`, mine[i], t[i]);
  }
  if (view.ticks.size === 0) out.push('no initialized tick in the projection (nothing compared)');
  return out;
}

/**
 * The projector's pure fold (its BlockAssembler and applyBlock, as its feed, rewind and rebuild use
 * them) over the pool's partition of the ledger, compared with the pool contract at `block`.
 */
async function foldEqualsChain(stored: readonly StoredEntry[], pool: Hex, block: number): Promise<string[]> {
  const partition = partitionOfAddress(pool, 4);
  const model = createPartitionModel(devnet.chainId, partition) as PoolPartitionModel;
  const asm = new BlockAssembler(0);
  for (const s of stored) {
    if (s.entry.partition !== partition) continue;
    for (const unit of asm.push(s.seq, s.entry))
      if (unit.kind === 'block' && unit.seal.blockNumber <= block) applyBlock(model, unit);
  }
  const state = model.pools.get(pool)?.state;
  if (state === undefined) return [`pool ${pool} not in the fold`];
  return chainDiffs(pool, block, {
    ...state,
    ticks: new Map(
      [...state.ticks].map(([t, i]) => [
        t,
        [i.liquidityGross, i.liquidityNet, i.feeGrowthOutside0X128, i.feeGrowthOutside1X128],
      ]),
    ),
  });
}

/**
 * The projector itself (a process, on the pool's partition only: the chain's other pools are not in
 * this ledger) folds the ledger into Postgres; its pool and tick rows, which the api serves, are
 * compared with the contract at `block`.
 */
async function projectionEqualsChain(prefix: string, pool: Hex, block: number): Promise<string[]> {
  const db = await createTestDatabase('watchproj');
  dbs.push(db);
  const partition = String(partitionOfAddress(pool, 4));
  const projector = spawnService('projector/src/main.ts', {
    CHAIN_ID: String(devnet.chainId),
    DATABASE_URL: db.url,
    LEDGER_STREAM_PREFIX: prefix,
    PARTITIONS: '4',
    REDIS_URL: 'redis://127.0.0.1:6379/11',
    PROJECTOR_PARTITIONS: partition,
    PROJECTOR_ASSIGNMENT: 'static',
    PROJECTOR_CONSUMER_NAME: 'watchtest',
    CONTROL_PLANE: 'none',
  });
  const client = new pg.Pool({ connectionString: db.url, max: 2 });
  try {
    await waitFor(
      async () => {
        if (projector.child.exitCode !== null)
          throw new Error(`projector exited:\n${projector.output().slice(-3000)}`);
        const r = await client
          .query<{ block_number: string }>(
            'SELECT block_number FROM proj_checkpoints WHERE chain_id = $1 AND partition = $2',
            [devnet.chainId, partition],
          )
          .catch(() => ({ rows: [] as { block_number: string }[] }));
        return Number(r.rows[0]?.block_number ?? -1) >= block;
      },
      { timeoutMs: 180_000, what: `the projector to reach block ${block}`, maxIntervalMs: 250 },
    );
    const row = (
      await client.query('SELECT * FROM pools WHERE chain_id = $1 AND address = $2', [devnet.chainId, pool])
    ).rows[0];
    if (row === undefined) return [`pool ${pool} not in the projection`];
    const ticks = await client.query(
      `SELECT tick, liquidity_gross, liquidity_net, fee_growth_outside0_x128, fee_growth_outside1_x128
       FROM ticks WHERE chain_id = $1 AND pool = $2`,
      [devnet.chainId, pool],
    );
    return await chainDiffs(pool, block, {
      sqrtPriceX96: row.sqrt_price_x96,
      tick: row.tick,
      liquidity: row.liquidity,
      feeGrowthGlobal0X128: row.fee_growth_global0_x128,
      feeGrowthGlobal1X128: row.fee_growth_global1_x128,
      ticks: new Map(
        ticks.rows.map((t) => [
          Number(t.tick),
          [t.liquidity_gross, t.liquidity_net, t.fee_growth_outside0_x128, t.fee_growth_outside1_x128],
        ]),
      ),
    });
  } finally {
    await projector.kill();
    await client.end();
  }
}

beforeAll(async () => {
  devnet = await startDevnet({ port: await freePort(), genesisTimestamp: 1_700_000_000, chainId: CHAIN_ID });
  await runWorkload(devnet, { seed: SEED, transactions: 700, txPerBlock: 3 });
  nc = await connect({ servers: 'nats://127.0.0.1:4222' });
  etcdMember = await startEtcd({
    name: 'watch-int',
    clientPort: await freePort(),
    peerPort: await freePort(),
  });
  ETCD_URL = etcdMember.clientUrl;
  etcd = connectEtcd(ETCD_URL);
  const client = createPublicClient({ transport: http(devnet.rpcUrl) });
  const created = parseEventLogs({
    abi: factoryEventsAbi,
    eventName: 'PoolCreated',
    logs: await client.getLogs({ address: devnet.addresses.factory, fromBlock: 0n }),
  });
  pools = created.map((c) => c.args.pool.toLowerCase() as Hex);
  // Ingest starts after every pool was created: it does not know them.
  startBlock = Number(created.at(-1)!.blockNumber) + 5;
  expect(await headNumber()).toBeGreaterThan(startBlock + 20);
  expect(pools.length).toBeGreaterThanOrEqual(2);
}, 600_000);

afterAll(async () => {
  etcd?.close();
  await etcdMember?.stop();
  await nc?.close();
  await devnet?.stop();
  for (const db of dbs) await db.drop();
});

describe('watch: an address added at runtime', () => {
  it('default: a pool added mid-follow gets its full history while the head keeps following', async () => {
    const prefix = uniquePrefix('watch');
    const pool = pools[0]!;
    // The pool's eth_getLogs a little slower, so that its catch-up spans many live blocks.
    const proxy = await startFaultProxy(devnet.rpcUrl);
    const slow = pool.slice(2).toLowerCase();
    proxy.setRule((c) =>
      c.method === 'eth_getLogs' && JSON.stringify(c.params).toLowerCase().includes(slow)
        ? { kind: 'delay', ms: 100 }
        : { kind: 'pass' },
    );
    const ingest = spawnService('ingest/src/main.ts', await ingestEnv(prefix, proxy.url));
    // Live traffic while following the head, and the operator's watch in the middle of it.
    // Traffic runs from before the watch until after the join (then it is stopped).
    const stop = new AbortController();
    let traffic: Promise<unknown> = Promise.resolve();
    try {
      await waitForBlock(prefix, await headNumber());
      const before = await readStream(nc, streamName(prefix, devnet.chainId));
      expect(logsOf(before, pool)).toEqual([]); // unknown to ingest so far

      let mined!: () => void;
      const firstBlock = new Promise<void>((r) => {
        mined = r;
      });
      traffic = runWorkload(devnet, {
        seed: SEED + 1,
        transactions: 100_000,
        txPerBlock: 2,
        signal: stop.signal,
        onBlock: () => mined(),
      });
      await firstBlock;
      const printed: string[] = [];
      const code = await runCli(['watch', 'add', pool, '--from', String(devnet.addresses.deployBlock)], {
        env: { ETCD_URL, CHAIN_ID: String(devnet.chainId) },
        out: (t) => printed.push(t),
        err: (t) => printed.push(t),
      });
      expect(code, printed.join('\n')).toBe(0);
      const status = await waitForJoin(pool);
      stop.abort();
      await traffic;
      const head = await headNumber();
      await waitForBlock(prefix, head);

      const r = await expectPoolHistory(prefix, pool, head, status.joinedAt!);
      expect(r.catchUp).toBeGreaterThan(20);
      expect(r.live).toBeGreaterThan(0);
      // The head kept following while the history arrived: live seals between the segment's chunks.
      const segment = r.stored.filter((s) => s.entry.kind === 'log' && s.entry.catchUp === true);
      const [first, last] = [segment[0]!.seq, segment.at(-1)!.seq];
      const liveSeals = r.stored.filter((s) => s.entry.kind === 'seal' && s.seq > first && s.seq < last);
      expect(liveSeals.length).toBeGreaterThan(0);
      // The projector's fold of the ledger gives the contract's state (history folded first), and so
      // does the projector process in Postgres.
      expect(await foldEqualsChain(r.stored, pool, head)).toEqual([]);
      expect(await projectionEqualsChain(prefix, pool, head)).toEqual([]);
      // Everything else is untouched: no pool that nobody watched got in.
      for (const other of pools.slice(1)) expect(logsOf(r.stored, other)).toEqual([]);
      console.log(
        `watch: ${r.logs} logs of ${pool} on chain up to ${head}; ledger: ${r.catchUp} catch-up + ${r.live} live, ` +
          `joined at ${status.joinedAt}; ${liveSeals.length} live seals appended during the catch-up`,
      );

      // The CLI lists it with ingest's progress.
      const listed: string[] = [];
      expect(
        await runCli(['watch', 'list', '--json'], {
          env: { ETCD_URL, CHAIN_ID: String(devnet.chainId) },
          out: (t) => listed.push(t),
        }),
      ).toBe(0);
      const rows = JSON.parse(listed.join('')) as { address: string; status: { state: string } | null }[];
      expect(rows.find((x) => x.address === pool)?.status?.state).toBe('following');
    } finally {
      stop.abort();
      await traffic.catch(() => {});
      await ingest.kill();
      await proxy.stop();
    }
  });

  it('behavior: kill -9 in the middle of a catch-up, restart: no gap, no duplicate', async () => {
    const prefix = uniquePrefix('watchkill');
    const pool = pools[1]!;
    const proxy = await startFaultProxy(devnet.rpcUrl);
    // The watched pool's history comes slowly, so that the kill lands in the middle of it.
    const slow = pool.slice(2).toLowerCase();
    proxy.setRule((c) =>
      c.method === 'eth_getLogs' && JSON.stringify(c.params).toLowerCase().includes(slow)
        ? { kind: 'delay', ms: 150 }
        : { kind: 'pass' },
    );
    const env = await ingestEnv(prefix, proxy.url);
    const stream = streamName(prefix, devnet.chainId);
    await etcd.delete().prefix(watchKeysFor(devnet.chainId).root).exec(); // the first test's request
    try {
      const first = spawnService('ingest/src/main.ts', env);
      await waitForBlock(prefix, await headNumber());
      expect(
        await runCli(['watch', 'add', pool, '--from', String(devnet.addresses.deployBlock)], {
          env: { ETCD_URL, CHAIN_ID: String(devnet.chainId) },
          out: () => {},
        }),
      ).toBe(0);
      await waitFor(
        async () => {
          const stored = await readStream(nc, stream);
          return logsOf(stored, pool).filter((s) => s.entry.catchUp === true).length > 20;
        },
        { timeoutMs: 120_000, what: 'part of the catch-up', maxIntervalMs: 100 },
      );
      await first.kill('SIGKILL');

      const second = spawnService('ingest/src/main.ts', env);
      try {
        const status = await waitForJoin(pool);
        await runWorkload(devnet, { seed: SEED + 2, transactions: 40, txPerBlock: 2 });
        const head = await headNumber();
        await waitForBlock(prefix, head);
        const r = await expectPoolHistory(prefix, pool, head, status.joinedAt!);
        expect(await foldEqualsChain(r.stored, pool, head)).toEqual([]);
        console.log(
          `watch after kill -9: ${r.logs} logs of ${pool}; ledger ${r.catchUp} catch-up + ${r.live} live, no duplicate`,
        );
      } finally {
        await second.kill();
      }
    } finally {
      await proxy.stop();
    }
  });

  it('behavior: a factory added at runtime brings every pool it created, and the pools it creates later', async () => {
    const prefix = uniquePrefix('watchfac');
    const factory = devnet.addresses.factory;
    // Ingest configured with another factory: it knows none of these pools, from the deployment on.
    const env = await ingestEnv(prefix, devnet.rpcUrl, {
      FACTORY_ADDRESS: '0x000000000000000000000000000000000000dead',
      START_BLOCK: String(devnet.addresses.deployBlock),
    });
    await etcd.delete().prefix(watchKeysFor(devnet.chainId).root).exec();
    const ingest = spawnService('ingest/src/main.ts', env);
    try {
      await waitForBlock(prefix, await headNumber());
      expect(
        await runCli(
          ['watch', 'add', factory, '--kind', 'factory', '--from', String(devnet.addresses.deployBlock)],
          {
            env: { ETCD_URL, CHAIN_ID: String(devnet.chainId) },
            out: () => {},
          },
        ),
      ).toBe(0);
      const status = await waitForJoin(factory);
      expect(status.pools).toBe(pools.length);

      // A pool created after the join is discovered live, like the configured factory's.
      const token = (symbol: string) => devnet.addresses.tokens.find((t) => t.symbol === symbol)!.address;
      const wallet = createWalletClient({ transport: http(devnet.rpcUrl), account: devnet.accounts[0]! });
      const tx = await wallet.writeContract({
        address: factory,
        abi: uniswapV3FactoryAbi,
        functionName: 'createPool',
        args: [token('DAI'), token('USDC'), 3000],
        gas: 6_000_000n,
        chain: null,
      });
      const client = createPublicClient({ transport: http(devnet.rpcUrl) });
      if (!(await client.request({ method: 'anvil_getAutomine' as never })))
        await client.request({ method: 'evm_mine' as never });
      await client.waitForTransactionReceipt({ hash: tx, pollingInterval: 50 });
      await runWorkload(devnet, { seed: SEED + 3, transactions: 30, txPerBlock: 2 });
      const head = await headNumber();
      await waitForBlock(prefix, head);

      const stored = await readStream(nc, streamName(prefix, devnet.chainId));
      const ledger = ledgerLogKeys(stored, head);
      const chain = await chainLogKeys(devnet.rpcUrl, factory, devnet.addresses.positionManager, head);
      expect(duplicates(ledger)).toEqual([]);
      expect(sortKeys(ledger)).toEqual(sortKeys(chain));
      const created = stored.filter(
        (s) =>
          s.entry.kind === 'log' &&
          s.entry.address === factory &&
          s.entry.topics[0] === TOPIC.PoolCreated &&
          s.entry.catchUp !== true,
      );
      expect(created.length).toBeGreaterThan(0); // the new pool's PoolCreated, followed live
      console.log(
        `watch factory: ${chain.length} logs (factory, position manager, ${pools.length + 1} pools) equal eth_getLogs; ` +
          `${stored.filter((s) => s.entry.kind === 'log' && s.entry.catchUp === true).length} came as catch-up, joined at ${status.joinedAt}`,
      );
    } finally {
      await ingest.kill();
    }
  });

  it('args: WATCH_ADDRESSES, without the control plane, backfills and follows the configured pool', async () => {
    const prefix = uniquePrefix('watchcfg');
    const pool = pools[2]!;
    const env = await ingestEnv(prefix, devnet.rpcUrl, {
      CONTROL_PLANE: 'none',
      WATCH_ADDRESSES: `${pool}:pool@${devnet.addresses.deployBlock}`,
    });
    const ingest = spawnService('ingest/src/main.ts', env);
    try {
      const line = await ingest.waitForLine(/watched address caught up/, 120_000);
      const joinedAt = (JSON.parse(line) as { joinedAt: number }).joinedAt;
      await runWorkload(devnet, { seed: SEED + 4, transactions: 30, txPerBlock: 2 });
      const head = await headNumber();
      await waitForBlock(prefix, head);
      const r = await expectPoolHistory(prefix, pool, head, joinedAt);
      expect(r.catchUp).toBeGreaterThan(0);
    } finally {
      await ingest.kill();
    }
  });

  it('error: bad arguments name the argument', async () => {
    const env = { ETCD_URL, CHAIN_ID: String(devnet.chainId) };
    for (const [args, what] of [
      [['watch', 'add', '0x1234'], '<address>'],
      [['watch', 'add', pools[0]!, '--from', 'ten'], '--from'],
      [['watch', 'add', pools[0]!, '--kind', 'token'], '--kind'],
      [['watch', 'add'], '<address>'],
      [['watch', 'list', '--from', '3'], '--from'],
      [['status', '--kind', 'pool'], '--kind'],
    ] as const) {
      const err: string[] = [];
      expect(await runCli(args, { env, err: (t) => err.push(t), out: () => {} })).toBe(2);
      expect(err.join('\n')).toContain(what);
    }
  });
});
